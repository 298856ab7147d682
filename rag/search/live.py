"""The live index generation: what answers come from, reloaded when a new manifest is committed."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from langchain_core.embeddings import Embeddings

from ..core.errors import IndexMissing
from ..index import dedup
from ..index.lexical import LexicalIndex, build_lexical
from ..index.manifest import BuildSpec, Manifest, ManifestStore
from ..index.store import ChunkStore
from .retrieval import Retriever

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """One committed generation: its manifest, its chunks and the retriever that searches them."""

    manifest: Manifest
    store: ChunkStore
    retriever: Retriever
    stamp: object  # the manifest's stamp when loaded


class LiveIndex:
    """The snapshot of the committed generation, checked against the manifest's stamp at each use.

    The Chroma client and the embedding model are asked for (``client(manifest, stamp)``, ``embeddings()``)
    only when a generation is loaded, after the stamp says there is one; the client is asked for the
    manifest being loaded, as the embedded store must be opened again for a generation another process
    committed (see ``RagService``).
    """

    def __init__(self, manifests: ManifestStore, data_dir: Path, client: Callable[[Manifest, object], object],
                 embeddings: Callable[[], Embeddings], spec: Callable[[], BuildSpec]) -> None:
        self._manifests = manifests
        self._data_dir = data_dir
        self._client = client
        self._embeddings = embeddings
        self._spec = spec
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None

    def snapshot(self) -> Snapshot:
        """The current snapshot, reloaded when a new manifest has been committed."""
        stamp = self._manifests.stamp()
        if stamp is None:
            raise IndexMissing(f"no index in {self._manifests.where()}: build it with `python -m rag index`")
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
            if snap is None or snap.stamp != stamp:
                snap = self._snapshot = self._load(stamp)
            return snap
        finally:
            self._lock.release()

    def _load(self, stamp: object) -> Snapshot:
        manifest = self._manifests.require(self._spec())
        store = ChunkStore(self._client(manifest, stamp), manifest.collection)
        folder = self._data_dir / manifest.lexical
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
        retriever = Retriever(store, lexical, manifest, self._embeddings(), groups)
        log.info("serving index generation %d (%d article%s)", manifest.generation,
                 len(manifest.articles), "" if len(manifest.articles) == 1 else "s")
        return Snapshot(manifest, store, retriever, stamp)
