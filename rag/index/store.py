"""The Chroma vector store: embedded on disk by default, a Chroma server when configured.

This is the only module that talks to Chroma. Every chunk carries the generation of the
reindex that wrote it (``gen``); readers only see generations that have been committed
in the manifest, which is what keeps a half-finished reindex invisible.
"""

from __future__ import annotations

import functools
import logging
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

import chromadb
import chromadb.errors
import httpx
import numpy as np
from chromadb.api.models.Collection import Collection

from ..core.errors import ConfigError, RagError, StoreInconsistent
from ..core.settings import Settings
from ..core.sentences import Unit
from ..core.types import Chunk, Filters, day_number

log = logging.getLogger(__name__)

# Written by a fresh process when a collection settles (see settle).
_SETTLE = """
import sys
import chromadb
import numpy as np
path, name, record, dimension = sys.argv[1:]
client = chromadb.PersistentClient(path=path, settings=chromadb.Settings(anonymized_telemetry=False))
collection = client.get_collection(name)
collection.add(ids=[record], embeddings=[np.full(int(dimension), 1.0, dtype=np.float32)])
collection.delete(ids=[record])
"""
SETTLE_ID = "~settle"  # the record written and removed at once
SETTLING = 2  # both thresholds while a collection settles
CHROMA_THRESHOLDS = {"batch_size": 100, "sync_threshold": 1000}  # Chroma's defaults, as collections are made


def chunk_metadata(chunk: Chunk, generation: int) -> dict:
    return {
        "article_id": chunk.article_id,
        "doc_hash": chunk.doc_hash,
        "ordinal": chunk.ordinal,
        "start": chunk.start,
        "end": chunk.end,
        "title": chunk.title,
        "source": chunk.source,
        "url": chunk.url,
        "published": chunk.published.isoformat() if chunk.published else "",
        "day": day_number(chunk.published),
        "gen": generation,
        "sentences": encode_units(chunk.sentences),
    }


def chunk_from(chunk_id: str, text: str, meta: dict) -> Chunk:
    return Chunk(
        id=chunk_id,
        article_id=meta["article_id"],
        doc_hash=meta["doc_hash"],
        ordinal=int(meta["ordinal"]),
        start=int(meta["start"]),
        end=int(meta["end"]),
        text=text,
        title=meta.get("title", ""),
        source=meta.get("source", ""),
        url=meta.get("url", ""),
        published=date.fromisoformat(meta["published"]) if meta.get("published") else None,
        sentences=decode_units(meta.get("sentences", "")),
    )


def where_clause(filters: Filters, generation: int | None) -> dict | None:
    """A Chroma ``where`` for the filters, limited to committed generations unless ``generation`` is None."""
    clauses: list[dict] = [{"gen": {"$lte": generation}}] if generation is not None else []
    if filters.sources:
        clauses.append({"source": {"$in": list(filters.sources)}})
    if filters.since:
        clauses.append({"day": {"$gte": day_number(filters.since)}})
    if filters.latest:
        clauses.append({"day": {"$lte": day_number(filters.latest)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


@dataclass(frozen=True)
class DenseHit:
    chunk_id: str
    similarity: float


class StoreUnavailable(RagError):
    """The Chroma server cannot be reached (stopped, restarting, network down); the message says what to do."""


_UNREACHABLE = "the index store is unreachable: start the Chroma server, or check CHROMA_HOST and CHROMA_PORT"


class _Guarded:
    """A Chroma server client (or one of its collections) whose network failures raise StoreUnavailable.

    Without it a server outage reached the terminal as an 80-line httpx traceback and the bot
    as "something went wrong"; every call through the client goes through here.
    """

    def __init__(self, target: object, where: str) -> None:
        self._target = target
        self._where = where

    def __getattr__(self, name: str):
        value = getattr(self._target, name)
        if not callable(value):
            return value

        @functools.wraps(value)
        def call(*args, **kwargs):
            try:
                result = value(*args, **kwargs)
            except (httpx.TransportError, ConnectionError) as exc:
                log.info("the Chroma server at %s is unreachable: %s", self._where, exc)
                raise StoreUnavailable(_UNREACHABLE) from exc
            return _Guarded(result, self._where) if isinstance(result, Collection) else result

        return call


def describe_store(settings: Settings) -> str:
    """Where the settings keep the store, in a few words (for /status and `stats`)."""
    if settings.chroma_host:
        return f"chroma server {settings.chroma_host}:{settings.chroma_port}"
    return f"chroma on disk in {settings.data_dir}"


def open_client(settings: Settings) -> chromadb.api.ClientAPI:
    """A Chroma client: HttpClient when CHROMA_HOST is set, else on disk in the data folder."""
    chroma_settings = chromadb.Settings(anonymized_telemetry=False)
    if settings.chroma_host:
        token = settings.chroma_token.get_secret_value()
        headers = {"Authorization": f"Bearer {token}"} if token else None
        where = f"{settings.chroma_host}:{settings.chroma_port}"
        try:
            client = chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, ssl=settings.chroma_ssl,
                headers=headers, settings=chroma_settings,
            )
        except (httpx.TransportError, ConnectionError, ValueError) as exc:  # chromadb: "Could not connect"
            log.info("the Chroma server at %s is unreachable: %s", where, exc)
            raise StoreUnavailable(_UNREACHABLE) from exc
        except Exception as exc:
            raise ConfigError(f"cannot use the Chroma server at {where}: {exc}") from exc
        return _Guarded(client, where)
    path = settings.data_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def reopen_client(settings: Settings) -> chromadb.api.ClientAPI:
    """A new client of the embedded store, reading what other processes committed since the last was opened.

    Embedded Chroma keeps a collection's vector index in the process that opened it, and keeps one
    instance per folder, which every client of that folder shares: a process that had the store open
    cannot read the chunks another process's reindex added ("Error finding id"). The instance is let
    go here (not stopped: clients opened before keep reading what they read), so the new client opens
    the folder afresh. Not for a Chroma server, which has no such limit.
    """
    from chromadb.api.shared_system_client import SharedSystemClient

    where = str(settings.data_dir / "chroma")
    SharedSystemClient._identifier_to_system.pop(where, None)  # Chroma's cache of one instance per folder
    SharedSystemClient._identifier_to_refcount.pop(where, None)
    log.info("opening the embedded store again: another process committed a new index generation")
    return open_client(settings)


class ChunkStore:
    """Chunks and their vectors in one Chroma collection."""

    def __init__(self, client: chromadb.api.ClientAPI, name: str) -> None:
        self._client = client
        self._collection = client.get_or_create_collection(
            name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
        )
        self._batch = min(client.get_max_batch_size(), 2000)

    def count(self) -> int:
        return self._collection.count()

    def add(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]], generation: int) -> None:
        """Write chunks with their vectors, tagged with the generation being built."""
        for i in range(0, len(chunks), self._batch):
            part = chunks[i:i + self._batch]
            self._collection.upsert(
                ids=[c.id for c in part],
                embeddings=[list(v) for v in vectors[i:i + self._batch]],
                documents=[c.text for c in part],
                metadatas=[chunk_metadata(c, generation) for c in part],
            )

    def nearest(self, vector: Sequence[float], k: int, filters: Filters = Filters(),
                generation: int | None = None, among: Sequence[str] | None = None) -> list[DenseHit]:
        """Ids and cosine similarities of the ``k`` nearest chunks, best first.

        ``among`` restricts the search to those chunk ids; ``filters`` and ``generation``
        (committed generations only) become a Chroma metadata filter. Only ids and distances
        are fetched: at 100k chunks the search takes ~3 ms, fetching 200 results' documents
        and metadata another ~10 ms, so texts are fetched for the passages kept
        (:meth:`get_with_vectors`).
        A broad metadata filter (one matching most chunks, such as the ``gen`` clause) costs
        ~0.2 s, as Chroma lists every chunk it matches: the retriever avoids them.
        Raises StoreInconsistent where Chroma fails on records an interrupted write left behind.
        """
        if k <= 0 or (among is not None and not among):
            return []
        try:
            res = self._collection.query(
                query_embeddings=[np.asarray(vector, dtype=np.float32)],
                n_results=min(k, len(among)) if among is not None else k,
                ids=list(among) if among is not None else None,
                where=where_clause(filters, generation),
                include=["distances"],
            )
        except chromadb.errors.InternalError as exc:
            raise StoreInconsistent(f"the vector store failed a search: {exc}") from exc
        return [DenseHit(cid, 1.0 - float(dist)) for cid, dist in zip(res["ids"][0], res["distances"][0])]

    def get(self, ids: Sequence[str]) -> dict[str, Chunk]:
        """Chunks by id (missing ids are left out)."""
        if not ids:
            return {}
        res = self._collection.get(ids=list(ids), include=["documents", "metadatas"])
        return {
            cid: chunk_from(cid, doc, meta)
            for cid, doc, meta in zip(res["ids"], res["documents"], res["metadatas"])
        }

    def get_with_vectors(self, ids: Sequence[str]) -> dict[str, tuple[Chunk, np.ndarray]]:
        """Chunks and their stored vectors by id."""
        if not ids:
            return {}
        res = self._collection.get(ids=list(ids), include=["documents", "metadatas", "embeddings"])
        return {
            cid: (chunk_from(cid, doc, meta), np.asarray(vec, dtype=np.float32))
            for cid, doc, meta, vec in zip(res["ids"], res["documents"], res["metadatas"], res["embeddings"])
        }

    def pages(self, size: int = 5000) -> Iterator[list[Chunk]]:
        """Every chunk in the collection, committed or not, ``size`` at a time."""
        offset = 0
        while True:
            res = self._collection.get(include=["documents", "metadatas"], limit=size, offset=offset)
            if not res["ids"]:
                return
            yield [chunk_from(cid, doc, meta)
                   for cid, doc, meta in zip(res["ids"], res["documents"], res["metadatas"])]
            offset += len(res["ids"])

    def scan(self, page: int = 5000) -> Iterator[Chunk]:
        """Every chunk in the collection, committed or not, page by page."""
        for chunks in self.pages(page):
            yield from chunks

    def delete(self, ids: Sequence[str]) -> None:
        for i in range(0, len(ids), self._batch):
            self._collection.delete(ids=list(ids[i:i + self._batch]))

    def delete_uncommitted(self, generation: int) -> int:
        """Remove chunks of generations after ``generation`` (left by an interrupted reindex)."""
        res = self._collection.get(where={"gen": {"$gt": generation}}, include=[])
        self.delete(res["ids"])
        return len(res["ids"])

    @property
    def name(self) -> str:
        return self._collection.name


def settle(client: chromadb.api.ClientAPI, name: str) -> None:
    """Have the embedded Chroma save collection ``name``'s search graph with every record in it, so
    that every process that opens the collection searches the same graph.

    Chroma saves its HNSW graph every ``sync_threshold`` (1000) records; a process that opens the
    collection adds the records written since to the graph again, on several threads, so two
    processes search slightly different graphs and the approximate search can return other
    neighbours at low ranks (between two runs, other candidates for 7 of 3,044 training questions).
    With the thresholds lowered for the moment, a fresh process (the one that loads the graph: a
    process that has it loaded keeps its own thresholds) writes and removes one record, which makes
    Chroma save the whole graph. A Chroma server keeps its graphs itself: nothing to do there.
    """
    config = client.get_settings()
    if not config.is_persistent:
        return
    try:
        collection = client.get_collection(name)
        first = collection.peek(1).get("embeddings")
        if first is None or not len(first):
            return  # empty: no graph yet
        collection.modify(configuration={"hnsw": {"batch_size": SETTLING, "sync_threshold": SETTLING}})
        try:
            done = subprocess.run([sys.executable, "-c", _SETTLE, str(config.persist_directory), name, SETTLE_ID,
                                   str(len(first[0]))], capture_output=True, text=True, timeout=900)
            if done.returncode:
                raise RuntimeError((done.stderr.strip().splitlines() or ["no message"])[-1])
        finally:
            collection.modify(configuration={"hnsw": CHROMA_THRESHOLDS})
    except Exception as exc:  # only the sameness of searches across processes depends on it
        log.warning("the vector store's search graph was not saved whole (%s); searches after a restart "
                    "may differ at low ranks", " ".join(str(exc).split())[:200])


def unsettle(client: chromadb.api.ClientAPI, name: str) -> None:
    """Chroma's own thresholds back on collection ``name`` if a settle was killed with them lowered
    (Chroma would save its whole graph every second record written)."""
    try:
        collection = client.get_collection(name)
        if ((collection.configuration_json or {}).get("hnsw") or {}).get("sync_threshold") == SETTLING:
            collection.modify(configuration={"hnsw": CHROMA_THRESHOLDS})
    except Exception as exc:
        log.warning("could not check the vector store's thresholds (%s)", " ".join(str(exc).split())[:200])


def collection_names(client: chromadb.api.ClientAPI, prefix: str) -> list[str]:
    """Names of the collections that belong to this index (``prefix`` or ``prefix-g<N>``)."""
    names = [c if isinstance(c, str) else c.name for c in client.list_collections()]
    return [n for n in names if n == prefix or n.startswith(prefix + "-g")]


def delete_collection(client: chromadb.api.ClientAPI, name: str) -> None:
    log.info("deleting collection %s", name)
    client.delete_collection(name)


def encode_units(units: Sequence[Unit]) -> str:
    """A compact form for the store's metadata: ``"0,35,s;36,80,h"``."""
    return ";".join(f"{a},{b},{k}" for a, b, k in units)


def decode_units(value: str) -> tuple[Unit, ...]:
    """The sentence marks from their stored form."""
    out = []
    for part in value.split(";") if value else ():
        a, b, k = part.split(",")
        out.append((int(a), int(b), k))
    return tuple(out)
