"""Token chunking: limits, spans, overlap, boundaries, and the fit to the embedding model."""

from __future__ import annotations

import pytest

from rag.index.chunking import chunk_article, embedding_text
from rag.index.embeddings import max_input_tokens
from rag.sources.ingest import load_corpus
from rag.core.text import split_sentences
from rag.core.tokens import CL100K_SHA256, count_tokens, encoding
from rag.core.types import Article

from tests.conftest import ROOT

SENTENCES = [f"Sentence number {i} reports that the harbour handled {i * 13} ships this week." for i in range(60)]
LONG = Article(id="long", title="Harbour traffic", text="\n".join(
    " ".join(SENTENCES[i:i + 4]) for i in range(0, 60, 4)))


def test_encoding_is_cl100k_base_checked_offline():
    enc = encoding()
    assert enc.name == "cl100k_base"
    assert CL100K_SHA256.startswith("223921b7")
    assert enc.encode_ordinary("hello world") == [15339, 1917]  # cl100k_base's ids for these words


@pytest.mark.parametrize("max_tokens,overlap", [(200, 40), (120, 20), (64, 0)])
def test_chunks_respect_the_token_limit_and_cover_the_text(max_tokens, overlap):
    chunks = chunk_article(LONG, max_tokens, overlap)
    assert len(chunks) > 1
    for c in chunks:
        assert count_tokens(c.text) <= max_tokens
        assert LONG.text[c.start:c.end] == c.text
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    words = [i for i, ch in enumerate(LONG.text) if not ch.isspace()]
    assert all(i in covered for i in words)  # nothing is lost between chunks


def test_chunks_overlap_and_break_at_sentences():
    chunks = chunk_article(LONG, 120, 30)
    starts = {s for s, _ in split_sentences(LONG.text)}
    ends = {e for _, e in split_sentences(LONG.text)}
    for prev, nxt in zip(chunks, chunks[1:]):
        assert nxt.start < prev.end  # consecutive chunks share text
        assert nxt.start in starts and prev.end in ends


def test_a_sentence_longer_than_a_chunk_is_cut_by_tokens():
    text = " ".join(["word"] * 700) + "."
    chunks = chunk_article(Article(id="x", title="t", text=text), 200, 40)
    assert len(chunks) >= 4
    assert all(count_tokens(c.text) <= 200 and text[c.start:c.end] == c.text for c in chunks)


def test_chunks_carry_article_metadata_and_ordinals():
    chunks = chunk_article(LONG, 120, 20)
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert len({c.id for c in chunks}) == len(chunks)
    assert all(c.article_id == "long" and c.title == "Harbour traffic" for c in chunks)


def test_headings_start_a_chunk_rather_than_end_one():
    articles, _ = load_corpus(ROOT / "corpus")
    for a in articles:
        for c in chunk_article(a)[:-1]:
            last_line = c.text.rsplit("\n", 1)[-1]
            assert last_line.rstrip().endswith((".", "!", "?", "\u201d", '"')), last_line


def test_default_chunks_fit_the_embedding_model(embeddings):
    """With its title, a default-size chunk fits the word pieces all-MiniLM-L6-v2 reads (256)."""
    limit = max_input_tokens(embeddings)
    assert limit == 256
    from tokenizers import Tokenizer

    from rag.index.quantized import model_source

    tokenizer = Tokenizer.from_file(str(model_source() / "tokenizer.json"))
    tokenizer.no_truncation()  # count every word piece, as the model would see them before cutting
    articles, _ = load_corpus(ROOT / "corpus")
    for a in articles + [LONG]:
        for c in chunk_article(a):
            assert len(tokenizer.encode(embedding_text(c)).ids) <= limit
