"""Hybrid retrieval: dense (Chroma) and BM25 results fused by reciprocal rank, near-duplicates collapsed."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from langchain_core.embeddings import Embeddings

from .lexical import LexicalIndex
from .manifest import Manifest
from .store import ChunkStore, DenseHit, admits
from .types import Chunk, Filters, Passage

log = logging.getLogger(__name__)

RRF_K = 60  # the constant of Cormack et al.; large enough that no single list dominates
DUPLICATE_JACCARD = 0.6  # word-trigram overlap above which two passages say the same thing
BROAD_FILTER_SHARE = 0.2  # filters passing at least this share of chunks are applied after the search
OVERSAMPLE = 1.5  # extra nearest chunks fetched so that enough pass a filter applied afterwards

_WORD = re.compile(r"\w+")


def shingles(text: str, n: int = 3) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    if len(words) < n:
        return {tuple(words)} if words else set()
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def jaccard(a: set, b: set) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def rrf(rankings: Sequence[Sequence[str]], k: int = RRF_K) -> dict[str, float]:
    """Reciprocal rank fusion of ranked id lists."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, cid in enumerate(ranking):
            scores[cid] = scores.get(cid, 0.0) + 1.0 / (k + rank + 1)
    return scores


def collapse_duplicates(passages: list[Passage], threshold: float = DUPLICATE_JACCARD,
                        limit: int | None = None) -> list[Passage]:
    """Keep the best-ranked of each group of near-identical passages (wire copies, reposts).

    With ``limit``, at most that many are kept; later passages are still checked against
    them so that every copy is listed in ``also_in``.
    """
    kept: list[tuple[Passage, set]] = []
    for p in passages:
        sh = shingles(p.chunk.text)
        for i, (q, qsh) in enumerate(kept):
            if jaccard(sh, qsh) >= threshold:
                kept[i] = (replace(q, also_in=q.also_in + (p.chunk.id,)), qsh)
                break
        else:
            if limit is None or len(kept) < limit:
                kept.append((p, sh))
    return [p for p, _ in kept]


class Retriever:
    """Searches one committed index generation."""

    def __init__(self, store: ChunkStore, lexical: LexicalIndex, manifest: Manifest,
                 embeddings: Embeddings) -> None:
        self._store = store
        self._lexical = lexical
        self._manifest = manifest
        self._embeddings = embeddings

    def search(self, query: str, k: int = 5, filters: Filters = Filters(),
               candidates: int = 40) -> list[Passage]:
        """The ``k`` best passages for ``query`` within ``filters``."""
        qvec = np.asarray(self._embeddings.embed_query(query), dtype=np.float32)
        return self.search_vector(query, qvec, k, filters, candidates)

    def search_vector(self, query: str, qvec: np.ndarray, k: int, filters: Filters,
                      candidates: int) -> list[Passage]:
        m = self._manifest
        dense = self._dense(qvec, candidates, filters)
        lexical = self._lexical.search(query, candidates, filters)
        fused = rrf([[h.chunk.id for h in dense], [h.chunk_id for h in lexical]])
        chunks: dict[str, Chunk] = {h.chunk.id: h.chunk for h in dense}
        similarity: dict[str, float] = {h.chunk.id: h.similarity for h in dense}
        bm25 = {h.chunk_id: h.score for h in lexical}
        missing = [cid for cid in fused if cid not in chunks]
        for cid, (chunk, vec) in self._store.get_with_vectors(missing).items():
            if m.is_live(chunk.article_id, chunk.doc_hash):
                chunks[cid] = chunk
                similarity[cid] = float(np.dot(qvec, np.asarray(vec, dtype=np.float32)))
        ranked = sorted((cid for cid in fused if cid in chunks), key=lambda c: -fused[c])
        passages = [Passage(chunks[c], fused[c], similarity.get(c), bm25.get(c)) for c in ranked]
        return collapse_duplicates(passages, limit=k)

    def _dense(self, qvec: np.ndarray, candidates: int, filters: Filters) -> list[DenseHit]:
        """The ``candidates`` nearest live chunks within ``filters``.

        Chroma evaluates a metadata filter by listing every chunk it matches, which costs
        about 0.2 s per query at 64k chunks when the filter matches most of them (an
        ``as_of`` date, the generation tag). So a broad filter is applied here, to an
        oversampled unfiltered search, and only a narrow one (or an oversample that came up
        short) goes to Chroma, where it is fast because few chunks match.
        """
        m = self._manifest
        share = self._lexical.share(filters)
        if share == 0.0:
            return []
        if share >= BROAD_FILTER_SHARE:
            n = min(len(self._lexical), int(candidates / share * OVERSAMPLE) + candidates)
            hits = self._store.query(qvec, n, Filters(), None)
            dense = [h for h in hits if admits(filters, h.chunk) and m.is_live(h.chunk.article_id, h.chunk.doc_hash)]
            if len(dense) >= candidates or len(hits) < n:
                return dense[:candidates]
        hits = self._store.query(qvec, candidates, filters, None)
        dense = [h for h in hits if m.is_live(h.chunk.article_id, h.chunk.doc_hash)]
        if len(dense) < len(hits) and len(hits) == candidates:
            # Chunks of a reindex not yet committed crowd the results: ask again for committed ones only.
            hits = self._store.query(qvec, candidates, filters, m.generation)
            dense = [h for h in hits if m.is_live(h.chunk.article_id, h.chunk.doc_hash)]
        return dense
