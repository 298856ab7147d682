"""The answering service: one object the CLI, the terminal chat and the bot share.

A facade that builds the components on first use and delegates: the live index generation
(rag.search.live), its searcher (rag.search.searcher: reranking, date windows), its catalogue of
articles (rag.search.catalogue) and the answer mode with its fallbacks (rag.answer.answering).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from functools import cached_property
from pathlib import Path

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel

from .answer.answering import Answering
from .core.types import Turn
from .answer.llm import ModelCalls, describe, make_chat_model
from .answer.prompts import load_prompts
from .answer.summaries import Sentence, sentences_of
from .answer.timelines import Timeline
from .core.errors import IndexMissing, RagError
from .core.questions import CheckedQuestion, check_question
from .core.settings import Settings
from .core.types import Answer, ArticleRef, Filters, IndexReport, Passage, Progress, no_progress
from .index.embeddings import make_embeddings, spec_for
from .index.indexer import Indexer
from .index.manifest import SCHEMA_VERSION, BuildSpec, Manifest, ManifestStore, this_process
from .index.store import describe_store, open_client, reopen_client
from .search.catalogue import Catalogue, IndexStats, labels
from .search.examples import Examples, examples
from .search.live import LiveIndex
from .search.rerank import LearnedRanker, Reranker
from .search.searcher import Searcher, as_of_today
from .search.timeframe import Window
from .sources.ingest import CorpusFolder


class RagService:
    """Indexes a corpus and answers questions from the committed index."""

    def __init__(self, settings: Settings, embeddings: Embeddings | None = None, client=None,
                 chat_model: BaseChatModel | None = None, model_calls: ModelCalls | None = None) -> None:
        self.settings = settings
        # A collaborator passed in is used as it is; the others are built on first use (cached
        # properties below), so constructing the service is cheap.
        for name, given in (("embeddings", embeddings), ("client", client), ("chat_model", chat_model)):
            if given is not None:
                setattr(self, name, given)
        self.model_calls = model_calls or ModelCalls()  # the chat model's calls, under their deadline
        # Prompts are read and checked now, so a broken template fails at start-up.
        self.prompts = load_prompts() if (settings.llm_enabled or chat_model is not None) else None
        self.searcher = Searcher(settings)
        self._examples: tuple[object, Examples] | None = None  # for the generation they were drawn from
        self._client_lock = threading.Lock()
        self._client_read: object = None  # the manifest stamp the store's client has read up to

    @cached_property
    def embeddings(self) -> Embeddings:
        return make_embeddings(self.settings)

    @cached_property
    def chat_model(self) -> BaseChatModel | None:
        return make_chat_model(self.settings) if self.settings.llm_enabled else None

    @cached_property
    def client(self):
        return open_client(self.settings)

    @cached_property
    def manifests(self) -> ManifestStore:
        shared = self.client if self.settings.chroma_host else None
        return ManifestStore(self.settings.data_dir, shared, self.settings.collection)

    @cached_property
    def live(self) -> LiveIndex:
        """The committed generation answers come from (``live.snapshot()``)."""
        return LiveIndex(self.manifests, self.settings.data_dir, self._client_for, lambda: self.embeddings,
                         self.build_spec)

    def _client_for(self, manifest: Manifest | None = None, stamp: object = None) -> object:
        """The store's client, current for the committed ``manifest`` (read now when not given).

        On the embedded store, a generation another process committed after the client was opened
        (`python -m rag index` beside the bot) is not readable through it: the client is opened again
        (``reopen_client``). Generations this process commits are read through the client that wrote them.
        """
        if self.settings.chroma_host:
            return self.client
        with self._client_lock:
            if manifest is None:
                stamp, manifest = self.manifests.stamp(), self.manifests.read()
            foreign = manifest is not None and manifest.last_reindex.get("writer") != this_process()
            if foreign and "client" in self.__dict__ and stamp != self._client_read:
                self.client = reopen_client(self.settings)
            self._client_read = stamp
            return self.client

    @cached_property
    def answering(self) -> Answering:
        return Answering(self.settings, self.embeddings, self.searcher, self.chat_model, self.prompts,
                         self.model_calls)

    @cached_property
    def _dimension(self) -> int:
        return len(self.embeddings.embed_query("dimension probe"))

    @property
    def answer_mode(self) -> str:
        if not self.settings.llm_enabled and self.chat_model is not None:  # a model passed in
            return f"generative ({type(self.chat_model).__name__})"
        judge = self.answering.judge
        if judge is None or self.settings.llm_enabled:
            return describe(self.settings)
        if not judge.available():  # said in /status and `stats`, as the ranking's state is
            return f"{describe(self.settings)} (answer judge off: {judge.status}; hand-set rules)"
        return f"{describe(self.settings)}, answers judged by the learned models"

    @property
    def reranker(self) -> Reranker | LearnedRanker | None:
        return self.searcher.reranker

    @property
    def ranking(self) -> str:
        """The ranking stage in a few words, or why it is off (for /status and `stats`)."""
        reranker = self.searcher.reranker
        return reranker.describe() if reranker else "fused order (RERANKER=none)"

    def build_spec(self) -> BuildSpec:
        s = self.settings
        return BuildSpec(schema=SCHEMA_VERSION, embedding=spec_for(s).label(), dimension=self._dimension,
                         encoding="cl100k_base", chunk_tokens=s.chunk_tokens, chunk_overlap=s.chunk_overlap)

    def reindex(self, corpus_dir: Path | None = None, full: bool = False,
                progress: Progress = no_progress) -> IndexReport:
        """Bring the index in line with the corpus folder; answers keep coming from the old index meanwhile."""
        corpus = Path(corpus_dir or self.settings.corpus_dir)
        if not corpus.is_dir():
            raise IndexMissing(f"corpus folder {corpus} does not exist")
        s = self.settings
        indexer = Indexer(self.manifests, self._client_for, s.collection, self.embeddings, self.build_spec(),
                          s.embedding_batch_size)
        report, _ = indexer.run(CorpusFolder(corpus, s.max_file_bytes), full=full, progress=progress)
        self.live.snapshot()
        return report

    # Questions: each is checked once (a CheckedQuestion is not checked again) and searched in one snapshot.

    def check_question(self, question: str) -> CheckedQuestion:
        """The question, stripped, or a QuestionError saying what is wrong with it."""
        return check_question(question, self.settings.max_question_tokens)

    def _checked(self, question: str) -> CheckedQuestion:
        return question if isinstance(question, CheckedQuestion) else self.check_question(question)

    def search(self, query: str, filters: Filters = Filters(), k: int | None = None,
               complete: bool = True, recent: bool = False) -> list[Passage]:
        return self.searcher.search(self.live.snapshot().retriever, query, filters, k, complete, recent)

    def window_of(self, question: str, filters: Filters) -> Window | None:
        return self.searcher.window_of(question, filters)

    def search_in_time(self, question: str, filters: Filters, window: Window | None,
                       k: int) -> tuple[list[Passage], Window | None]:
        return self.searcher.search_in_time(self.live.snapshot().retriever, question, filters, window, k)

    def retrieve(self, question: str, filters: Filters, k: int) -> tuple[list[Passage], Window | None]:
        """The passages a question is answered from, time-aware, and the window used if any."""
        return self.search_in_time(question, filters, self.window_of(question, filters), k)

    def ask(self, question: str, filters: Filters = Filters()) -> Answer:
        """Answer a question from the corpus as of ``filters.as_of`` (today when unset), citing passages."""
        q = self._checked(question)
        snap = self.live.snapshot()  # fails fast, before any chat model is loaded, when there is no index
        filters = as_of_today(filters)
        # "What happened this week?" is answered with the week's biggest stories, not searched.
        return self.answering.period(q, filters, Catalogue(snap)) or self.answering.ask(snap.retriever, q, filters)

    def summarize_topic(self, topic: str, filters: Filters = Filters()) -> Answer:
        q = self._checked(topic)
        snap = self.live.snapshot()
        filters = as_of_today(filters)  # the day it is asked, for how current the summary is
        return replace(self.answering.summarize_topic(snap.retriever, q, filters, Catalogue(snap).chunks),
                       as_of=filters.as_of)

    def timeline(self, topic: str, filters: Filters = Filters()) -> Timeline:
        q = self._checked(topic)
        snap = self.live.snapshot()
        return self.answering.timeline(snap.retriever, q, as_of_today(filters), Catalogue(snap).chunks)

    def condense(self, history: Sequence[Turn], followup: str) -> str:
        return self.answering.condense(history, followup)

    # Articles (the bot's /summary and its autocomplete, /status, reindex reports)

    def stats(self) -> IndexStats:
        return Catalogue(self.live.snapshot()).stats(self.answer_mode, describe_store(self.settings), self.ranking)

    def find_articles(self, query: str = "", limit: int = 25) -> list[ArticleRef]:
        return Catalogue(self.live.snapshot()).find(query, limit)

    def resolve_article(self, ref: str) -> str:
        return Catalogue(self.live.snapshot()).resolve(ref)

    def article_sentences(self, article_id: str) -> list[Sentence]:
        return sentences_of(Catalogue(self.live.snapshot()).chunks(article_id))

    def summarize_article(self, article_id: str) -> Answer:
        catalogue = Catalogue(self.live.snapshot())
        return self.answering.summarize_article(catalogue.entry(article_id).title, catalogue.chunks(article_id))

    def examples(self) -> Examples:
        """Examples for the help and the hints, drawn from the committed generation (neutral without one)."""
        now = as_of_today(Filters()).as_of
        try:
            snap = self.live.snapshot()
        except RagError:
            return Examples.neutral(now)
        cached = self._examples
        if cached is None or cached[0] != snap.stamp:
            cached = self._examples = (snap.stamp, examples(Catalogue(snap).find("", 10 ** 9), now))
        return cached[1]

    def article_labels(self) -> dict[str, str]:
        try:
            return labels(self.manifests.read())
        except RagError:
            return {}
