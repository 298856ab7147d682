"""What a sync did and how each feed stands, and their plain-text forms for the command line."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ...core.types import IndexReport


@dataclass(frozen=True)
class Change:
    """An article written by a sync: its URL, title and file (relative to the corpus folder)."""

    url: str
    title: str
    path: str


@dataclass(frozen=True)
class Failure:
    """A feed or an article that could not be fetched or used, and why."""

    url: str
    reason: str


@dataclass
class SyncReport:
    """What a sync did: articles written (new, updated), URLs found unchanged, failures, the reindex."""

    feeds: int = 0
    new: list[Change] = field(default_factory=list)
    updated: list[Change] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # feeds not modified and articles re-checked unchanged
    failed: list[Failure] = field(default_factory=list)
    index: IndexReport | None = None
    index_error: str = ""
    seconds: float = 0.0

    @property
    def written(self) -> int:
        return len(self.new) + len(self.updated)

    def summary(self) -> str:
        text = (f"{self.feeds} feed{'s' if self.feeds != 1 else ''} checked: {len(self.new)} new, "
                f"{len(self.updated)} updated, {len(self.unchanged)} unchanged, {len(self.failed)} failed "
                f"in {self.seconds:.1f}s")
        if self.index is not None:
            text += f"; index: {self.index.summary()}"
        elif self.index_error:
            text += f"; not indexed yet: {self.index_error}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "feeds": self.feeds,
            "new": [c.__dict__ for c in self.new],
            "updated": [c.__dict__ for c in self.updated],
            "unchanged": list(self.unchanged),
            "failed": [f.__dict__ for f in self.failed],
            "index": self.index.summary() if self.index else None,
            "index_error": self.index_error,
            "seconds": round(self.seconds, 2),
        }


@dataclass(frozen=True)
class FeedStatus:
    """One subscribed feed as /feeds list and /status show it."""

    url: str
    from_settings: bool
    title: str = ""
    last_attempt: str = ""
    last_success: str = ""
    last_error: str = ""
    articles: int = 0
    failed_articles: tuple[Failure, ...] = ()

    @property
    def problem(self) -> str:
        """The feed's error, or its first failed article's, or empty when it is fine."""
        if self.last_error:
            return self.last_error
        if self.failed_articles:
            first = self.failed_articles[0]
            more = len(self.failed_articles) - 1
            return f"article {first.url}: {first.reason}" + (f" (and {more} more)" if more else "")
        return ""


def format_sync_report(report: SyncReport) -> str:
    """Plain-text report of a sync, for the command line."""
    lines = [report.summary()]
    for label, changes in (("new", report.new), ("updated", report.updated)):
        for c in changes:
            lines.append(f"  {label}: {c.title} ({c.url}) -> {c.path}")
    for f in report.failed:
        lines.append(f"  failed {f.url}: {f.reason}")
    return "\n".join(lines)


def format_statuses(statuses: Iterable[FeedStatus]) -> str:
    """Plain-text list of feeds, for the command line."""
    lines = []
    for st in statuses:
        origin = "FEEDS setting" if st.from_settings else "added"
        lines.append(f"{st.url} ({origin}){' ' + st.title if st.title else ''}")
        lines.append(f"  articles: {st.articles}; last success: {st.last_success or 'never'}; "
                     f"last error: {st.problem or 'none'}")
    return "\n".join(lines) if lines else "no feeds: add one with `python -m rag feeds add URL` or FEEDS in .env"

