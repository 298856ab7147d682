"""Hybrid retrieval: dense (Chroma) and BM25 results fused by reciprocal rank, near-duplicates collapsed.

Duplicates collapse twice after fusion: first by article, with the groups of near-duplicate
articles found at indexing (:mod:`rag.index.dedup`; one passage per group, a dictionary lookup per
passage), then passage by passage, by word-trigram overlap, which also catches a paragraph
quoted in articles that are otherwise different.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

import numpy as np
from langchain_core.embeddings import Embeddings

from ..core.errors import StoreInconsistent
from ..index.chunking import article_of
from ..index.dedup import Groups
from ..index.lexical import LexicalIndex
from ..index.manifest import Manifest
from ..index.store import ChunkStore, DenseHit
from ..core.text import jaccard, shingles
from ..core.types import UNDATED, Chunk, Filters, Passage

log = logging.getLogger(__name__)

RRF_K = 60  # the constant of Cormack et al.; large enough that no single list dominates
DUPLICATE_JACCARD = 0.6  # word-trigram overlap above which two passages say the same thing
# Filters passing at least this share of chunks are applied to an oversampled unfiltered search:
# at 100k chunks the 2,000 nearest take ~12 ms, a search among 3,000 ids ~20 ms (more for fewer ids).
BROAD_FILTER_SHARE = 0.03
WINDOW_NEAREST = 500  # nearest chunks a date window's boost is looked for among (search(complete=False))
OVERSAMPLE = 1.5  # extra nearest chunks fetched so that enough pass a filter applied afterwards
RECENT_QUERIES = 32  # query embeddings and nearest-neighbour lists kept for a repeated search
RECENT_CHUNKS = 1024  # fetched chunks kept: a windowed question searches twice, mostly finding the same
ID_LIST_LIMIT = 5000  # a narrow filter passing at most this many chunks is searched by their ids
# A copy's passage stands for the best-ranked one when their word trigrams overlap at least this
# much. Chunk edges shift when a copy adds a dateline or cuts a paragraph, so the matching
# passages of two versions overlap less than DUPLICATE_JACCARD (0.23 to 0.9 for the story in
# tests/test_dedup.py, 200-token chunks), while other parts of the story share only the chunk
# overlap with it (0.07 at most there).
VERSION_JACCARD = 0.2
# A question without explicit time usually means the latest story: the fused score of a passage
# published ``age`` days before the question's latest date is multiplied by
# 1 + RECENCY_STRENGTH * 0.5 ** (age / RECENCY_HALF_LIFE). Chosen on the first half of the
# bench weeks (half-lives 3-30 days, strengths 0.3-4 tried) and checked on the second; see the
# ablation in README.md. Rank fusion scores are close together, so this mostly reorders
# passages that both searches found about equally good.
RECENCY_HALF_LIFE = 7.0  # days
RECENCY_STRENGTH = 2.0

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


def collapse_groups(passages: list[Passage], groups: Groups) -> list[Passage]:
    """One passage per group of near-duplicate articles, at the rank of the group's best passage.

    The passage kept is the newest member's version of the best one (the newest published
    date wins, then the better rank); a member's version is its passage most like the best
    one, if they overlap at least VERSION_JACCARD. The others are listed in ``also_in``.
    """
    ranks: dict[str, list[int]] = {}
    for i, p in enumerate(passages):
        gid = groups.group_of.get(p.chunk.article_id)
        if gid is not None:
            ranks.setdefault(gid, []).append(i)
    if all(len(r) == 1 for r in ranks.values()):
        return passages
    out, done = [], set()
    for i, p in enumerate(passages):
        gid = groups.group_of.get(p.chunk.article_id)
        if gid is None or len(ranks[gid]) == 1:
            out.append(p)
        elif gid not in done:
            done.add(gid)
            chosen = _newest_version([passages[j] for j in ranks[gid]])
            others = tuple(passages[j].chunk.id for j in ranks[gid] if passages[j] is not chosen)
            out.append(replace(chosen, score=p.score, also_in=chosen.also_in + others))
    return out


def _newest_version(members: list[Passage]) -> Passage:
    """Of a group's passages (best first), the newest article's version of the first one."""
    best = members[0]
    best_sh = shingles(best.chunk.text)
    versions: dict[str, tuple[float, int]] = {}  # article -> (overlap with the best, rank) of its closest passage
    for rank, p in enumerate(members):
        overlap = 1.0 if p is best else jaccard(shingles(p.chunk.text), best_sh)
        if overlap >= VERSION_JACCARD and overlap > versions.get(p.chunk.article_id, (-1.0, 0))[0]:
            versions[p.chunk.article_id] = (overlap, rank)
    rank = max(versions.values(), key=lambda v: (members[v[1]].chunk.published or date.min, -v[1]))[1]
    return members[rank]


class _Recent:
    """A small thread-safe cache that forgets its oldest entries."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: dict = {}
        self._lock = threading.Lock()

    def get(self, key):
        return self._items.get(key)

    def put(self, key, value) -> None:
        with self._lock:
            self._items.pop(key, None)
            while len(self._items) >= self._size:
                self._items.pop(next(iter(self._items)))
            self._items[key] = value


class Retriever:
    """Searches one committed index generation."""

    def __init__(self, store: ChunkStore, lexical: LexicalIndex, manifest: Manifest,
                 embeddings: Embeddings, groups: Groups | None = None) -> None:
        self._store = store
        self._lexical = lexical
        self._manifest = manifest
        self._embeddings = embeddings
        self.groups = groups or Groups()
        self._vectors = _Recent(RECENT_QUERIES)  # query -> embedding
        self._neighbours = _Recent(RECENT_QUERIES)  # query -> its nearest chunks, unfiltered
        self._chunks = _Recent(RECENT_CHUNKS)  # chunk id -> (chunk, stored vector)

    def search(self, query: str, k: int = 5, filters: Filters = Filters(),
               candidates: int = 40, complete: bool = True, recent: bool = False) -> list[Passage]:
        """The ``k`` best passages for ``query`` within ``filters``.

        With ``recent``, newer passages are favoured, relative to ``filters.latest``
        (see RECENCY_HALF_LIFE): for questions that do not say when.

        With ``complete=False`` a narrow filter's dense candidates are only those among the
        query's WINDOW_NEAREST nearest chunks overall (the best of them in the filter, in
        order, but perhaps fewer than asked): enough to favour a date window's passages, at
        a fraction of the cost of an exact search inside the window.
        """
        return self.search_vector(query, self.query_vector(query), k, filters, candidates, complete, recent)

    def query_vector(self, query: str) -> np.ndarray:
        """The query's embedding; the last few are kept, as one question is often searched twice
        (inside its date window and over every date)."""
        qvec = self._vectors.get(query)
        if qvec is None:
            qvec = np.asarray(self._embeddings.embed_query(query), dtype=np.float32)
            self._vectors.put(query, qvec)
        return qvec

    def search_vector(self, query: str, qvec: np.ndarray, k: int, filters: Filters,
                      candidates: int, complete: bool = True, recent: bool = False) -> list[Passage]:
        dense = self._dense(query, qvec, candidates, filters, complete)
        lexical = self._lexical.search(query, candidates, filters)
        fused = rrf([[h.chunk_id for h in dense], [h.chunk_id for h in lexical]])
        if recent and filters.latest:
            fused = self._recency(fused, filters.latest.toordinal())
        similarity = {h.chunk_id: h.similarity for h in dense}
        bm25 = {h.chunk_id: h.score for h in lexical}
        ranked = sorted(fused, key=lambda c: -fused[c])
        # Texts, metadata and stored vectors (for the similarity of chunks only BM25 found) are
        # fetched for the best-ranked candidates only, more when duplicates leave fewer than k.
        step = max(2 * k, 20)
        passages: list[Passage] = []
        kept: list[Passage] = []
        for start in range(0, len(ranked), step):
            fetched = self._fetch(ranked[start:start + step])
            for cid in ranked[start:start + step]:
                if cid in fetched:
                    chunk, vec = fetched[cid]
                    sim = similarity[cid] if cid in similarity else float(np.dot(qvec, vec))
                    passages.append(Passage(chunk, fused[cid], sim, bm25.get(cid)))
            kept = collapse_duplicates(collapse_groups(passages, self.groups), limit=k)
            if len(kept) >= k:
                break
        return [self._with_outlets(p, filters) for p in kept]

    def _recency(self, fused: dict[str, float], latest: int) -> dict[str, float]:
        """Fused scores raised by the recency prior (undated chunks keep theirs)."""
        out = {}
        for cid, score in fused.items():
            day = self._lexical.day(cid)
            if day is not None and day != UNDATED:
                score *= 1.0 + RECENCY_STRENGTH * 0.5 ** (max(0, latest - day) / RECENCY_HALF_LIFE)
            out[cid] = score
        return out

    def _with_outlets(self, p: Passage, filters: Filters) -> Passage:
        """The passage with the other outlets that ran its story: its article's copies and collapsed passages'."""
        entries = self._manifest.articles
        latest = filters.latest
        names = set()
        for aid in (*self.groups.copies(p.chunk.article_id), *map(article_of, p.also_in)):
            e = entries.get(aid)
            if e is not None and e.source and not (latest and e.published and e.published > latest.isoformat()):
                names.add(e.source)
        names.discard(p.chunk.source)
        return replace(p, outlets=tuple(sorted(names))) if names else p

    def _fetch(self, ids: list[str]) -> dict[str, tuple[Chunk, np.ndarray]]:
        """Chunks and their stored vectors, from the recent ones or from the store."""
        found = {cid: hit for cid in ids if (hit := self._chunks.get(cid)) is not None}
        missing = [cid for cid in ids if cid not in found]
        for cid, hit in self._store.get_with_vectors(missing).items():
            self._chunks.put(cid, hit)
            found[cid] = hit
        return found

    def _nearest(self, query: str, qvec: np.ndarray, n: int) -> list[DenseHit]:
        """The ``n`` nearest chunks, unfiltered; a question searched twice asks the store once."""
        known = self._neighbours.get(query)
        if known is not None and (known[0] >= n or len(known[1]) < known[0]):
            return known[1][:n]
        hits = self._store.nearest(qvec, n)
        self._neighbours.put(query, (n, hits))
        return hits

    def _dense(self, query: str, qvec: np.ndarray, candidates: int, filters: Filters,
               complete: bool = True) -> list[DenseHit]:
        """The ``candidates`` nearest live chunks within ``filters``, as ids and similarities.

        Whether a chunk is live and passes the filters is read from the BM25 index's fields
        (it holds exactly the live chunks). Chroma evaluates a metadata filter by listing
        every chunk it matches, which costs about 0.2 s per query at 64k chunks when the
        filter matches most of them (an ``as_of`` date, the generation tag). So a broad
        filter is applied here, to an oversampled unfiltered search (shared by the searches
        of one question), and a narrow one by searching among the ids that pass it; Chroma's
        own filter is the last resort.
        """
        m = self._manifest
        share = self._lexical.share(filters)
        if share == 0.0:
            return []
        try:
            if share >= BROAD_FILTER_SHARE or not complete:
                n = min(len(self._lexical), int(candidates / share * OVERSAMPLE) + candidates)
                if not complete:
                    n = min(n, WINDOW_NEAREST)
                hits = self._nearest(query, qvec, n)
                dense = self._passing(hits, filters)
                if len(dense) >= candidates or len(hits) < n or not complete:
                    return dense[:candidates]
            matching = self._lexical.matching_ids(filters)
            if len(matching) <= ID_LIST_LIMIT:
                return self._passing(self._store.nearest(qvec, candidates, among=matching), filters)
            hits = self._store.nearest(qvec, candidates, filters)
        except StoreInconsistent as exc:
            # A reindex killed in the middle of a Chroma write can leave records that only a
            # query limited to committed generations steps around; the next reindex removes them.
            log.warning("dense search failed (%s); searching committed generations only", exc)
            hits = self._store.nearest(qvec, candidates, filters, m.generation)
        dense = self._passing(hits, filters)
        if len(dense) < len(hits) and len(hits) == candidates:
            # Chunks of a reindex not yet committed crowd the results: ask again for committed ones only.
            dense = self._passing(self._store.nearest(qvec, candidates, filters, m.generation), filters)
        return dense

    def _passing(self, hits: list[DenseHit], filters: Filters) -> list[DenseHit]:
        return [h for h, ok in zip(hits, self._lexical.passing([h.chunk_id for h in hits], filters)) if ok]
