"""The candidates a question's search returns, with their features and labels, cached on disk.

For every question of a data set (training weeks or bench weeks), the project's own retrieval is
run as answering runs it (hybrid search, the question's date window, ``as_of`` the day it was
asked) to ``depth`` passages, before any reranking. Each passage is kept with its features
(:func:`rag.search.features.features`), the text the cross-encoder reads, and its label: whether
it holds the quiz's answer (the bench's rule, :func:`rag.bench.data.contains_answer`).

The cache holds article text, so it lives in the training output folder, never in the repository.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from ..bench.data import Question, contains_answer
from ..core.types import Filters
from ..index.chunking import embedding_text
from ..search.features import NAMES, Context, features

log = logging.getLogger(__name__)

CACHE_VERSION = 7  # bump when what is collected or how features are computed changes (7: features kept whole)


@dataclass
class Candidates:
    """One question's fused candidates, best first."""

    id: str
    question: str  # as searched (a date window's words taken out)
    asked: date
    answer: str
    latest: date | None  # the question's latest date, as the ranking stage knows it
    window: tuple[date | None, date] | None
    ids: list[str]  # chunk ids
    texts: list[str]  # what the cross-encoder reads: the headline, then the chunk
    features: np.ndarray  # (len(ids), len(NAMES))
    labels: np.ndarray  # 1 where the chunk holds the answer

    @property
    def context(self) -> Context:
        return Context(self.question, self.latest, self.window)

    def to_json(self) -> dict:
        return {"id": self.id, "question": self.question, "asked": self.asked.isoformat(), "answer": self.answer,
                "latest": self.latest.isoformat() if self.latest else None,
                "window": [d.isoformat() if d else None for d in self.window] if self.window else None,
                "ids": self.ids, "texts": self.texts,
                # Whole (float32 values round-trip exactly through JSON): a run resumed from the cache must
                # train on what a run that collected them did, or the two write different models.
                "features": self.features.astype(np.float32).tolist(),
                "labels": self.labels.astype(int).tolist()}

    @classmethod
    def from_json(cls, d: dict) -> Candidates:
        window = None
        if d["window"]:
            since, until = d["window"]
            window = (date.fromisoformat(since) if since else None, date.fromisoformat(until))
        latest = date.fromisoformat(d["latest"]) if d.get("latest") else None
        return cls(d["id"], d["question"], date.fromisoformat(d["asked"]), d["answer"], latest, window, d["ids"],
                   d["texts"], np.asarray(d["features"], dtype=np.float32).reshape(len(d["ids"]), len(NAMES)),
                   np.asarray(d["labels"], dtype=np.float32))


def collect(service, questions: Sequence[Question], depth: int,
            progress: Callable[[str, int, int], None] = lambda *a: None) -> list[Candidates]:
    """Each question's ``depth`` best fused passages (no reranking), as of the day it was asked."""
    out = []
    retriever = service.live.snapshot().retriever
    for i, q in enumerate(questions, start=1):
        filters = Filters(as_of=q.asked)
        window = service.window_of(q.question, filters)
        context, passages, _ = service.searcher.candidates(retriever, q.question, filters, window, depth)
        out.append(Candidates(
            q.id, context.question, q.asked, q.answer, context.latest, context.window,
            [p.chunk.id for p in passages], [embedding_text(p.chunk) for p in passages],
            features(context, passages),
            np.asarray([contains_answer(p.chunk.text, q.answer) for p in passages], dtype=np.float32)))
        progress("candidates", i, len(questions))
    return out


def digest(items: Sequence[Candidates], depth: int) -> str:
    """A short hash of the questions and their first ``depth`` candidates (keys caches of scores on them)."""
    import hashlib

    h = hashlib.sha256()
    for c in items:
        h.update(c.id.encode())
        for cid in c.ids[:depth]:
            h.update(cid.encode())
    return h.hexdigest()[:16]


def save(path: Path, items: Sequence[Candidates], meta: dict) -> None:
    """Write the candidates (gzip JSON Lines, a header line first) atomically."""
    tmp = path.with_suffix(path.suffix + ".part")
    with gzip.open(tmp, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"version": CACHE_VERSION, "features": list(NAMES), **meta}) + "\n")
        for c in items:
            fh.write(json.dumps(c.to_json(), ensure_ascii=False) + "\n")
    tmp.replace(path)


def load(path: Path, meta: dict | None = None) -> list[Candidates] | None:
    """The cached candidates, or None when there are none or they were made otherwise (``meta`` differs)."""
    if not path.is_file():
        return None
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        head = json.loads(fh.readline())
        if head.get("version") != CACHE_VERSION or head.get("features") != list(NAMES):
            return None
        if meta and any(head.get(k) != v for k, v in meta.items()):
            return None
        return [Candidates.from_json(json.loads(line)) for line in fh if line.strip()]
