"""Read a corpus folder into :class:`~rag.core.types.Article` objects.

Supported files (found recursively, in sorted order of their relative paths):

- ``.txt``, ``.md``, ``.markdown``: plain text with optional YAML front matter between
  ``---`` lines (keys ``id``, ``title``, ``published``/``date``, ``source``, ``url``,
  ``authors``/``author``);
- ``.html``, ``.htm``: the main text and metadata extracted with trafilatura (offline);
- ``.json`` (one object or a list of objects), ``.jsonl`` and ``.jsonl.gz`` (one object a
  line), each object with ``text`` and the same optional keys as front matter.

Nothing here raises for a bad file: it becomes a :class:`~rag.core.types.Skipped` with a short
reason, and the rest of the corpus still loads. A date that cannot be parsed does not skip
the article: it is kept undated and a warning is logged. Hidden files and folders, editor
and OS junk (``.DS_Store``, ``Thumbs.db``, ``*~``) and ``README`` files are ignored without
a report. Symbolic links are followed only to targets inside the corpus folder, and only
regular files are read (see ``_list_files`` and ``_open_checked``). For JSON Lines the size
limit applies to each line (they are streamed); for every other file it applies to the
whole file. Each format is read by :mod:`rag.sources.records`.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from ..core.types import Article, Progress, Skipped, no_progress
from .records import (Skip, article, check_bytes, decode_text, json_records, jsonl_records, parse_html, size_text,
                      split_front_matter)

__all__ = ["DEFAULT_MAX_FILE_BYTES", "CorpusFolder", "iter_corpus", "load_corpus"]

log = logging.getLogger(__name__)

DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024

_TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
_HTML_SUFFIXES = frozenset({".html", ".htm"})
_JUNK_NAMES = frozenset({"thumbs.db", "desktop.ini"})
_README = re.compile(r"readme(?:\.(?:md|markdown|txt|rst))?", re.IGNORECASE)


# --------------------------------------------------------------------------- public API


@dataclass(frozen=True)
class CorpusFolder:
    """A corpus folder as the indexer reads it (a ``rag.core.types.Corpus``)."""

    path: Path
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES

    @property
    def name(self) -> str:
        return str(self.path)

    def read(self, progress: Progress = no_progress) -> tuple[list[Article], list[Skipped]]:
        return load_corpus(self.path, self.max_file_bytes, progress)


def load_corpus(
    root: str | os.PathLike[str], max_file_bytes: int = DEFAULT_MAX_FILE_BYTES, progress: Progress = no_progress
) -> tuple[list[Article], list[Skipped]]:
    """Load every article under ``root``; return the articles and what was skipped, and why; report
    ``progress("reading", files read, files)``.

    Raises FileNotFoundError if ``root`` is not an existing folder.
    """
    articles: list[Article] = []
    skipped: list[Skipped] = []
    for item in iter_corpus(root, max_file_bytes, progress):
        (articles if isinstance(item, Article) else skipped).append(item)
    log.info("loaded %d articles from %s, skipped %d", len(articles), root, len(skipped))
    return articles, skipped


def iter_corpus(
    root: str | os.PathLike[str], max_file_bytes: int = DEFAULT_MAX_FILE_BYTES, progress: Progress = no_progress
) -> Iterator[Article | Skipped]:
    """Yield articles and skips one by one, in a stable order, with duplicate ids skipped.

    Raises FileNotFoundError at once (not on first iteration) if ``root`` is not a folder.
    """
    root = Path(root)
    if not root.exists():
        raise FileNotFoundError(f"corpus folder not found: {root}")
    if not root.is_dir():
        raise FileNotFoundError(f"corpus path is not a folder: {root}")
    os.scandir(root).close()  # an unreadable root raises PermissionError here, not later
    return _iter_corpus(root, max_file_bytes, progress)


def _iter_corpus(root: Path, max_file_bytes: int, progress: Progress) -> Iterator[Article | Skipped]:
    first_seen: dict[str, str] = {}
    for item in _walk(root, max_file_bytes, progress):
        if isinstance(item, Article):
            if item.id in first_seen:
                item = Skipped(item.origin, f"duplicate id {item.id} (first seen in {first_seen[item.id]})")
            else:
                first_seen[item.id] = item.origin
        if isinstance(item, Skipped):
            log.info("skipped %s: %s", item.origin, item.reason)
        yield item


# --------------------------------------------------------------------------- walking
#
# The corpus path policy, in one place: what under the corpus folder is read, and what is
# reported instead. Only regular files are read, found without recursion (any depth works);
# a symbolic link is followed only when its target lies inside the corpus folder; a folder
# reached again through a link is a loop, reported once; a name that is not valid UTF-8
# is carried as an escaped, printable origin ("latin\xe9.md") that every later stage can store.


def display_path(rel: str) -> str:
    """``rel`` (a relative path as the OS gave it) as printable, storable text: bad bytes escaped."""
    return os.fsencode(rel).decode("utf-8", "backslashreplace")


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _list_files(root: Path) -> tuple[list[tuple[str, str]], list[Skipped]]:
    """Every corpus file as (origin, real path to read), and what the path policy refused, and why."""
    real_root = os.path.realpath(root)
    files: list[tuple[str, str]] = []
    refused: list[Skipped] = []
    st = os.stat(real_root)
    # (folder to read, its path relative to the root, the (device, inode) of it and its parents)
    stack: list[tuple[str, str, frozenset]] = [(real_root, "", frozenset({(st.st_dev, st.st_ino)}))]
    linked: set[tuple[int, int]] = set()  # folders read through a link: each link target is read once
    while stack:
        folder, rel_folder, ancestors = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)  # a stable order: which link is read first
        except OSError as e:
            refused.append(Skipped(display_path(rel_folder or "."), f"cannot read folder: {e.strerror or e}"))
            continue
        for entry in entries:
            rel = f"{rel_folder}/{entry.name}" if rel_folder else entry.name
            found = _listed(entry, rel, real_root, ancestors, linked)
            if isinstance(found, Skipped):
                refused.append(found)
            elif isinstance(found, tuple):
                stack.append((found[0], rel, ancestors | {found[1]}))
            elif found is not None:
                files.append((display_path(rel), found))
    return files, refused


def _listed(entry: os.DirEntry, rel: str, real_root: str, ancestors: frozenset,
            linked: set[tuple[int, int]]) -> str | tuple[str, tuple[int, int]] | Skipped | None:
    """One entry of a folder by the path policy: a file's real path, a folder's (with its device and
    inode), why it is refused, or None when it is ignored without a word (hidden files, junk)."""
    name = entry.name
    try:
        is_link = entry.is_symlink()
        is_dir = entry.is_dir(follow_symlinks=False)
    except OSError as e:
        return Skipped(display_path(rel), f"cannot read: {e.strerror or e}")
    if name.startswith(".") or (not is_dir and not is_link and _ignored(name)):
        return None
    path = entry.path
    st = None
    if is_link:
        target = os.path.realpath(path)
        if not _inside(target, real_root):
            return Skipped(display_path(rel), "symbolic link to outside the corpus folder (not followed)")
        try:
            st = os.stat(target)
        except OSError:
            return Skipped(display_path(rel), "broken symbolic link")
        is_dir = stat.S_ISDIR(st.st_mode)
        if not is_dir and _ignored(name):
            return None
        path = target
    if is_dir:
        return _listed_folder(path, rel, is_link, ancestors, linked)
    # (the link's target was stat'ed above; for the others the folder listing knows the type)
    regular = stat.S_ISREG(st.st_mode) if st is not None else entry.is_file(follow_symlinks=False)
    return path if regular else Skipped(display_path(rel), "not a regular file (a pipe, socket or device)")


def _listed_folder(path: str, rel: str, is_link: bool, ancestors: frozenset,
                   linked: set[tuple[int, int]]) -> tuple[str, tuple[int, int]] | Skipped:
    """A folder to read, unless it is a loop or a link to a folder read already."""
    try:
        st = os.stat(path)
    except OSError as e:
        return Skipped(display_path(rel), f"cannot read folder: {e.strerror or e}")
    key = (st.st_dev, st.st_ino)
    if key in ancestors:
        return Skipped(display_path(rel), "symbolic link loop: the link points to a folder that contains it "
                                          "(not followed)")
    if is_link:
        # Links to links to ... the same folders would read them exponentially often.
        if key in linked:
            return Skipped(display_path(rel), "symbolic link to a folder already read through another link "
                                              "(not followed)")
        linked.add(key)
    return path, key


def _walk(root: Path, max_file_bytes: int, progress: Progress = no_progress) -> Iterator[Article | Skipped]:
    real_root = os.path.realpath(root)
    files, refused = _list_files(root)
    yield from sorted(refused, key=lambda s: s.origin)
    for done, (rel, path) in enumerate(sorted(files)):
        progress("reading", done, len(files))
        try:
            yield from _load_file(Path(path), rel, max_file_bytes, real_root)
        except Skip as skip:
            yield Skipped(rel, skip.reason)
        except Exception as e:  # noqa: BLE001 - a bug or an odd file must not stop the whole corpus
            log.exception("unexpected error while loading %s", rel)
            yield Skipped(rel, f"could not be loaded ({type(e).__name__})")
    progress("reading", len(files), len(files))


def _ignored(name: str) -> bool:
    """Hidden files, OS/editor junk and README files: silently not part of the corpus."""
    lower = name.lower()
    return (
        name.startswith((".", "~$"))
        or name.endswith("~")
        or lower in _JUNK_NAMES
        or _README.fullmatch(name) is not None
    )


def _load_file(path: Path, rel: str, max_file_bytes: int, real_root: str) -> Iterator[Article | Skipped]:
    """The articles of one file; ``path`` is where to read it, ``rel`` its name in the corpus (a link's own)."""
    named = PurePosixPath(rel)
    lower = named.name.lower()
    suffix = named.suffix.lower()
    if lower.endswith(".jsonl.gz"):
        kind = "jsonl.gz"
    elif suffix in _TEXT_SUFFIXES or suffix in _HTML_SUFFIXES or suffix in (".json", ".jsonl"):
        kind = suffix[1:]
    else:
        raise Skip(f"unsupported file type {suffix}" if suffix else "unsupported file type (no extension)")
    with _open_checked(path, real_root) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size == 0:
            raise Skip("empty file")
        if kind in ("jsonl", "jsonl.gz"):
            yield from jsonl_records(fh, rel, kind == "jsonl.gz", max_file_bytes)
            return
        if size > max_file_bytes:
            raise Skip(f"larger than {size_text(max_file_bytes)}")
        data = _read(fh)
    if suffix in _HTML_SUFFIXES:
        meta, body = parse_html(data)
        yield article(meta, body, rel=rel, origin=rel, multi=False, fallback_title=named.stem)
        return
    text = decode_text(data)
    if kind == "json":
        yield from json_records(text, rel)
        return
    meta, body = split_front_matter(text)
    yield article(meta, body, rel=rel, origin=rel, multi=False, fallback_title=named.stem,
                   markdown=suffix != ".txt")


def _open_checked(path: Path, real_root: str) -> IO[bytes]:
    """``path`` opened for reading, if it is still a regular file inside the corpus folder.

    The folder was listed before its files are read; a file swapped meanwhile for a symbolic
    link (or a folder on its path swapped for one) must not be followed out of the corpus.
    """
    try:
        # O_NOFOLLOW: not through a link in the last place; O_NONBLOCK: a pipe swapped in cannot hang open().
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise Skip("symbolic link put in place of the file while the corpus was read (not followed)") from None
        raise Skip(f"cannot read file: {e.strerror or e}") from None
    fh = os.fdopen(fd, "rb")
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise Skip("not a regular file (a pipe, socket or device)")
        try:
            opened = os.readlink(f"/proc/self/fd/{fd}")  # where the file really is (Linux)
        except OSError:
            opened = None
        if opened is not None and not _inside(opened, real_root):
            raise Skip("symbolic link to outside the corpus folder (not followed)")
    except BaseException:
        fh.close()
        raise
    return fh


def _read(fh: IO[bytes]) -> bytes:
    try:
        data = fh.read()
    except OSError as e:
        raise Skip(f"cannot read file: {e.strerror or e}") from None
    check_bytes(data)
    return data
