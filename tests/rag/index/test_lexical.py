"""The page-by-page BM25 build against bm25s's own index over the same texts."""

from __future__ import annotations

import random
from pathlib import Path

import bm25s
import numpy as np
import pytest

from rag.index.chunking import chunk_article, embedding_text
from rag.sources.ingest import load_corpus
from rag.core.terms import terms
from rag.index.lexical import LexicalBuilder, LexicalIndex
from rag.core.types import Filters

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def passages() -> list[tuple[str, str, int, str]]:
    """(id, text, day, source) for the bundled corpus's chunks, plus edge cases."""
    articles, _ = load_corpus(ROOT / "corpus", 20 * 1024 * 1024)
    rows = [(c.id, embedding_text(c), 19000 + i % 7, c.source or "unknown")
            for a in articles for i, c in enumerate(chunk_article(a, 40, 8))]
    rows += [
        ("z-stopwords", "the and of it was", 19001, "wire"),  # no terms left
        ("z-empty", "", 19002, "wire"),
        ("z-repeat", "election election election results", 19003, "wire"),
        ("a-election", "The election results were announced on Tuesday in Bamako.", 19004, "daily"),
    ]
    assert len(rows) > 20
    return rows


def _reference(rows: list[tuple[str, str, int, str]]) -> tuple[bm25s.BM25, list[str]]:
    ordered = sorted(rows)
    retriever = bm25s.BM25()
    retriever.index(terms([r[1] for r in ordered]), show_progress=False)
    return retriever, [r[0] for r in ordered]


def _streamed(rows, page: int, seed: int) -> LexicalIndex:
    shuffled = list(rows)
    random.Random(seed).shuffle(shuffled)  # the store returns chunks in no particular order
    builder = LexicalBuilder()
    for i in range(0, len(shuffled), page):
        part = shuffled[i:i + page]
        builder.add([r[0] for r in part], [r[1] for r in part], [r[2] for r in part], [r[3] for r in part])
    return builder.build()


@pytest.mark.parametrize("page", [1, 7, 10_000])
def test_page_by_page_build_scores_every_term_as_bm25s_does(passages, page):
    reference, ref_ids = _reference(passages)
    index = _streamed(passages, page, seed=page)
    assert index.ids == ref_ids  # rows sorted by chunk id, whatever order the pages came in
    ours = index._retriever
    assert set(ours.vocab_dict) == set(reference.vocab_dict)
    assert ours.scores["num_docs"] == reference.scores["num_docs"] == len(passages)
    for term in reference.vocab_dict:
        if term == "":
            continue
        expected = reference.get_scores([term])
        got = ours.get_scores([term])
        assert np.count_nonzero(expected) > 0
        np.testing.assert_allclose(got, expected, rtol=2e-6, atol=1e-7, err_msg=term)


def test_search_saved_and_loaded_ranks_as_built(passages, tmp_path):
    index = _streamed(passages, 5, seed=1)
    index.save(tmp_path / "lex")
    loaded = LexicalIndex.load(tmp_path / "lex")
    for query in ["election results", "Bamako attack", "Faladié police training school", "the and of"]:
        built = [(h.chunk_id, round(h.score, 5)) for h in index.search(query, 5)]
        again = [(h.chunk_id, round(h.score, 5)) for h in loaded.search(query, 5)]
        assert built == again
    top = index.search("election election results", 2)
    assert [h.chunk_id for h in top] == ["z-repeat", "a-election"]
    assert index.search("the and of", 5) == []


def test_fields_follow_their_chunks_through_the_reordering(passages):
    index = _streamed(passages, 3, seed=2)
    by_id = {r[0]: r for r in passages}
    daily = index.matching_ids(Filters(sources=["daily"]))
    assert daily == [cid for cid in index.ids if by_id[cid][3] == "daily"] == ["a-election"]
    assert index.passing(["z-repeat", "a-election", "missing"], Filters(sources=["wire"])) == [True, False, False]


def test_an_index_of_chunks_without_words_has_no_scores():
    builder = LexicalBuilder()
    builder.add(["a", "b"], ["", "the of"], [1, 2], ["x", "x"])
    index = builder.build()
    assert len(index) == 2
    assert index.search("anything", 3) == []
