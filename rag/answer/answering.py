"""The answer mode and its fallbacks: answers, summaries, timelines and follow-ups for checked questions.

Without a chat model everything is extractive. With one, answers, summaries and condensed
follow-ups are written by it, and each falls back to the extractive way (see
:mod:`rag.answer.generative`). A question's searches all go to the one index snapshot it was
given (``retriever``), so a generation committed meanwhile never mixes into an answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel

from ..core.settings import Settings
from ..core.types import Answer, ArticleRef, Chunk, Filters, Passage, Turn, human_date
from ..search.catalogue import Catalogue
from ..search.retrieval import Retriever
from ..search.searcher import Searcher, narrow
from .conversation import condense
from .extractive import ExtractiveAnswerer, outside_window, passages_read
from .judge import AnswerJudge
from .generative import GenerativeAnswerer, Search
from .llm import ModelCalls
from .named import on_topic
from .period import is_open, period_answer
from .prompts import Prompts
from .summaries import TOPIC_ARTICLES, ExtractiveSummarizer, distinct_articles, sentences_of, topic_not_covered
from .timelines import Timeline, build_timeline
from .verify import Verifier

Chunks = Callable[[str], Sequence[Chunk]]  # an article's chunks, in order, by its id


def _admits(filters: Filters, article: ArticleRef) -> bool:
    """Whether a dated article is within the filters' dates and outlets."""
    day = article.published
    return ((filters.since is None or day >= filters.since) and (filters.latest is None or day <= filters.latest)
            and (not filters.sources or article.source in filters.sources))


def _no_search(query: str, filters: Filters, k: int) -> list[Passage]:
    raise RuntimeError("article summaries and condensed follow-ups do not search")


class Answering:
    """Answers checked questions from a snapshot's retriever, in the answer mode the service was given."""

    def __init__(self, settings: Settings, embeddings: Embeddings, searcher: Searcher,
                 chat_model: BaseChatModel | None, prompts: Prompts | None, calls: ModelCalls) -> None:
        self._settings = settings
        self._embeddings = embeddings
        self._searcher = searcher
        self._model = chat_model
        self._prompts = prompts
        self._calls = calls
        # The learned judgement of extractive answers, loaded on its first answer (ANSWER_MODEL).
        self.judge = (AnswerJudge(settings.answer_model_path, refuses=settings.refusal == "learned")
                      if settings.answer_model == "builtin" else None)

    def _extractive(self) -> ExtractiveAnswerer:
        return ExtractiveAnswerer(self._embeddings, self._settings.min_evidence, self.judge)

    def _generative(self, search: Search) -> GenerativeAnswerer:
        return GenerativeAnswerer(self._model, self._prompts, self._settings, search, self._extractive(),
                                  Verifier(self._embeddings), self._calls)

    def _search(self, retriever: Retriever) -> Search:
        return lambda query, filters, k: self._searcher.search(retriever, query, filters, k)

    def ask(self, retriever: Retriever, q: str, filters: Filters) -> Answer:
        """The answer to ``q`` as of ``filters.as_of``; relative time in it becomes a date window."""
        asked = self._searcher.window_of(q, filters)
        if self._model is None:
            passages, window = self._searcher.search_in_time(retriever, q, filters, asked,
                                                             k=passages_read(self._settings.top_k))
            answer = self._extractive().answer(q, passages, (window.since, window.until) if window else None,
                                               latest=window.until if window else filters.as_of)
        else:
            window = asked
            windowed = narrow(filters, window) if window else None
            if windowed is None:
                window = None  # a window outside the filters is not searched, so not named either
            deadline = time.monotonic() + self._settings.llm_timeout  # one LLM_TIMEOUT for both tries
            generative = self._generative(self._search(retriever))
            answer = generative.answer(q, windowed or filters, deadline)
            if window and answer.refused and windowed is not None:  # nothing in the window: ask unwindowed
                # The window has articles, but none answers: say so if the answer quotes none of them.
                answer = outside_window(generative.answer(q, filters, deadline), (window.since, window.until))
                return replace(answer, as_of=filters.as_of, window="")
        if asked and window is None:
            gap = f"nothing indexed is dated {asked.label()}; searched every date up to {human_date(filters.as_of)}"
            answer = answer.with_notice(gap)
        return replace(answer, as_of=filters.as_of, window=window.label() if window else "")

    def period(self, q: str, filters: Filters, catalogue: Catalogue) -> Answer | None:
        """The answer to an open question about a period ("What happened this week?"): its biggest stories
        (rag.answer.period); None for any other question."""
        window = self._searcher.window_of(q, filters)
        if window is None or not is_open(window.query):
            return None
        within = narrow(filters, window)
        refs = catalogue.find("", limit=10 ** 9)
        dated = [a for a in refs if within is not None and a.published and _admits(within, a)]
        newest = max((a.published for a in refs if a.published), default=None)
        answer = period_answer(q, window.phrase, window.label().split(": ", 1)[-1], dated,
                               catalogue.leads(a.id for a in dated), newest)
        return replace(answer, as_of=filters.as_of, window=window.label())

    def summarize_article(self, title: str, chunks: Sequence[Chunk]) -> Answer:
        """The 3 to 6 most central sentences of one article (its chunks, in order), each cited."""
        def extractive() -> Answer:
            return ExtractiveSummarizer(self._embeddings).summarize(title, sentences_of(chunks))

        if self._model is None:
            return extractive()
        return self._generative(_no_search).summarize(title, [[Passage(c, 0.0) for c in chunks]], topic=False,
                                                      fallback=extractive)

    def summarize_topic(self, retriever: Retriever, q: str, filters: Filters, chunks: Chunks) -> Answer:
        """The 3 to 6 most central sentences about a topic across its best articles within the filters."""
        passages = retriever.search(q, max(self._settings.top_k, 8), filters, self._settings.candidates)
        relevant = [p.chunk.article_id for p in on_topic(q, passages)
                    if (p.dense or 0.0) >= self._settings.min_relevance]
        ids = list(dict.fromkeys(relevant))[:TOPIC_ARTICLES]
        if not ids:
            return Answer(question=q, text=topic_not_covered(filters), refused=True)

        def extractive() -> Answer:
            articles = distinct_articles([sentences_of(chunks(aid)) for aid in ids])
            return ExtractiveSummarizer(self._embeddings).summarize(q, [s for a in articles for s in a], topic=q)

        if self._model is None:
            return extractive()
        # One group per article: its passages that the search found, in article order.
        groups = [sorted((p for p in passages if p.chunk.article_id == aid), key=lambda p: p.chunk.ordinal)
                  for aid in ids]
        return self._generative(self._search(retriever)).summarize(q, groups, topic=True, fallback=extractive)

    def timeline(self, retriever: Retriever, q: str, filters: Filters, chunks: Chunks) -> Timeline:
        """The topic's events, one cited sentence per article (wire copies merged), oldest first."""
        return build_timeline(q, filters, self._search(retriever), lambda aid: sentences_of(chunks(aid)),
                              self._extractive(), self._settings)

    def condense(self, history: Sequence[Turn], followup: str) -> str:
        """A follow-up made standalone from the previous turns: by the LLM if there is one, else by rule."""
        if self._model is None:
            return condense(history, followup)
        return self._generative(_no_search).condense(history, followup, rule=lambda: condense(history, followup))
