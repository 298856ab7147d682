"""Uploaded article files: checked with the corpus loader, then saved under ``<corpus>/uploads/``.

This is the core of the bot's ``/ingest``; it knows nothing of Discord. A file is checked by
type and size first (before anyone downloads it), then read by :mod:`rag.sources.ingest` from a
temporary folder, at the same relative path it will have in the corpus, so an upload is
accepted or skipped for exactly the reasons a file dropped into the corpus folder would be.
Accepted files are written atomically under a safe name (no folders, no leading dots, the
extension kept); a name already taken by other content gets a short content-hash suffix, and
content already in the uploads folder is not written twice. Reindexing is the caller's job.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..core.fsutil import atomic_write
from .ingest import iter_corpus
from .records import size_text  # the wording of the loader's own "larger than" reason
from ..core.types import Article, Skipped

log = logging.getLogger(__name__)

UPLOAD_FOLDER = "uploads"
#: What an upload may be: the loader's single-file formats (not ``.jsonl.gz``: uploads are text).
SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl")
MAX_STEM = 80  # characters of a saved file name before its extension
HASH_CHARS = 8

ADDED = "added"
ALREADY_THERE = "already there"
REJECTED = "rejected"

_UNSAFE = re.compile(r"[^\w.-]+")
_RUNS = re.compile(r"([._-])[._-]+")


@dataclass(frozen=True)
class Upload:
    """What happened to one uploaded file."""

    name: str  # as uploaded
    status: str  # ADDED, ALREADY_THERE or REJECTED
    saved_as: str = ""  # path relative to the corpus folder, e.g. "uploads/report.md"
    articles: int = 0  # articles the loader reads from it
    reason: str = ""  # why it was rejected
    skipped: tuple[Skipped, ...] = ()  # records the loader skips (JSON Lines lines, list items)


@dataclass
class UploadReport:
    """Every uploaded file, in upload order."""

    uploads: list[Upload] = field(default_factory=list)

    def _with(self, status: str) -> list[Upload]:
        return [u for u in self.uploads if u.status == status]

    @property
    def added(self) -> list[Upload]:
        return self._with(ADDED)

    @property
    def already_there(self) -> list[Upload]:
        return self._with(ALREADY_THERE)

    @property
    def rejected(self) -> list[Upload]:
        return self._with(REJECTED)

    @property
    def accepted(self) -> bool:
        """Whether any file is (now) in the corpus, i.e. whether a reindex is worth running."""
        return any(u.status != REJECTED for u in self.uploads)

    def summary(self) -> str:
        return (f"{len(self.added)} file(s) added, {len(self.already_there)} already there, "
                f"{len(self.rejected)} rejected")


def check_upload(name: str, size: int, max_bytes: int) -> str:
    """Why a file of this name and size cannot be an upload ("" if it may be), before downloading it."""
    suffix = _suffix(name)
    if suffix not in SUFFIXES:
        shown = suffix or Path(name).suffix.lower()
        kind = f"unsupported file type {shown}" if shown else "unsupported file type (no extension)"
        return f"{kind}; accepted: {', '.join(SUFFIXES)}"
    if size > max_bytes:
        return f"larger than {size_text(max_bytes)}"
    return ""


def safe_name(name: str) -> str:
    """A file name that stays in the uploads folder and that the loader reads: ``../../evil.md`` is ``evil.md``."""
    base = re.split(r"[/\\]", unicodedata.normalize("NFC", name))[-1]
    suffix = _suffix(base)
    stem = base[:len(base) - len(suffix)] if suffix else base
    stem = _RUNS.sub(r"\1", _UNSAFE.sub("-", stem)).strip("._- ")[:MAX_STEM].rstrip("._-")
    if not stem:
        stem = "upload"
    elif stem.lower() == "readme":  # the loader ignores README files
        stem += "-upload"
    return stem + suffix


def save_uploads(corpus_dir: str | os.PathLike[str], files: Iterable[tuple[str, bytes]],
                 max_bytes: int) -> UploadReport:
    """Check each ``(name, content)`` with the corpus loader and save the good ones under ``uploads/``.

    A rejected file is reported with its reason and not written; the others still are.
    """
    folder = Path(corpus_dir) / UPLOAD_FOLDER
    report = UploadReport()
    for name, data in files:
        upload = _save_one(folder, name, data, max_bytes)
        log.info("upload %r: %s%s", name, upload.status,
                 f" as {upload.saved_as}" if upload.saved_as else f" ({upload.reason})")
        report.uploads.append(upload)
    return report


@dataclass(frozen=True)
class Uploads:
    """Uploads into one corpus folder under one size limit, as /ingest takes them (built by rag.app)."""

    corpus_dir: Path
    max_bytes: int

    def check(self, name: str, size: int) -> str:
        """Why a file of this name and size cannot be an upload ("" when it may be one)."""
        return check_upload(name, size, self.max_bytes)

    def save(self, files: Iterable[tuple[str, bytes]]) -> UploadReport:
        """Check each ``(name, content)`` with the corpus loader and save the good ones (see :func:`save_uploads`)."""
        return save_uploads(self.corpus_dir, files, self.max_bytes)


def _save_one(folder: Path, name: str, data: bytes, max_bytes: int) -> Upload:
    reason = check_upload(name, len(data), max_bytes)
    if reason:
        return Upload(name, REJECTED, reason=reason)
    digest = hashlib.sha256(data).hexdigest()
    target, existing = _place(folder, safe_name(name), data, digest)
    rel = f"{UPLOAD_FOLDER}/{target}"
    if existing:
        return Upload(name, ALREADY_THERE, saved_as=f"{UPLOAD_FOLDER}/{existing}")
    articles, skipped = validate(rel, data, max_bytes)
    if not articles:
        return Upload(name, REJECTED, reason=_rejection(skipped, rel), skipped=_renamed(skipped, rel, name))
    atomic_write(folder / target, data)
    return Upload(name, ADDED, saved_as=rel, articles=len(articles), skipped=_renamed(skipped, rel, name))


def validate(rel: str, data: bytes, max_bytes: int) -> tuple[list[Article], list[Skipped]]:
    """What the corpus loader reads from ``data`` saved at ``rel`` (a path inside the corpus folder)."""
    with tempfile.TemporaryDirectory(prefix="upload-") as tmp:
        path = Path(tmp, rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        articles: list[Article] = []
        skipped: list[Skipped] = []
        for item in iter_corpus(tmp, max_bytes):
            (articles if isinstance(item, Article) else skipped).append(item)
    return articles, skipped


def _suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return suffix if suffix in SUFFIXES else ""


def _place(folder: Path, wanted: str, data: bytes, digest: str) -> tuple[str, str]:
    """The name to save under, and the name of a file in ``folder`` already holding ``data`` ("" if none)."""
    for other in _same_size(folder, len(data)):
        if _digest(other) == digest:
            return other.name, other.name
    suffix = _suffix(wanted)
    stem = wanted[:len(wanted) - len(suffix)]
    for name in (wanted, f"{stem}-{digest[:HASH_CHARS]}{suffix}", f"{stem}-{digest}{suffix}"):
        if not (folder / name).exists():
            return name, ""
    raise OSError(f"{folder / wanted} and its hashed variants exist with other content")


def _same_size(folder: Path, size: int) -> list[Path]:
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return []
    return sorted(Path(e.path) for e in entries
                  if e.is_file() and not e.name.startswith(".") and e.stat().st_size == size)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rejection(skipped: list[Skipped], rel: str) -> str:
    """One reason for a file the loader read nothing from: its own, or a digest of its records'."""
    if len(skipped) == 1 and skipped[0].origin == rel:
        return skipped[0].reason  # the whole file was skipped
    reasons = list(dict.fromkeys(s.reason for s in skipped))
    if not reasons:
        return "no article found in it"
    shown = "; ".join(reasons[:3]) + ("; …" if len(reasons) > 3 else "")
    return f"no usable record ({len(skipped)} skipped: {shown})"


def _renamed(skipped: list[Skipped], rel: str, name: str) -> tuple[Skipped, ...]:
    """Skips named after the uploaded file ("notes.jsonl:3") rather than the path in the temp folder."""
    shown = Path(name.replace("\\", "/")).name or name
    return tuple(Skipped(shown + s.origin[len(rel):] if s.origin.startswith(rel) else s.origin, s.reason)
                 for s in skipped)
