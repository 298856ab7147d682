"""Searching a generation as questions need it: hybrid passages, the RERANKER, the question's date window."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone

from ..core.settings import Settings
from ..core.types import Filters, Passage
from ..index.chunking import embedding_text
from .rerank import Reranker, make_scorer
from .retrieval import Retriever, rrf
from .timeframe import Window
from .timeframe import resolve as resolve_window


def today() -> date:
    """The date questions are asked as of when nobody says otherwise (UTC, as Discord timestamps)."""
    return datetime.now(timezone.utc).date()


def as_of_today(filters: Filters) -> Filters:
    """The filters, asked as of today unless they say otherwise: later articles are hidden."""
    return replace(filters, as_of=filters.as_of or today())


def narrow(filters: Filters, window: Window) -> Filters | None:
    """``filters`` restricted to ``window``, or None when the two do not overlap."""
    since = max((d for d in (filters.since, window.since) if d), default=None)
    until = min(d for d in (filters.until, window.until) if d)
    if since and until < since:
        return None
    return replace(filters, since=since, until=until)


class Searcher:
    """Searches a generation's retriever: fused passages reordered by the RERANKER if there is one,
    and relative time in a question applied as TIME_WINDOWS says."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._reranker: Reranker | None = None

    @property
    def reranker(self) -> Reranker | None:
        """The RERANKER, built on first use (a model folder is loaded when it first scores)."""
        if self._reranker is None and self._settings.reranker.lower() != "none":
            scorer = make_scorer(self._settings.reranker, self._settings.reranker_model,
                                 self._settings.reranker_api_key.get_secret_value())
            self._reranker = Reranker(scorer, self._settings.rerank_timeout)
        return self._reranker

    def search(self, retriever: Retriever, query: str, filters: Filters = Filters(), k: int | None = None,
               complete: bool = True, recent: bool = False) -> list[Passage]:
        """The best passages for a query, hybrid-ranked, duplicates collapsed (see Retriever.search),
        reordered by the RERANKER if there is one."""
        k = k or self._settings.top_k
        return self._reranked(query, self._fused(retriever, query, filters, k, complete, recent), k)

    def _fused(self, retriever: Retriever, query: str, filters: Filters, k: int, complete: bool = True,
               recent: bool = False) -> list[Passage]:
        """The fused passages, as many as the reranker reorders when there is one."""
        n = max(k, self._settings.rerank_candidates) if self.reranker else k
        return retriever.search(query, n, filters, self._settings.candidates, complete, recent)

    def _reranked(self, query: str, passages: list[Passage], k: int) -> list[Passage]:
        if self.reranker is None:
            return passages[:k]
        return self.reranker.rerank(query, passages, [embedding_text(p.chunk) for p in passages])[:k]

    def window_of(self, question: str, filters: Filters) -> Window | None:
        """The date window relative time in the question asks for (None with TIME_WINDOWS=off)."""
        if self._settings.time_windows == "off":
            return None
        return resolve_window(question, filters.as_of or today())

    def search_in_time(self, retriever: Retriever, question: str, filters: Filters, window: Window | None,
                       k: int) -> tuple[list[Passage], Window | None]:
        """Search with the question's date window applied as TIME_WINDOWS says.

        ``filter`` searches inside the window only (the whole range when the window holds
        nothing); ``boost`` fuses the search inside the window with the unrestricted one,
        so passages from the window rank first without excluding the rest. Without a window,
        a question that names no time favours newer passages (the retriever's recency prior).
        Returns the passages and the window that was actually used.
        """
        if window is None:
            # A question that does not say when usually means the latest story (with
            # TIME_WINDOWS=off, one that does say when gets no window and no prior either).
            undated = resolve_window(question, filters.as_of or today()) is None
            return self.search(retriever, question, filters, k=k, recent=undated), None
        narrowed = narrow(filters, window)
        if self._settings.time_windows == "filter":
            inside = self.search(retriever, window.query, narrowed, k=k) if narrowed else []
            if inside:
                return inside, window
            return self.search(retriever, question, filters, k=k), None
        n = max(k, self._settings.rerank_candidates) if self.reranker else k
        # Inside the window first: its nearest-neighbour list, the longer one, then serves the
        # search over every date too (the retriever keeps it, and the chunks fetched). The window's
        # passages are looked for among the question's nearest chunks overall, not exhaustively:
        # they only need to be found when they are close to the question.
        # With a reranker, the fused passages of both searches are reranked once, together.
        inside = self._fused(retriever, window.query, narrowed, n, complete=False) if narrowed else []
        everywhere = self._fused(retriever, window.query, filters, n)
        fused = rrf([[p.chunk.id for p in inside], [p.chunk.id for p in everywhere]])
        by_id = {p.chunk.id: p for p in everywhere + inside}
        ranked = sorted(by_id, key=lambda cid: -fused[cid])[:n]
        return self._reranked(window.query, [by_id[cid] for cid in ranked], k), window if inside else None
