"""The index manifest: what the index was built with, and which article versions are live.

Writing the manifest (atomically, with ``os.replace``) is the commit point of a reindex:
until it is written, readers keep answering from the previous one.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .chunking import chunk_id
from ..core.errors import IndexMismatch, IndexMissing

SCHEMA_VERSION = 2  # 2: chunks carry their sentence marks (rag.core.sentences)
FILENAME = "manifest.json"
_STARTED = secrets.token_hex(4)  # with the process id: this process, even once its id is reused


def this_process() -> str:
    """The process a manifest's ``last_reindex["writer"]`` names when this process committed it."""
    return f"{os.getpid()}-{_STARTED}"


@dataclass(frozen=True)
class BuildSpec:
    """Everything that changes the vectors or the chunks: a mismatch needs a full reindex."""

    schema: int
    embedding: str  # provider:model
    dimension: int
    encoding: str
    chunk_tokens: int
    chunk_overlap: int

    def differences(self, other: BuildSpec) -> list[str]:
        mine, theirs = asdict(self), asdict(other)
        return [f"{k}: index has {theirs[k]!r}, settings say {mine[k]!r}"
                for k in mine if mine[k] != theirs[k]]


@dataclass(frozen=True)
class ArticleEntry:
    """A live article version in the index."""

    hash: str
    chunks: int
    title: str
    source: str
    published: str  # ISO date or ""
    url: str
    origin: str


@dataclass(frozen=True)
class Manifest:
    spec: BuildSpec
    collection: str
    generation: int
    articles: dict[str, ArticleEntry]
    lexical: str  # folder of the BM25 index, relative to the data folder
    last_reindex: dict = field(default_factory=dict)

    @property
    def chunk_count(self) -> int:
        return sum(a.chunks for a in self.articles.values())

    def chunk_ids(self, article_id: str) -> list[str]:
        entry = self.articles[article_id]
        return [chunk_id(article_id, entry.hash, i) for i in range(entry.chunks)]

    def to_json(self) -> dict:
        return {
            "spec": asdict(self.spec),
            "collection": self.collection,
            "generation": self.generation,
            "lexical": self.lexical,
            "last_reindex": self.last_reindex,
            "articles": {k: asdict(v) for k, v in self.articles.items()},
        }

    @classmethod
    def from_json(cls, data: dict) -> Manifest:
        return cls(
            spec=BuildSpec(**data["spec"]),
            collection=data["collection"],
            generation=int(data["generation"]),
            lexical=data["lexical"],
            last_reindex=data.get("last_reindex", {}),
            articles={k: ArticleEntry(**v) for k, v in data["articles"].items()},
        )


def path_in(data_dir: Path) -> Path:
    return data_dir / FILENAME


def _parse(text: str, where: str) -> Manifest:
    try:
        data = json.loads(text)
        if data.get("spec", {}).get("schema") != SCHEMA_VERSION:
            raise IndexMismatch(
                f"the index in {where} uses schema {data.get('spec', {}).get('schema')}, this version "
                f"reads {SCHEMA_VERSION}: rebuild it with `python -m rag index --full`"
            )
        return Manifest.from_json(data)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise IndexMismatch(
            f"the index manifest in {where} is unreadable ({exc}): rebuild with `python -m rag index --full`"
        ) from exc


def read(data_dir: Path) -> Manifest | None:
    """The committed manifest in a data folder, or None when no index was ever committed there."""
    path = path_in(data_dir)
    if not path.exists():
        return None
    return _parse(path.read_text(encoding="utf-8"), str(path))




def check(manifest: Manifest, spec: BuildSpec) -> None:
    diffs = spec.differences(manifest.spec)
    if diffs:
        raise IndexMismatch(
            "the index was built with other settings (" + "; ".join(diffs)
            + "): rebuild it with `python -m rag index --full`, or restore the old settings"
        )


def write(data_dir: Path, manifest: Manifest) -> None:
    """Replace the manifest atomically: readers see the old one or the new one, never half."""
    data_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".manifest-", suffix=".json", dir=data_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(manifest.to_json(), fh, ensure_ascii=False, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path_in(data_dir))
        dir_fd = os.open(data_dir, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class ManifestStore:
    """Where the committed manifest lives.

    Embedded, it is ``manifest.json`` in the data folder. With a Chroma server it is also a
    record in the server (written last, in one upsert: the commit point), so an indexer and a
    bot on different machines share it; the file is then a local copy.
    """

    def __init__(self, data_dir: Path, client=None, prefix: str = "news") -> None:
        self.data_dir = data_dir
        self._client = client
        self._name = f"{prefix}-manifest"
        self._collection = None

    @property
    def shared(self) -> bool:
        return self._client is not None

    def _records(self):
        if self._collection is None:
            self._collection = self._client.get_or_create_collection(self._name, embedding_function=None)
        return self._collection

    def where(self) -> str:
        return f"the Chroma server (collection {self._name})" if self.shared else str(self.data_dir)

    def read(self) -> Manifest | None:
        if not self.shared:
            return read(self.data_dir)
        res = self._records().get(ids=["manifest"], include=["documents"])
        return _parse(res["documents"][0], self.where()) if res["ids"] else None

    def stamp(self) -> object | None:
        """Changes whenever a new manifest is committed; None when there is none."""
        if not self.shared:
            try:
                return path_in(self.data_dir).stat().st_mtime_ns
            except FileNotFoundError:
                return None
        res = self._records().get(ids=["manifest"], include=["metadatas"])
        if not res["ids"]:
            return None
        meta = res["metadatas"][0]
        return meta.get("generation"), meta.get("written")

    def write(self, manifest: Manifest) -> None:
        if self.shared:
            self._records().upsert(
                ids=["manifest"], embeddings=[[0.0]],
                documents=[json.dumps(manifest.to_json(), ensure_ascii=False)],
                metadatas=[{"generation": manifest.generation, "written": time.time()}],
            )
        write(self.data_dir, manifest)

    def require(self, spec: BuildSpec) -> Manifest:
        """The committed manifest, checked against the current build settings."""
        manifest = self.read()
        if manifest is None:
            raise IndexMissing(f"no index in {self.where()}: build it with `python -m rag index`")
        check(manifest, spec)
        return manifest
