"""The articles of an index generation: found by title, named, read back, counted."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np

from ..core.errors import NotFound
from ..core.types import ArticleRef, Chunk
from ..index.manifest import ArticleEntry, Manifest
from .live import Snapshot


@dataclass(frozen=True)
class IndexStats:
    articles: int
    chunks: int
    sources: dict[str, int]
    newest: date | None
    oldest: date | None
    undated: int
    last_reindex: str
    answer_mode: str
    embedding: str
    store: str
    ranking: str = ""  # the ranking stage, or why it is off


def labels(manifest: Manifest | None) -> dict[str, str]:
    """"origin (title)" of every article of a manifest, for reindex reports."""
    return {aid: f"{e.origin} ({e.title})" if e.title else e.origin
            for aid, e in (manifest.articles.items() if manifest else ())}


class Catalogue:
    """The articles of one snapshot (the bot's /summary and its autocomplete, /status)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._manifest = snapshot.manifest
        self._store = snapshot.store

    def find(self, query: str = "", limit: int = 25) -> list[ArticleRef]:
        """Indexed articles whose title has every word of ``query`` (or whose id it is), best first."""
        wanted = " ".join(query.lower().split())
        words = wanted.split()
        hits = [
            ArticleRef(aid, e.title, e.source, date.fromisoformat(e.published) if e.published else None)
            for aid, e in self._manifest.articles.items()
            if aid == wanted or all(w in e.title.lower() for w in words)
        ]
        # Titles starting with the query first, then the newest.
        hits.sort(key=lambda a: (not a.title.lower().startswith(wanted),
                                 -(a.published or date.min).toordinal(), a.title.lower()))
        return hits[:limit]

    def resolve(self, ref: str) -> str:
        """The id of the article ``ref`` names: its id, its exact title, or the only title matching."""
        articles = self._manifest.articles
        ref = " ".join(ref.split())
        if ref in articles:
            return ref
        exact = [aid for aid, e in articles.items() if e.title.lower() == ref.lower()]
        if exact:
            return exact[0]
        matches = self.find(ref, limit=2)
        if len(matches) == 1:
            return matches[0].id
        raise NotFound("no indexed article has that title; pick one from the list as you type")

    def entry(self, article_id: str) -> ArticleEntry:
        entry = self._manifest.articles.get(article_id)
        if entry is None:
            raise NotFound("that article is not in the index (any more); pick one from the list")
        return entry

    def chunks(self, article_id: str) -> list[Chunk]:
        """The chunks of one indexed article, in order (none if it is not in the index)."""
        if article_id not in self._manifest.articles:
            return []
        return sorted(self._store.get(self._manifest.chunk_ids(article_id)).values(), key=lambda c: c.ordinal)

    def leads(self, article_ids: Iterable[str]) -> dict[str, tuple[Chunk, np.ndarray]]:
        """The first passage of each article (its title is embedded with it) and its stored vector."""
        articles = self._manifest.articles
        ids = [self._manifest.chunk_ids(aid)[0] for aid in article_ids if aid in articles and articles[aid].chunks]
        return {chunk.article_id: (chunk, vector) for chunk, vector in self._store.get_with_vectors(ids).values()}

    def stats(self, answer_mode: str, store: str, ranking: str = "") -> IndexStats:
        m = self._manifest
        sources: dict[str, int] = {}
        dates = []
        for a in m.articles.values():
            sources[a.source or "(unknown)"] = sources.get(a.source or "(unknown)", 0) + 1
            if a.published:
                dates.append(date.fromisoformat(a.published))
        return IndexStats(
            articles=len(m.articles), chunks=m.chunk_count,
            sources=dict(sorted(sources.items(), key=lambda kv: -kv[1])),
            newest=max(dates, default=None), oldest=min(dates, default=None),
            undated=len(m.articles) - len(dates),
            last_reindex=m.last_reindex.get("finished", ""), answer_mode=answer_mode,
            embedding=m.spec.embedding, store=store, ranking=ranking,
        )
