"""Value types shared by every pipeline stage, the CLI and the bot."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from functools import cached_property
from typing import Protocol

from .sentences import mark


@dataclass(frozen=True)
class Article:
    """One news article, normalised, as read from the corpus."""

    id: str
    title: str
    text: str
    source: str = ""
    url: str = ""
    published: date | None = None
    authors: tuple[str, ...] = ()
    origin: str = ""  # where it was read from: a relative path, with ":LINE" for JSON Lines

    @cached_property
    def content_hash(self) -> str:
        """Hash of everything that ends up in the index; a change means re-embedding.

        Computed once per article (every chunk carries it; hashing the text per chunk took
        half the chunking time)."""
        payload = json.dumps(
            [self.title, self.text, self.source, self.url,
             self.published.isoformat() if self.published else None, list(self.authors)],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Skipped:
    """A file or record that was not indexed, and why."""

    origin: str
    reason: str


class Corpus(Protocol):
    """Where the indexer gets its articles: the sources stage reads them (rag.sources.ingest.CorpusFolder)."""

    name: str  # how messages name it, e.g. the folder

    def read(self, progress: Progress = ...) -> tuple[list[Article], list[Skipped]]:
        """Every article, and what could not be read and why; ``progress("reading", files done, files)``
        as it goes."""
        ...


@dataclass(frozen=True)
class Chunk:
    """A token-bounded slice of an article; ``text == article.text[start:end]``."""

    id: str
    article_id: str
    doc_hash: str
    ordinal: int
    start: int
    end: int
    text: str
    title: str
    source: str = ""
    url: str = ""
    published: date | None = None
    # (start, end, kind) of each sentence, relative to ``text``, as marked at indexing
    # (rag.core.sentences: "s" quotable sentence, "h" short line, "f" furniture, "i" instruction).
    sentences: tuple[tuple[int, int, str], ...] = field(default=(), compare=False, repr=False)

    def units(self) -> tuple[tuple[int, int, str], ...]:
        """The sentence marks; a chunk made by hand without them is marked on the spot."""
        if self.sentences:
            return self.sentences
        return tuple(mark(self.text))  # a chunk built outside the indexer (tests, tools)


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with the scores that ranked it."""

    chunk: Chunk
    score: float
    dense: float | None = None  # cosine similarity to the query
    lexical: float | None = None  # BM25 score
    also_in: tuple[str, ...] = ()  # ids of near-duplicate chunks collapsed into this one
    outlets: tuple[str, ...] = ()  # other outlets that ran the same story (not the chunk's own)


@dataclass(frozen=True)
class Citation:
    """A numbered source of an answer: the exact quoted text and where it sits in the article."""

    n: int
    article_id: str
    title: str
    source: str
    published: date | None
    url: str
    quote: str
    start: int  # character span of ``quote`` in the article text
    end: int
    outlets: tuple[str, ...] = ()  # other outlets that ran the same story (not ``source``)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["published"] = self.published.isoformat() if self.published else None
        d["outlets"] = list(self.outlets)
        return d


@dataclass(frozen=True)
class Answer:
    """What the CLI, the bot and the tests get back for a question."""

    question: str
    text: str
    refused: bool
    citations: tuple[Citation, ...] = ()
    mode: str = "extractive"
    notice: str = ""  # a one-line remark for the user (e.g. a fallback happened)
    passages: tuple[Passage, ...] = field(default=(), compare=False, repr=False)
    # Sentences a model wrote and how many of them the verifier rejected (generative mode only).
    written: int = field(default=0, compare=False)
    rejected: int = field(default=0, compare=False)
    as_of: date | None = None  # the date the question was asked as of
    window: str = ""  # the date window relative time in the question asked for, e.g. "this week: 17 – 24 Nov 2026"
    short: str = ""  # the short answer the text opens with in bold ("" when none won clearly)

    @property
    def newest(self) -> date | None:
        """The published date of the newest article the answer cites."""
        dates = [c.published for c in self.citations if c.published]
        return max(dates) if dates else None

    def with_notice(self, notice: str) -> Answer:
        """This answer with ``notice`` after the notices it has (joined by "; ")."""
        return replace(self, notice="; ".join(n for n in (self.notice, notice) if n))

    def currency(self) -> str:
        """How current the answer is: ``as of 24 Nov 2026 · newest source 23 Nov 2026 · this week: …``."""
        parts = []
        if self.as_of:
            parts.append(f"as of {human_date(self.as_of)}")
        if self.newest and not self.refused:
            parts.append(f"newest source {human_date(self.newest)}")
        if self.window:
            parts.append(f"searched {self.window}")
        return " · ".join(parts)

    def to_dict(self) -> dict:
        return {
            "answer": self.text,
            "refused": self.refused,
            "mode": self.mode,
            "notice": self.notice,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "window": self.window,
            "newest_source": self.newest.isoformat() if self.newest else None,
            "short_answer": ({"text": self.short, "n": self.citations[0].n} if self.short and self.citations
                             else None),
            "citations": [c.to_dict() for c in self.citations],
        }


MAX_TURNS = 4  # turns of a conversation kept for its follow-ups


@dataclass(frozen=True)
class Turn:
    """One question of a conversation and its answer, the question in its standalone form."""

    question: str
    answer: str


@dataclass(frozen=True)
class Filters:
    """Restrictions on which articles may be retrieved."""

    sources: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    as_of: date | None = None  # hides articles published after this date

    @property
    def latest(self) -> date | None:
        """The effective upper bound on the published date."""
        bounds = [d for d in (self.until, self.as_of) if d is not None]
        return min(bounds) if bounds else None


Progress = Callable[[str, int, int], None]  # (stage, done, total): how a long job reports its steps


def no_progress(stage: str, done: int, total: int) -> None:
    """A Progress callback that reports nothing."""


def human_date(d: date) -> str:
    """A day as answers, notices and replies write it: "17 Nov 2026"."""
    return d.strftime("%-d %b %Y")


UNDATED = -1  # ``day`` of an article without a published date: kept by as_of/until, dropped by since


def day_number(d: date | None) -> int:
    """Days since 0001-01-01, the form dates take in the store's and the lexical index's filters."""
    return d.toordinal() if d else UNDATED


@dataclass
class IndexReport:
    """What a reindex did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    chunks_embedded: int = 0
    seconds: float = 0.0
    duplicate_groups: int = 0  # groups of two or more near-duplicate articles in the new index
    full: bool = False  # every article was embedded again (a full reindex, or the first one)

    def summary(self) -> str:
        """What the reindex did, in one line: a full one says what it rebuilt, an incremental one what changed."""
        copies = f"; {_count(self.duplicate_groups, 'group')} of duplicate articles" if self.duplicate_groups else ""
        articles = len(self.added) + len(self.updated) + self.unchanged
        passages = _count(self.chunks_embedded, "passage")
        if self.full:
            changes = ", ".join(f"{n:,} {what}" for n, what in ((len(self.added), "added"),
                                (len(self.updated), "updated"), (len(self.removed), "removed")) if n)
            if len(self.added) == articles and not self.removed:  # a new index: every article is new
                done = f"indexed {_count(articles, 'article')}, {passages} in {self.seconds:.1f}s"
            else:
                done = (f"rebuilt {_count(articles, 'article')}, {passages} in {self.seconds:.1f}s"
                        + (f" ({changes} since the last index)" if changes else ""))
            return f"{done}; {len(self.skipped):,} skipped{copies}"
        return (f"{len(self.added):,} added, {len(self.updated):,} updated, {len(self.removed):,} removed, "
                f"{self.unchanged:,} unchanged, {len(self.skipped):,} skipped; "
                f"{passages} embedded in {self.seconds:.1f}s{copies}")


def _count(n: int, word: str) -> str:
    """``1 passage``, ``374 passages``, ``1,200 articles``."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class ArticleRef:
    """An indexed article as offered for picking one: id, title, outlet, date."""

    id: str
    title: str
    source: str = ""
    published: date | None = None
