"""BM25 over the same chunks as the vector store (bm25s), persisted per index generation.

The indexer builds it at each reindex (:func:`build_lexical`); the live index rebuilds it with the same
function when a generation was written on another machine.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

from ..core.errors import RagError
from ..core.fsutil import ARRAY_READS
from ..core.terms import stemmer, terms
from ..core.types import UNDATED, Filters, Progress, day_number, no_progress
from .chunking import embedding_text
from .manifest import ArticleEntry
from .store import ChunkStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LexicalHit:
    chunk_id: str
    score: float


class LexicalIndex:
    """A BM25 index with the per-chunk fields needed to filter without asking Chroma."""

    def __init__(self, retriever: bm25s.BM25 | None, ids: list[str], days: np.ndarray,
                 sources: np.ndarray, source_names: list[str]) -> None:
        self._retriever = retriever
        self.ids = ids
        self._days = days
        self._sources = sources
        self._source_names = source_names
        self._rows = {cid: i for i, cid in enumerate(ids)}

    @classmethod
    def build(cls, ids: Sequence[str], texts: Sequence[str], days: Sequence[int],
              sources: Sequence[str]) -> LexicalIndex:
        builder = LexicalBuilder()
        builder.add(ids, texts, days, sources)
        return builder.build()

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self._retriever is not None:
            self._retriever.save(str(folder / "bm25"), show_progress=False)
        np.save(folder / "days.npy", self._days)
        np.save(folder / "sources.npy", self._sources)
        (folder / "fields.json").write_text(
            json.dumps({"ids": self.ids, "source_names": self._source_names}), encoding="utf-8"
        )

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        fields = json.loads((folder / "fields.json").read_text(encoding="utf-8"))
        retriever = None
        with ARRAY_READS:
            if fields["ids"]:
                retriever = bm25s.BM25.load(str(folder / "bm25"), mmap=True)
            days, sources = np.load(folder / "days.npy"), np.load(folder / "sources.npy")
        return cls(retriever, fields["ids"], days, sources, fields["source_names"])

    def __len__(self) -> int:
        return len(self.ids)

    def _mask(self, filters: Filters) -> np.ndarray | None:
        mask = np.ones(len(self.ids), dtype=bool)
        if filters.sources:
            wanted = [i for i, n in enumerate(self._source_names) if n in filters.sources]
            mask &= np.isin(self._sources, wanted)
        if filters.since:
            mask &= self._days >= day_number(filters.since)
        if filters.latest:
            mask &= (self._days <= day_number(filters.latest)) | (self._days == UNDATED)
        return None if mask.all() else mask.astype(np.float32)

    def share(self, filters: Filters) -> float:
        """The fraction of the indexed chunks that pass ``filters``."""
        if not self.ids:
            return 0.0
        mask = self._mask(filters)
        return 1.0 if mask is None else float(mask.mean())

    def matching_ids(self, filters: Filters) -> list[str]:
        """The ids of the indexed chunks that pass ``filters``."""
        mask = self._mask(filters)
        return list(self.ids) if mask is None else [self.ids[i] for i in np.flatnonzero(mask)]

    def passing(self, ids: Sequence[str], filters: Filters) -> list[bool]:
        """For each id: whether it is a chunk of this index (a live one) that passes ``filters``."""
        mask = self._mask(filters)
        rows = [self._rows.get(cid) for cid in ids]
        return [r is not None and (mask is None or bool(mask[r])) for r in rows]

    def day(self, chunk_id: str) -> int | None:
        """The published day number of an indexed chunk (UNDATED when it has none), None if not indexed."""
        row = self._rows.get(chunk_id)
        return None if row is None else int(self._days[row])

    def search(self, query: str, k: int, filters: Filters = Filters()) -> list[LexicalHit]:
        """Top chunks by BM25 for the query, within the filters."""
        if self._retriever is None or k <= 0:
            return []
        q = terms([query])[0]
        if not q:
            return []
        q = [t for t in q if t in self._retriever.vocab_dict]
        if not q:
            return []
        mask = self._mask(filters)
        if mask is not None and not mask.any():
            return []
        # One query: score every chunk and take the top k with numpy (bm25s.retrieve's batch
        # machinery, a thread pool and a progress bar, cost more than the scoring here).
        scores = np.asarray(self._retriever.get_scores(q), dtype=np.float32)
        if mask is not None:
            scores = scores * mask
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [LexicalHit(self.ids[int(d)], float(scores[d])) for d in top if scores[d] > 0]


class LexicalBuilder:
    """Builds a LexicalIndex page by page, holding term counts rather than texts.

    Each page of chunks is tokenised at once and reduced to (chunk, term id, count) triples;
    the BM25 weights are computed from those at the end, with bm25s's defaults (Lucene IDF,
    k1=1.5, b=0.75), into the same sparse matrix ``bm25s.BM25.index`` makes. Measured at
    100,124 chunks: the build adds ~0.1 GB to the process, where holding every text and its
    token list for ``bm25s`` added ~1.3 GB. ``build`` hands the counts over: call it once.
    """

    def __init__(self) -> None:
        self._vocab: dict[str, int] = {}
        self._ids: list[str] = []
        self._days: list[int] = []
        self._sources: list[str] = []
        self._lengths: list[np.ndarray] = []  # terms per chunk, page by page
        self._docs: list[np.ndarray] = []  # the (row, term, count) triples, page by page
        self._terms: list[np.ndarray] = []
        self._counts: list[np.ndarray] = []

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, ids: Sequence[str], texts: Sequence[str], days: Sequence[int], sources: Sequence[str]) -> None:
        if not ids:
            return
        first = len(self._ids)
        self._ids.extend(ids)
        self._days.extend(days)
        self._sources.extend(sources)
        page = bm25s.tokenize(list(texts), stopwords="en", stemmer=stemmer(), return_ids=True,
                              show_progress=False)
        to_global = np.empty(len(page.vocab), dtype=np.int64)
        for term, local in page.vocab.items():
            to_global[local] = self._vocab.setdefault(term, len(self._vocab))
        lengths = np.fromiter((len(doc) for doc in page.ids), dtype=np.int64, count=len(page.ids))
        if lengths.sum():
            rows = np.repeat(np.arange(first, first + len(page.ids), dtype=np.int64), lengths)
            terms_ = to_global[np.concatenate([np.asarray(doc, dtype=np.int64) for doc in page.ids])]
            pairs, counts = np.unique(rows << 32 | terms_, return_counts=True)
            self._docs.append((pairs >> 32).astype(np.int32))
            self._terms.append((pairs & 0xFFFFFFFF).astype(np.int32))
            self._counts.append(counts.astype(np.float32))
        self._lengths.append(lengths.astype(np.int32))

    def build(self) -> LexicalIndex:
        names = sorted(set(self._sources))
        code = {name: i for i, name in enumerate(names)}
        order = np.argsort(np.asarray(self._ids, dtype=object), kind="stable")  # rows sorted by chunk id
        ids = [self._ids[i] for i in order]
        days = np.asarray(self._days, dtype=np.int32)[order]
        sources = np.asarray([code[s] for s in self._sources], dtype=np.int32)[order]
        retriever = self._bm25(order) if ids else None
        return LexicalIndex(retriever, ids, days, sources, names)

    def _bm25(self, order: np.ndarray) -> bm25s.BM25:
        retriever = bm25s.BM25()
        k1, b = retriever.k1, retriever.b
        n_docs, n_vocab = len(self._ids), len(self._vocab)
        lengths = np.concatenate(self._lengths)
        rank = np.empty(n_docs, dtype=np.int32)
        rank[order] = np.arange(n_docs, dtype=np.int32)
        docs = np.concatenate(self._docs) if self._docs else np.empty(0, np.int32)
        terms_ = np.concatenate(self._terms) if self._terms else np.empty(0, np.int32)
        tf = np.concatenate(self._counts) if self._counts else np.empty(0, np.float32)
        self._docs, self._terms, self._counts = [], [], []
        # float32 throughout, one temporary at a time: at 100,000 chunks there are ~8M pairs
        df = np.bincount(terms_, minlength=n_vocab)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        average = float(lengths.mean()) or 1.0  # 0 only when no chunk has a word
        norm = (k1 * ((1 - b) + b * lengths / average)).astype(np.float32)[docs]
        norm += tf
        np.divide(tf, norm, out=tf)
        del norm
        tf *= idf[terms_]
        rows = rank[docs]
        del docs
        by_column = np.lexsort((rows, terms_))
        del terms_
        indptr = np.zeros(n_vocab + 1, dtype=np.int64)
        np.cumsum(df, out=indptr[1:])
        retriever.scores = {"data": tf[by_column], "indices": rows[by_column], "indptr": indptr,
                            "num_docs": n_docs}
        vocab = dict(self._vocab)
        vocab.setdefault("", len(vocab))  # as bm25s adds it: the term of chunks without words
        retriever.vocab_dict = vocab
        retriever.unique_token_ids_set = set(vocab.values())
        retriever.nonoccurrence_array = None  # only the BM25L and BM25+ variants use it
        return retriever


def build_lexical(store: ChunkStore, entries: dict[str, ArticleEntry], folder: Path,
                  progress: Progress = no_progress, others: list[str] | None = None) -> LexicalIndex:
    """Build and save the BM25 index of the live chunks (those of the given article versions).

    The chunks are read from the store a page at a time and only their term counts are kept.
    The ids of the chunks that are not live are added to ``others`` when it is given.
    """
    expected = sum(e.chunks for e in entries.values())
    builder = LexicalBuilder()
    progress("lexical index", 0, expected)
    for page in store.pages(1000):  # Chroma's reads keep memory in proportion to the page (5000: +0.1 GB)
        live = [c for c in page if (e := entries.get(c.article_id)) is not None and e.hash == c.doc_hash]
        if others is not None and len(live) < len(page):
            kept = {c.id for c in live}
            others.extend(c.id for c in page if c.id not in kept)
        builder.add([c.id for c in live], [embedding_text(c) for c in live],
                    [day_number(c.published) for c in live], [c.source for c in live])
        progress("lexical index", min(len(builder), expected), expected)
    if len(builder) != expected:
        raise RagError(f"the store holds {len(builder)} of the {expected} chunks the index needs; "
                       "run `python -m rag index --full`")
    index = builder.build()
    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    index.save(tmp)
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)
    return index
