"""BM25 over the same chunks as the vector store (bm25s), persisted per index generation."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

from .store import day_number, UNDATED
from .types import Filters

log = logging.getLogger(__name__)


@functools.cache
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def terms(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased, stemmed content words (English stop words removed)."""
    return bm25s.tokenize(
        list(texts), stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False
    )


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
        names = sorted(set(sources))
        code = {name: i for i, name in enumerate(names)}
        retriever = None
        if ids:
            retriever = bm25s.BM25()
            retriever.index(terms(texts), show_progress=False)
        return cls(retriever, list(ids), np.asarray(days, dtype=np.int32),
                   np.asarray([code[s] for s in sources], dtype=np.int32), names)

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
        if fields["ids"]:
            retriever = bm25s.BM25.load(str(folder / "bm25"), mmap=True)
        return cls(retriever, fields["ids"], np.load(folder / "days.npy"),
                   np.load(folder / "sources.npy"), fields["source_names"])

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
