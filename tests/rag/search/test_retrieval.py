"""Rank fusion and duplicate collapse, as plain functions."""

from __future__ import annotations

import pytest

from rag.core.text import jaccard, shingles
from rag.search.retrieval import collapse_duplicates, rrf
from rag.core.types import Chunk, Passage

from tests.conftest import admits


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


def test_filters_applied_after_the_search_match_chromas(indexed):
    """The retriever filters searches with the BM25 index's fields; they must agree with Chroma's where clause."""
    from datetime import date

    from rag.index.store import chunk_from, where_clause
    from rag.core.types import Filters

    snap = indexed.live.snapshot()
    collection = snap.retriever._store._collection
    everything = collection.get(include=["documents", "metadatas"])
    chunks = [chunk_from(i, d, m) for i, d, m in zip(everything["ids"], everything["documents"],
                                                      everything["metadatas"])]
    cases = [
        Filters(as_of=date(2024, 3, 9)), Filters(since=date(2024, 3, 10)),
        Filters(since=date(2024, 3, 5), until=date(2024, 3, 12)), Filters(sources=("wire-news",)),
        Filters(sources=("riverton-gazette", "business-daily"), as_of=date(2024, 3, 12)),
    ]
    for filters in cases:
        by_chroma = set(collection.get(where=where_clause(filters, None))["ids"])
        by_python = {c.id for c in chunks if admits(filters, c)}
        by_lexical = {c.id for c, ok in zip(chunks, snap.retriever._lexical.passing([c.id for c in chunks], filters)) if ok}
        assert by_python == by_chroma == by_lexical and 0 < len(by_python) < len(chunks), filters


def test_filtering_after_the_search_and_in_chroma_give_the_same_passages(indexed, monkeypatch):
    from datetime import date

    from rag.search import retrieval
    from rag.core.types import Filters

    cases = [Filters(as_of=date(2024, 3, 30)), Filters(sources=("wire-news",)),
             Filters(since=date(2024, 3, 6), until=date(2024, 3, 12))]
    for filters in cases:
        found = {}
        # Every filter counts as broad, then as narrow (searched by ids), then as narrow with too many ids.
        for path, share, id_limit in (("after", 0.0, 5000), ("ids", 1.01, 5000), ("chroma", 1.01, 0)):
            monkeypatch.setattr(retrieval, "BROAD_FILTER_SHARE", share)
            monkeypatch.setattr(retrieval, "ID_LIST_LIMIT", id_limit)
            passages = indexed.search("Lumetra battery factory jobs", filters, k=5)
            assert passages and all(admits(filters, p.chunk) for p in passages), (path, filters)
            found[path] = [p.chunk.id for p in passages]
        assert found["after"] == found["ids"] == found["chroma"], filters


def test_a_search_among_the_nearest_chunks_returns_the_head_of_the_exact_ranking(indexed, monkeypatch):
    """search(complete=False) may return fewer dense candidates, but the best ones, in order."""
    from datetime import date

    from rag.search import retrieval
    from rag.core.types import Filters

    query = "Lumetra battery factory jobs"
    filters = Filters(since=date(2024, 3, 1), until=date(2024, 3, 12))  # 4 of the 5 chunks
    retriever = indexed.live.snapshot().retriever
    qvec = retriever.query_vector(query)
    exact = [h.chunk_id for h in retriever._dense(query, qvec, 40, filters)]
    assert len(exact) >= 3
    heads = []
    for nearest in (3, 1000):
        monkeypatch.setattr(retrieval, "WINDOW_NEAREST", nearest)
        retriever._neighbours = retrieval._Recent(retrieval.RECENT_QUERIES)
        found = [h.chunk_id for h in retriever._dense(query, qvec, 40, filters, complete=False)]
        assert found == exact[:len(found)], nearest
        heads.append(len(found))
    assert heads[0] < len(exact) and heads[-1] == len(exact)


# The same council decides the same thing twice, weeks apart; the older report repeats the question's words more.
TARIFF = {
    "tariff-jan.md": {
        "title": "Riverton council sets the water tariff",
        "published": "2024-01-10", "source": "riverton-gazette", "url": "https://gazette.example/tariff-jan",
        "text": ("The Riverton council set the water tariff at 2.10 euros per cubic metre on Monday. The water "
                 "tariff set by the council applies to every household in Riverton."),
    },
    "tariff-apr.md": {
        "title": "Riverton raises water prices again",
        "published": "2024-04-08", "source": "riverton-gazette", "url": "https://gazette.example/tariff-apr",
        "text": ("Riverton's council raised the price of water to 2.45 euros per cubic metre on Monday, "
                 "the second increase this year."),
    },
}


@pytest.mark.integration
def test_a_question_without_time_favours_the_latest_story(settings, embeddings):
    from dataclasses import replace as with_
    from datetime import date

    from rag.service import RagService
    from rag.core.types import Filters

    from tests.conftest import write_corpus

    write_corpus(settings.corpus_dir, TARIFF)
    service = RagService(settings, embeddings=embeddings)
    service.reindex()
    question = "What did the Riverton council set the water tariff at?"
    filters = Filters(as_of=date(2024, 4, 12))
    retriever = service.live.snapshot().retriever
    plain = retriever.search(question, 2, filters)
    assert plain[0].chunk.published == date(2024, 1, 10)  # without the prior, the older report ranks first
    passages, window = service.retrieve(question, filters, k=2)
    assert window is None
    assert passages[0].chunk.published == date(2024, 4, 8)
    # Asked in January, before the second story, the prior has nothing newer to prefer.
    early, _ = service.retrieve(question, with_(filters, as_of=date(2024, 1, 20)), k=2)
    assert [p.chunk.published for p in early] == [date(2024, 1, 10)]
