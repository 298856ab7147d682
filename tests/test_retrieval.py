"""Rank fusion and duplicate collapse, as plain functions."""

from __future__ import annotations

from rag.retrieval import collapse_duplicates, jaccard, rrf, shingles
from rag.types import Chunk, Passage


def passage(cid: str, text: str, score: float) -> Passage:
    return Passage(Chunk(cid, cid, "h", 0, 0, len(text), text, "t"), score)


def test_rrf_rewards_agreement_between_lists():
    scores = rrf([["a", "b", "c"], ["b", "d", "a"]])
    assert max(scores, key=scores.get) in {"a", "b"}
    assert scores["b"] > scores["c"] and scores["a"] > scores["d"]


def test_rrf_of_one_list_keeps_its_order():
    scores = rrf([["x", "y", "z"]])
    assert sorted(scores, key=lambda k: -scores[k]) == ["x", "y", "z"]


def test_near_identical_passages_collapse_into_the_best_ranked():
    base = "The council approved the tram line on Monday after a long debate about costs and routes."
    out = collapse_duplicates([
        passage("a", base, 0.9),
        passage("b", base.replace("Monday", "Monday evening"), 0.8),
        passage("c", "Riverton Rovers won the cup final with a late goal in front of 41,000 fans.", 0.7),
    ])
    assert [p.chunk.id for p in out] == ["a", "c"]
    assert out[0].also_in == ("b",)


def test_jaccard_of_disjoint_and_identical_texts():
    a, b = shingles("one two three four"), shingles("five six seven eight")
    assert jaccard(a, b) == 0.0 and jaccard(a, a) == 1.0 and jaccard(set(), a) == 0.0
