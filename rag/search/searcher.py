"""Searching a generation as questions need it: hybrid passages, the RERANKER, the question's date window."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone

from ..core.settings import Settings
from ..core.types import Filters, Passage
from .features import Context
from .rerank import LearnedRanker, Reranker, make_reranker
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
    """Searches a generation's retriever: fused passages reordered by the ranking stage (RERANKER),
    and relative time in a question applied as TIME_WINDOWS says."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._reranker: Reranker | LearnedRanker | None = None
        self._made = False

    @property
    def reranker(self) -> Reranker | LearnedRanker | None:
        """The ranking stage RERANKER names, built on first use (its model is loaded when it first ranks)."""
        if not self._made:
            self._reranker = make_reranker(self._settings)
            self._made = True
        return self._reranker

    def _depth(self, k: int) -> int:
        """How many fused passages the ranking stage reorders for ``k`` kept."""
        return max(k, self.reranker.depth) if self.reranker else k

    def search(self, retriever: Retriever, query: str, filters: Filters = Filters(), k: int | None = None,
               complete: bool = True, recent: bool = False) -> list[Passage]:
        """The best passages for a query, hybrid-ranked, duplicates collapsed (see Retriever.search),
        reordered by the ranking stage if there is one."""
        k = k or self._settings.top_k
        context = Context(query, filters.latest)
        return self._reranked(context, self._fused(retriever, query, filters, self._depth(k), complete, recent), k)

    def _fused(self, retriever: Retriever, query: str, filters: Filters, n: int, complete: bool = True,
               recent: bool = False) -> list[Passage]:
        return retriever.search(query, n, filters, self._settings.candidates, complete, recent)

    def _reranked(self, context: Context, passages: list[Passage], k: int) -> list[Passage]:
        if self.reranker is None:
            return passages[:k]
        return self.reranker.rerank(context, passages)[:k]

    def window_of(self, question: str, filters: Filters) -> Window | None:
        """The date window relative time in the question asks for (None with TIME_WINDOWS=off)."""
        if self._settings.time_windows == "off":
            return None
        return resolve_window(question, filters.as_of or today())

    def search_in_time(self, retriever: Retriever, question: str, filters: Filters, window: Window | None,
                       k: int) -> tuple[list[Passage], Window | None]:
        """Search with the question's date window applied as TIME_WINDOWS says, then the ranking stage.

        Returns the passages and the window that was actually used.
        """
        context, passages, used = self.candidates(retriever, question, filters, window, self._depth(k))
        return self._reranked(context, passages, k), used

    def candidates(self, retriever: Retriever, question: str, filters: Filters, window: Window | None,
                   n: int) -> tuple[Context, list[Passage], Window | None]:
        """The ``n`` fused passages the ranking stage reorders, what it knows of the question, and the
        window used.

        ``filter`` searches inside the window only (the whole range when the window holds
        nothing); ``boost`` fuses the search inside the window with the unrestricted one,
        so passages from the window rank first without excluding the rest. Without a window,
        a question that names no time favours newer passages (the retriever's recency prior).
        """
        if window is None:
            # A question that does not say when usually means the latest story (with
            # TIME_WINDOWS=off, one that does say when gets no window and no prior either).
            undated = resolve_window(question, filters.as_of or today()) is None
            return Context(question, filters.latest), self._fused(retriever, question, filters, n,
                                                                  recent=undated), None
        narrowed = narrow(filters, window)
        context = Context(window.query, window.until, (window.since, window.until))
        if self._settings.time_windows == "filter":
            inside = self._fused(retriever, window.query, narrowed, n) if narrowed else []
            if inside:
                return context, inside, window
            return Context(question, filters.latest), self._fused(retriever, question, filters, n), None
        # Inside the window first: its nearest-neighbour list, the longer one, then serves the
        # search over every date too (the retriever keeps it, and the chunks fetched). The window's
        # passages are looked for among the question's nearest chunks overall, not exhaustively:
        # they only need to be found when they are close to the question.
        # The fused passages of both searches are ranked once, together.
        inside = self._fused(retriever, window.query, narrowed, n, complete=False) if narrowed else []
        everywhere = self._fused(retriever, window.query, filters, n)
        fused = rrf([[p.chunk.id for p in inside], [p.chunk.id for p in everywhere]])
        by_id = {p.chunk.id: p for p in everywhere + inside}
        ranked = sorted(by_id, key=lambda cid: -fused[cid])[:n]
        return context, [by_id[cid] for cid in ranked], window if inside else None
