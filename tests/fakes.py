"""Fakes for what a test does not run for real, recording what they were asked.

Scripted chat models (replies and tool calls written in the test) stand in for remote LLM
APIs; ``FakeService`` stands in for the answering service under the bot's cogs when a test
is about the bot's formatting and flow rather than about the answers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime, timezone
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatResult
from pydantic import Field

from rag.answer.extractive import NOT_COVERED
from rag.answer.summaries import TOPIC_NOT_COVERED
from rag.core.errors import NotFound
from rag.core.settings import Settings
from rag.core.types import Answer, ArticleRef, Filters, IndexReport, Progress, no_progress
from rag.search.examples import Examples, examples
from rag.service import IndexStats, RagService


class ScriptedChatModel(GenericFakeChatModel):
    """Replies with the scripted messages in order; supports tool binding like a real model."""

    sent: list = Field(default_factory=list)

    @classmethod
    def replying(cls, *replies: str | AIMessage) -> ScriptedChatModel:
        return cls(messages=iter([r if isinstance(r, AIMessage) else AIMessage(r) for r in replies]))

    def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedChatModel:
        return self

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        self.sent.append(list(messages))
        return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)


class FailingChatModel(ScriptedChatModel):
    """Raises the given error on every call, like a provider that is down or rate-limiting."""

    error: Exception = Field(default_factory=lambda: RuntimeError("provider down"))

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        self.sent.append(list(messages))
        raise self.error


class SlowChatModel(ScriptedChatModel):
    """Takes ``delay`` seconds before answering, like a model that hangs."""

    delay: float = 5.0

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        self.sent.append(list(messages))
        time.sleep(self.delay)
        return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)


def tool_call(query: str, call_id: str = "call-1", **args: Any) -> AIMessage:
    return AIMessage("", tool_calls=[{"name": "search", "args": {"query": query, **args}, "id": call_id}])


class FakeService:
    """The ``RagService`` methods the bot's cogs call, with no index behind them.

    Answers, summaries and the reindex report are the ones the test gives (real
    ``rag.core.types`` values); a question nobody gave an answer for is refused as the
    extractive core refuses it. Checking a question and condensing a follow-up are the real
    rules (a ``RagService`` without an index does both). Every call is recorded in ``calls``.
    """

    def __init__(self, settings: Settings, articles: Iterable[ArticleRef] = (),
                 answers: Mapping[str, Answer] | None = None, summaries: Mapping[str, Answer] | None = None,
                 report: IndexReport | None = None, labels: Mapping[str, str] | None = None) -> None:
        self.settings = settings
        self.articles = list(articles)
        self.answers = dict(answers or {})  # by question, as asked after the check
        self.summaries = dict(summaries or {})  # by article id, or by topic
        self.report = report or IndexReport()
        self.labels = dict(labels or {})  # article_labels() before and after a reindex
        self.calls: list[tuple[str, tuple]] = []
        self._rules = RagService(settings)  # opens nothing until an index is needed, which it never is
        self._lock = threading.Lock()  # the cogs call from worker threads

    def _called(self, name: str, *args: Any) -> None:
        with self._lock:
            self.calls.append((name, args))

    def called(self, name: str) -> list[tuple]:
        """The arguments of each call of ``name``, in order."""
        return [args for n, args in self.calls if n == name]

    # The real rules.

    def check_question(self, question: str) -> str:
        self._called("check_question", question)
        return self._rules.check_question(question)

    def condense(self, history, followup: str) -> str:
        self._called("condense", tuple(history), followup)
        return self._rules.condense(history, followup)

    # Answers.

    def ask(self, question: str, filters: Filters = Filters()) -> Answer:
        self._called("ask", question, filters)
        q = self._rules.check_question(question)
        answer = self.answers.get(q) or Answer(question=q, text=NOT_COVERED, refused=True)
        return replace(answer, question=q, as_of=filters.as_of or datetime.now(timezone.utc).date())

    def summarize_article(self, article_id: str) -> Answer:
        self._called("summarize_article", article_id)
        if article_id not in self.summaries:
            raise NotFound("that article is not in the index (any more); pick one from the list")
        return self.summaries[article_id]

    def summarize_topic(self, topic: str, filters: Filters = Filters()) -> Answer:
        self._called("summarize_topic", topic, filters)
        q = self._rules.check_question(topic)
        return self.summaries.get(q) or Answer(question=q, text=TOPIC_NOT_COVERED, refused=True)

    # Articles.

    def stats(self) -> IndexStats:
        self._called("stats")
        sources: dict[str, int] = {}
        for a in self.articles:
            sources[a.source or "(unknown)"] = sources.get(a.source or "(unknown)", 0) + 1
        dates = [a.published for a in self.articles if a.published]
        return IndexStats(articles=len(self.articles), chunks=2 * len(self.articles),
                          sources=dict(sorted(sources.items(), key=lambda kv: -kv[1])),
                          newest=max(dates, default=None), oldest=min(dates, default=None),
                          undated=len(self.articles) - len(dates), last_reindex="2024-03-21T09:00:00+0000",
                          answer_mode=self._rules.answer_mode, embedding="local:all-MiniLM-L6-v2+ct2-int8",
                          store=f"chroma on disk in {self.settings.data_dir}")

    def find_articles(self, query: str = "", limit: int = 25) -> list[ArticleRef]:
        self._called("find_articles", query, limit)
        words = query.lower().split()
        hits = [a for a in self.articles if a.id == query or all(w in a.title.lower() for w in words)]
        return sorted(hits, key=lambda a: -(a.published or date.min).toordinal())[:limit]

    def resolve_article(self, ref: str) -> str:
        self._called("resolve_article", ref)
        matches = [a.id for a in self.articles if ref in (a.id, a.title)] or [a.id for a in self.find_articles(ref, 2)]
        if len(matches) != 1:
            raise NotFound("no indexed article has that title; pick one from the list as you type")
        return matches[0]

    # Reindexing.

    def examples(self) -> Examples:
        """The real examples, drawn from the fake's articles."""
        self._called("examples")
        return examples(self.articles, date.today())

    def article_labels(self) -> dict[str, str]:
        self._called("article_labels")
        return dict(self.labels)

    def reindex(self, corpus_dir=None, full: bool = False, progress: Progress = no_progress) -> IndexReport:
        self._called("reindex", corpus_dir, full)
        for stage, done, total in (("reading", 0, 0), ("embedding", 0, 1), ("embedding", 1, 1), ("committed", 0, 0)):
            progress(stage, done, total)
        return self.report
