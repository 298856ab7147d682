"""Search terms: lower-cased, stemmed content words, as BM25 indexes them and answers compare them."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import bm25s


@functools.cache
def stemmer():
    """The English Snowball stemmer (one per process: it is loaded on first use)."""
    import Stemmer

    return Stemmer.Stemmer("english")


def terms(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased, stemmed content words (English stop words removed)."""
    return bm25s.tokenize(
        list(texts), stopwords="en", stemmer=stemmer(), return_ids=False, show_progress=False
    )
