"""The answering service: one object the CLI, the terminal chat and the bot share."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from pathlib import Path

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel

from . import dedup
from . import manifest as manifest_io
from .answer import ExtractiveAnswerer
from .chunking import embedding_text
from .conversation import Turn, condense
from .embeddings import make_embeddings, spec_for
from .errors import IndexMissing, NotFound, QuestionError, RagError
from .generate import GenerativeAnswerer
from .indexer import Indexer, Progress, no_progress, build_lexical
from .lexical import LexicalIndex
from .llm import describe as describe_llm
from .llm import make_chat_model
from .manifest import BuildSpec, Manifest, ManifestStore
from .prompts import load_prompts
from .rerank import Reranker, make_scorer
from .retrieval import Retriever, rrf
from .settings import Settings
from .store import ChunkStore, open_client
from .tokens import count_tokens
from .timeframe import Window
from .timeframe import resolve as resolve_window
from .timeline import Timeline, build_timeline
from .summarize import (TOPIC_ARTICLES, TOPIC_NOT_COVERED, ExtractiveSummarizer, Sentence, distinct_articles,
                        sentences_of)
from .types import Answer, ArticleRef, Filters, IndexReport, Passage
from .verify import Verifier

log = logging.getLogger(__name__)

_SURROGATES = re.compile("[\ud800-\udfff]")


def today() -> date:
    """The date questions are asked as of when nobody says otherwise (UTC, as Discord timestamps)."""
    return datetime.now(timezone.utc).date()


def _narrow(filters: Filters, window: Window) -> Filters | None:
    """``filters`` restricted to ``window``, or None when the two do not overlap."""
    since = max((d for d in (filters.since, window.since) if d), default=None)
    until = min(d for d in (filters.until, window.until) if d)
    if since and until < since:
        return None
    return replace(filters, since=since, until=until)


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


@dataclass(frozen=True)
class _Snapshot:
    manifest: Manifest
    retriever: Retriever
    stamp: object  # the manifest's stamp when loaded


class RagService:
    """Indexes a corpus and answers questions from the committed index."""

    def __init__(self, settings: Settings, embeddings: Embeddings | None = None, client=None,
                 chat_model: BaseChatModel | None = None) -> None:
        self.settings = settings
        self._embeddings = embeddings
        self._client = client
        self._chat_model = chat_model
        self._manifests: ManifestStore | None = None
        # Prompts are read and checked now, so a broken template fails at start-up.
        self.prompts = load_prompts() if (settings.llm_enabled or chat_model is not None) else None
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None
        self._dimension: int | None = None
        self._reranker: Reranker | None = None

    # Collaborators are built on first use, so constructing the service is cheap.
    @property
    def embeddings(self) -> Embeddings:
        if self._embeddings is None:
            self._embeddings = make_embeddings(self.settings)
        return self._embeddings

    @property
    def chat_model(self) -> BaseChatModel | None:
        if self._chat_model is None and self.settings.llm_enabled:
            self._chat_model = make_chat_model(self.settings)
        return self._chat_model

    @property
    def answer_mode(self) -> str:
        if self._chat_model is not None and not self.settings.llm_enabled:
            return f"generative ({type(self._chat_model).__name__})"
        return describe_llm(self.settings)

    @property
    def client(self):
        if self._client is None:
            self._client = open_client(self.settings)
        return self._client

    def build_spec(self) -> BuildSpec:
        if self._dimension is None:
            self._dimension = len(self.embeddings.embed_query("dimension probe"))
        return BuildSpec(
            schema=manifest_io.SCHEMA_VERSION,
            embedding=spec_for(self.settings).label(),
            dimension=self._dimension,
            encoding="cl100k_base",
            chunk_tokens=self.settings.chunk_tokens,
            chunk_overlap=self.settings.chunk_overlap,
        )

    # Indexing

    def reindex(self, corpus_dir: Path | None = None, full: bool = False,
                progress: Progress = no_progress) -> IndexReport:
        """Bring the index in line with the corpus folder; answers keep coming from the old index meanwhile."""
        corpus = Path(corpus_dir or self.settings.corpus_dir)
        if not corpus.is_dir():
            raise IndexMissing(f"corpus folder {corpus} does not exist")
        indexer = Indexer(self.manifests, self.client, self.settings.collection,
                          self.embeddings, self.build_spec(), self.settings.embedding_batch_size,
                          self.settings.max_file_bytes)
        report, _ = indexer.run(corpus, full=full, progress=progress)
        self._refresh()
        return report

    # Answering

    @property
    def manifests(self) -> ManifestStore:
        if self._manifests is None:
            shared = self.client if self.settings.chroma_host else None
            self._manifests = ManifestStore(self.settings.data_dir, shared, self.settings.collection)
        return self._manifests

    def _refresh(self) -> _Snapshot:
        """The current snapshot, reloaded when a new manifest has been committed."""
        stamp = self.manifests.stamp()
        if stamp is None:
            raise IndexMissing(f"no index in {self.manifests.where()}: build it with `python -m rag index`")
        snap = self._snapshot
        if snap is not None and snap.stamp == stamp:
            return snap
        # One thread loads a new generation (rebuilding its lexical index and duplicate groups
        # when they were written on another machine, which can take minutes); the others keep
        # answering from the current snapshot meanwhile, and wait only when there is none yet.
        if not self._lock.acquire(blocking=snap is None):
            return snap
        try:
            snap = self._snapshot
            if snap is not None and snap.stamp == stamp:
                return snap
            manifest = self.manifests.require(self.build_spec())
            store = ChunkStore(self.client, manifest.collection)
            folder = self.settings.data_dir / manifest.lexical
            if (folder / "fields.json").exists():
                lexical = LexicalIndex.load(folder)
            else:  # written by an indexer on another machine: rebuild it here from the store
                log.info("building the lexical index for generation %d from the store", manifest.generation)
                folder.parent.mkdir(parents=True, exist_ok=True)
                lexical = build_lexical(store, manifest.articles, folder)
            groups = dedup.load(folder)
            if groups is None:  # written by an older version, or on another machine: rebuild from the store
                log.info("finding duplicate articles for generation %d from the store", manifest.generation)
                groups = dedup.build_from_chunks(folder, store.scan(),
                                                 {aid: e.hash for aid, e in manifest.articles.items()})
            retriever = Retriever(store, lexical, manifest, self.embeddings, groups)
            snap = _Snapshot(manifest, retriever, stamp)
            self._snapshot = snap
            log.info("serving index generation %d (%d article%s)", manifest.generation,
                     len(manifest.articles), "" if len(manifest.articles) == 1 else "s")
            return snap
        finally:
            self._lock.release()

    def check_question(self, question: str) -> str:
        """The question, stripped, or a QuestionError saying what is wrong with it."""
        q = " ".join(_SURROGATES.sub("\ufffd", question).split())  # undecodable bytes (argv, stdin)
        if not q:
            raise QuestionError("the question is empty")
        n = count_tokens(q)
        if n > self.settings.max_question_tokens:
            raise QuestionError(
                f"the question is {n} tokens long; the limit is {self.settings.max_question_tokens}"
            )
        return q

    def search(self, query: str, filters: Filters = Filters(), k: int | None = None,
               complete: bool = True, recent: bool = False) -> list[Passage]:
        """The best passages for a query, hybrid-ranked, duplicates collapsed (see Retriever.search),
        reordered by the RERANKER if there is one."""
        k = k or self.settings.top_k
        return self._reranked(query, self._fused(query, filters, k, complete, recent), k)

    @property
    def reranker(self) -> Reranker | None:
        """The RERANKER, built on first use (a model folder is loaded when it first scores)."""
        if self._reranker is None and self.settings.reranker.lower() != "none":
            scorer = make_scorer(self.settings.reranker, self.settings.reranker_model,
                                 self.settings.reranker_api_key.get_secret_value())
            self._reranker = Reranker(scorer, self.settings.rerank_timeout)
        return self._reranker

    def _fused(self, query: str, filters: Filters, k: int, complete: bool = True,
               recent: bool = False) -> list[Passage]:
        """The fused passages, as many as the reranker reorders when there is one."""
        snap = self._refresh()
        n = max(k, self.settings.rerank_candidates) if self.reranker else k
        return snap.retriever.search(query, n, filters, self.settings.candidates, complete, recent)

    def _reranked(self, query: str, passages: list[Passage], k: int) -> list[Passage]:
        if self.reranker is None:
            return passages[:k]
        return self.reranker.rerank(query, passages, [embedding_text(p.chunk) for p in passages])[:k]

    def ask(self, question: str, filters: Filters = Filters()) -> Answer:
        """Answer a question from the corpus, citing passages, or say the corpus does not cover it.

        The question is asked as of ``filters.as_of`` (today when unset): later articles are
        hidden, and relative time in it ("this week", "in July") becomes a date window.
        """
        q = self.check_question(question)
        self._refresh()  # fails fast, before any model is loaded, when there is no index
        filters = replace(filters, as_of=filters.as_of or today())
        asked = self.window_of(q, filters)
        if self.chat_model is None:
            extractive = ExtractiveAnswerer(self.embeddings, self.settings.min_evidence)
            passages, window = self.search_in_time(q, filters, asked, k=max(self.settings.top_k, 8))
            answer = extractive.answer(q, passages, (window.since, window.until) if window else None)
        else:
            window = asked
            windowed = _narrow(filters, window) if window else None
            if windowed is None:
                window = None  # a window outside the filters is not searched, so not named either
            deadline = time.monotonic() + self.settings.llm_timeout  # one LLM_TIMEOUT for both tries
            answer = self._generative().answer(q, windowed or filters, deadline)
            if window and answer.refused and windowed is not None:  # nothing in the window: ask unwindowed
                answer, window = self._generative().answer(q, filters, deadline), None
        if asked and window is None:
            gap = f"nothing indexed is dated {asked.label()}; searched every date up to {filters.as_of.strftime('%-d %b %Y')}"
            answer = replace(answer, notice="; ".join(n for n in (answer.notice, gap) if n))
        return replace(answer, as_of=filters.as_of, window=window.label() if window else "")

    def window_of(self, question: str, filters: Filters) -> Window | None:
        """The date window relative time in the question asks for (None with TIME_WINDOWS=off)."""
        if self.settings.time_windows == "off":
            return None
        return resolve_window(question, filters.as_of or today())

    def retrieve(self, question: str, filters: Filters, k: int) -> tuple[list[Passage], Window | None]:
        """The passages a question is answered from, time-aware, and the window used if any."""
        return self.search_in_time(question, filters, self.window_of(question, filters), k)

    def search_in_time(self, question: str, filters: Filters, window: Window | None,
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
            return self.search(question, filters, k=k, recent=undated), None
        narrowed = _narrow(filters, window)
        if self.settings.time_windows == "filter":
            inside = self.search(window.query, narrowed, k=k) if narrowed else []
            if inside:
                return inside, window
            return self.search(question, filters, k=k), None
        n = max(k, self.settings.rerank_candidates) if self.reranker else k
        # Inside the window first: its nearest-neighbour list, the longer one, then serves the
        # search over every date too (the retriever keeps it, and the chunks fetched). The window's
        # passages are looked for among the question's nearest chunks overall, not exhaustively:
        # they only need to be found when they are close to the question.
        # With a reranker, the fused passages of both searches are reranked once, together.
        inside = self._fused(window.query, narrowed, n, complete=False) if narrowed else []
        everywhere = self._fused(window.query, filters, n)
        fused = rrf([[p.chunk.id for p in inside], [p.chunk.id for p in everywhere]])
        by_id = {p.chunk.id: p for p in everywhere + inside}
        ranked = sorted(by_id, key=lambda cid: -fused[cid])[:n]
        return self._reranked(window.query, [by_id[cid] for cid in ranked], k), window if inside else None

    def _generative(self) -> GenerativeAnswerer:
        return GenerativeAnswerer(self.chat_model, self.prompts, self.settings,
                                  lambda query, f, k: self.search(query, f, k),
                                  ExtractiveAnswerer(self.embeddings, self.settings.min_evidence),
                                  Verifier(self.embeddings))

    def stats(self) -> IndexStats:
        m = self._refresh().manifest
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
            last_reindex=m.last_reindex.get("finished", ""), answer_mode=self.answer_mode,
            embedding=m.spec.embedding,
            store=(f"chroma server {self.settings.chroma_host}:{self.settings.chroma_port}"
                   if self.settings.chroma_host else f"chroma on disk in {self.settings.data_dir}"),
        )

    # --- Articles and summaries (the bot's /summary and its autocomplete) -----------------

    def find_articles(self, query: str = "", limit: int = 25) -> list[ArticleRef]:
        """Indexed articles whose title has every word of ``query`` (or whose id it is), best first."""
        m = self._refresh().manifest
        wanted = " ".join(query.lower().split())
        words = wanted.split()
        hits = [
            ArticleRef(aid, e.title, e.source, date.fromisoformat(e.published) if e.published else None)
            for aid, e in m.articles.items()
            if aid == wanted or all(w in e.title.lower() for w in words)
        ]
        # Titles starting with the query first, then the newest.
        hits.sort(key=lambda a: (not a.title.lower().startswith(wanted),
                                 -(a.published or date.min).toordinal(), a.title.lower()))
        return hits[:limit]

    def resolve_article(self, ref: str) -> str:
        """The id of the article ``ref`` names: its id, its exact title, or the only title matching."""
        m = self._refresh().manifest
        ref = " ".join(ref.split())
        if ref in m.articles:
            return ref
        exact = [aid for aid, e in m.articles.items() if e.title.lower() == ref.lower()]
        if exact:
            return exact[0]
        matches = self.find_articles(ref, limit=2)
        if len(matches) == 1:
            return matches[0].id
        raise NotFound("no indexed article has that title; pick one from the list as you type")

    def article_labels(self) -> dict[str, str]:
        """"origin (title)" of every article in the committed index, for reindex reports."""
        try:
            m = self.manifests.read()
        except RagError:
            return {}
        return {aid: f"{e.origin} ({e.title})" if e.title else e.origin
                for aid, e in (m.articles.items() if m else ())}

    def _sentences(self, snap: _Snapshot, article_id: str) -> list[Sentence]:
        store = ChunkStore(self.client, snap.manifest.collection)
        return sentences_of(store.get(snap.manifest.chunk_ids(article_id)).values())

    def article_sentences(self, article_id: str) -> list[Sentence]:
        """The sentences of one indexed article, in order (none if it is not in the index)."""
        snap = self._refresh()
        if article_id not in snap.manifest.articles:
            return []
        return self._sentences(snap, article_id)

    def summarize_article(self, article_id: str) -> Answer:
        """The 3 to 6 most central sentences of one article, each cited."""
        snap = self._refresh()
        entry = snap.manifest.articles.get(article_id)
        if entry is None:
            raise NotFound("that article is not in the index (any more); pick one from the list")
        def extractive() -> Answer:
            return ExtractiveSummarizer(self.embeddings).summarize(entry.title, self._sentences(snap, article_id))

        if self.chat_model is None:
            return extractive()
        store = ChunkStore(self.client, snap.manifest.collection)
        chunks = sorted(store.get(snap.manifest.chunk_ids(article_id)).values(), key=lambda c: c.ordinal)
        return self._generative().summarize(entry.title,
                                            [[Passage(c, 0.0) for c in chunks]], topic=False,
                                            fallback=extractive)

    def summarize_topic(self, topic: str, filters: Filters = Filters()) -> Answer:
        """The 3 to 6 most central sentences about a topic across its best articles within the filters."""
        q = self.check_question(topic)
        snap = self._refresh()
        filters = replace(filters, as_of=filters.as_of or today())  # as /ask: later articles are hidden
        passages = snap.retriever.search(q, max(self.settings.top_k, 8), filters, self.settings.candidates)
        relevant = [p.chunk.article_id for p in passages if (p.dense or 0.0) >= self.settings.min_relevance]
        ids = list(dict.fromkeys(relevant))[:TOPIC_ARTICLES]
        if not ids:
            return Answer(question=q, text=TOPIC_NOT_COVERED, refused=True)
        def extractive() -> Answer:
            articles = distinct_articles([self._sentences(snap, aid) for aid in ids])
            return ExtractiveSummarizer(self.embeddings).summarize(q, [s for a in articles for s in a], topic=q)

        if self.chat_model is None:
            return extractive()
        # One group per article: its passages that the search found, in article order.
        groups = [sorted((p for p in passages if p.chunk.article_id == aid), key=lambda p: p.chunk.ordinal)
                  for aid in ids]
        return self._generative().summarize(q, groups, topic=True, fallback=extractive)

    def timeline(self, topic: str, filters: Filters = Filters()) -> Timeline:
        """The topic's events, one cited sentence per article (wire copies merged), oldest first."""
        return build_timeline(self, topic, replace(filters, as_of=filters.as_of or today()))

    # --- Conversations (the bot's threads) ------------------------------------------------

    def condense(self, history: Sequence[Turn], followup: str) -> str:
        """A follow-up made standalone from the previous turns: by the LLM if there is one, else by rule."""
        if self.chat_model is None:
            return condense(history, followup)
        return self._generative().condense(history, followup, rule=lambda: condense(history, followup))
