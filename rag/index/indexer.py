"""Incremental reindexing: embed what is new or changed, commit, then clean up.

The order is what makes a reindex safe to kill: new chunks are written under the next
generation (invisible to readers), the lexical index and the duplicate groups are written to
a new folder, and only then is the manifest replaced. Clean-up of the old versions comes after
the commit, and whatever an interrupted run left behind is removed at the start of the next one.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from langchain_core.embeddings import Embeddings

from . import dedup
from .chunking import chunk_article, embedding_text
from ..core.errors import RagError, ReindexBusy
from .lexical import build_lexical
from .manifest import ArticleEntry, BuildSpec, Manifest, ManifestStore, this_process
from .manifest import check as check_manifest
from .store import ChunkStore, collection_names, delete_collection, settle, unsettle
from ..core.types import Article, Chunk, Corpus, IndexReport, Progress, no_progress

log = logging.getLogger(__name__)

@contextmanager
def reindex_lock(data_dir: Path) -> Iterator[None]:
    """One reindex at a time per data folder, across processes."""
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / ".reindex.lock", os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ReindexBusy("a reindex is already running on this index; try again when it ends") from None
        yield
    finally:
        os.close(fd)


@dataclass(frozen=True)
class _Plan:
    to_embed: list[Article]
    added: list[str]
    updated: list[str]
    removed: list[str]
    unchanged: int


def _plan(articles: list[Article], current: Manifest | None, full: bool) -> _Plan:
    old = current.articles if current else {}
    new_ids = {a.id for a in articles}
    added = [a.id for a in articles if a.id not in old]
    updated = [a.id for a in articles if a.id in old and old[a.id].hash != a.content_hash]
    removed = sorted(set(old) - new_ids)
    if full or current is None:
        to_embed = list(articles)
    else:
        changed = set(added) | set(updated)
        to_embed = [a for a in articles if a.id in changed]
    unchanged = len(articles) - len(added) - len(updated)
    return _Plan(to_embed, added, updated, removed, unchanged)


def _entry(article: Article, chunks: int) -> ArticleEntry:
    return ArticleEntry(
        hash=article.content_hash, chunks=chunks, title=article.title, source=article.source,
        published=article.published.isoformat() if article.published else "", url=article.url,
        origin=article.origin,
    )


def write_batch_size(embedding_batch_size: int) -> int:
    """Chunks embedded per step of a reindex (and written to Chroma while the next step embeds)."""
    return max(1, embedding_batch_size) * 4


class Indexer:
    """Builds and updates the index in a data folder from what a :class:`Corpus` reads (the sources stage
    reads the files; the indexer never opens one)."""

    def __init__(self, manifests: ManifestStore, client: Callable[[], object], collection: str,
                 embeddings: Embeddings, spec: BuildSpec, batch_size: int = 64) -> None:
        self._manifests = manifests
        self._data_dir = manifests.data_dir
        self._open = client  # the store's client, asked for once the reindex holds the lock
        self._client = None
        self._prefix = collection
        self._embeddings = embeddings
        self._spec = spec
        self._write_batch = write_batch_size(batch_size)
        self._embed_batch = max(1, batch_size)

    def run(self, corpus: Corpus, full: bool = False,
            progress: Progress = no_progress) -> tuple[IndexReport, Manifest]:
        """Bring the index in line with what ``corpus`` reads (all of it again with ``full``)."""
        with reindex_lock(self._data_dir):
            # Asked for under the lock: no other process can commit a generation the client has not read.
            self._client = self._open()
            return self._run(corpus, full, progress)

    def _run(self, corpus: Corpus, full: bool, progress: Progress) -> tuple[IndexReport, Manifest]:
        started = time.perf_counter()
        progress("reading", 0, 0)
        articles, skipped = corpus.read(progress)
        current = self._manifests.read()
        if current is not None and not full:
            check_manifest(current, self._spec)
        if not articles and current is not None and current.articles:
            raise RagError(
                f"{corpus.name} has no readable articles; the index keeps its {len(current.articles)} "
                "articles (delete the data folder to start from nothing)"
            )
        plan = _plan(articles, current, full)
        generation = current.generation + 1 if current else 1
        rebuild = full or current is None
        target = f"{self._prefix}-g{generation}" if rebuild else current.collection

        self._clear_leftovers(current, keep=target if not rebuild else None)
        store = ChunkStore(self._client, target)
        unsettle(self._client, target)
        if not rebuild:
            dropped = store.delete_uncommitted(current.generation)
            if dropped:
                log.info("removed %d chunks left by an interrupted reindex", dropped)
        counts, embedded = self._chunk_and_embed(store, plan.to_embed, generation, progress)

        entries = dict(current.articles) if current and not rebuild else {}
        for aid in plan.removed:
            entries.pop(aid, None)
        for a in plan.to_embed:
            entries[a.id] = _entry(a, counts[a.id])
        lexical_dir = f"lexical/gen-{generation}"
        superseded: list[str] = []  # every chunk the new manifest does not point at
        build_lexical(store, entries, self._data_dir / lexical_dir, progress, superseded)
        groups = self._group_duplicates(articles, entries, current if not rebuild else None,
                                        self._data_dir / lexical_dir, progress)

        report = IndexReport(
            added=plan.added, updated=plan.updated, removed=plan.removed, unchanged=plan.unchanged,
            skipped=list(skipped), chunks_embedded=embedded, duplicate_groups=len(groups), full=rebuild,
        )
        report.seconds = time.perf_counter() - started
        new = Manifest(
            spec=self._spec, collection=target, generation=generation, articles=entries,
            lexical=lexical_dir,
            last_reindex={
                "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "summary": report.summary(),
                "skipped": [[s.origin, s.reason] for s in skipped],
                "writer": this_process(),  # readers in other processes open the embedded store again
            },
        )
        self._manifests.write(new)  # the commit point
        progress("committed", 1, 1)
        self._clean_after_commit(current, new, plan, rebuild, superseded)
        progress("settling", 0, 0)
        settle(self._client, new.collection)  # every process that opens it then searches the same graph
        log.info("reindex done: %s", report.summary())
        return report, new

    def _chunk_and_embed(self, store: ChunkStore, articles: list[Article], generation: int,
                         progress: Progress) -> tuple[dict[str, int], int]:
        """Chunk the articles, embed and store their chunks; the chunks per article and their total."""
        pending: list[Chunk] = []
        counts: dict[str, int] = {}
        for done, a in enumerate(articles):
            progress("chunking", done, len(articles))
            chunks = chunk_article(a, self._spec.chunk_tokens, self._spec.chunk_overlap)
            counts[a.id] = len(chunks)
            pending += chunks
        progress("chunking", len(articles), len(articles))
        embedded = len(pending)
        self._embed_and_store(store, pending, generation, progress)  # empties pending as it goes
        return counts, embedded

    def _group_duplicates(self, articles: list[Article], entries: dict[str, ArticleEntry],
                          current: Manifest | None, folder: Path, progress: Progress) -> dedup.Groups:
        """Sign the new and changed articles (the others' signatures carry over) and regroup, into ``folder``."""
        texts = {a.id: a.text for a in articles}
        previous = dedup.Signatures.load(self._data_dir / current.lexical) if current else None
        progress("duplicates", 0, len(entries))
        return dedup.build(folder, previous, {aid: e.hash for aid, e in entries.items()},
                           lambda aid: texts[aid], lambda done, total: progress("duplicates", done, total))

    def _embed_and_store(self, store: ChunkStore, chunks: list[Chunk], generation: int,
                         progress: Progress) -> None:
        """Embed batch after batch while the previous batch is written to Chroma.

        ``chunks`` is emptied batch by batch: a written chunk is held by nothing here, so the
        memory of the chunks falls as Chroma's grows (at 100,000 chunks, ~0.2 GB less at the end).
        """
        total = len(chunks)
        progress("embedding", 0, total)
        done = 0
        with ThreadPoolExecutor(1, thread_name_prefix="chroma-write") as writer:
            pending: Future | None = None
            while chunks:
                part = chunks[:self._write_batch]
                del chunks[:self._write_batch]
                texts = [embedding_text(c) for c in part]
                vectors: list = []
                # Embedded a model batch at a time, so that progress moves while a write batch fills.
                for i in range(0, len(texts), self._embed_batch):
                    vectors += self._embeddings.embed_documents(texts[i:i + self._embed_batch])
                    progress("embedding", done + len(vectors), total)
                if pending is not None:
                    pending.result()  # a failed write stops the reindex before more is embedded
                pending = writer.submit(store.add, part, vectors, generation)
                done += len(part)
                del part, vectors, texts
            if pending is not None:
                pending.result()

    def _clear_leftovers(self, current: Manifest | None, keep: str | None) -> None:
        """Collections and lexical folders no committed manifest points at."""
        live = {current.collection} if current else set()
        for name in collection_names(self._client, self._prefix):
            if name not in live and name != keep:
                delete_collection(self._client, name)
        self._remove_lexical_except(current.lexical if current else None)

    def _remove_lexical_except(self, keep: str | None) -> None:
        root = self._data_dir / "lexical"
        if not root.is_dir():
            return
        for folder in root.iterdir():
            if keep is None or folder != self._data_dir / keep:
                shutil.rmtree(folder, ignore_errors=True)

    def _clean_after_commit(self, old: Manifest | None, new: Manifest, plan: _Plan, rebuild: bool,
                            superseded: list[str]) -> None:
        """Free what the commit superseded.

        ``superseded`` (found while the lexical index was built) also holds the chunks a run
        killed between its commit and this clean-up left behind: they are freed now.
        """
        self._remove_lexical_except(new.lexical)
        if old is None:
            return
        if rebuild:
            if old.collection != new.collection:
                delete_collection(self._client, old.collection)
            return
        stale = {cid for aid in plan.updated + plan.removed for cid in old.chunk_ids(aid)}
        left = set(superseded) - stale
        if left:
            log.info("removing %d chunks superseded by an earlier reindex that was interrupted", len(left))
        ChunkStore(self._client, new.collection).delete(sorted(stale | left))
