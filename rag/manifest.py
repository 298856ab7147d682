"""The index manifest: what the index was built with, and which article versions are live.

Writing the manifest (atomically, with ``os.replace``) is the commit point of a reindex:
until it is written, readers keep answering from the previous one.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .chunking import chunk_id
from .errors import IndexMismatch, IndexMissing

SCHEMA_VERSION = 1
FILENAME = "manifest.json"


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

    def is_live(self, article_id: str, doc_hash: str) -> bool:
        entry = self.articles.get(article_id)
        return entry is not None and entry.hash == doc_hash

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


def read(data_dir: Path) -> Manifest | None:
    """The committed manifest, or None when no index was ever committed here."""
    path = path_in(data_dir)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("spec", {}).get("schema") != SCHEMA_VERSION:
            raise IndexMismatch(
                f"the index in {data_dir} uses schema {data.get('spec', {}).get('schema')}, this version "
                f"reads {SCHEMA_VERSION}: rebuild it with `python -m rag index --full`"
            )
        return Manifest.from_json(data)
    except (ValueError, KeyError, TypeError) as exc:
        raise IndexMismatch(
            f"the index manifest {path} is unreadable ({exc}): rebuild with `python -m rag index --full`"
        ) from exc


def require(data_dir: Path, spec: BuildSpec) -> Manifest:
    """The committed manifest, checked against the current build settings."""
    manifest = read(data_dir)
    if manifest is None:
        raise IndexMissing(f"no index in {data_dir}: build it with `python -m rag index`")
    check(manifest, spec)
    return manifest


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
