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
whole file.
"""

from __future__ import annotations

import codecs
import errno
import gzip
import hashlib
import json
import logging
import os
import re
import stat
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
import calendar
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

import yaml

from rag.core.text import clean_text, normalize_title
from rag.core.types import Article, Skipped
from rag.sources.charset import decode_html

__all__ = ["DEFAULT_MAX_FILE_BYTES", "CorpusFolder", "iter_corpus", "load_corpus"]

log = logging.getLogger(__name__)

DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024

_TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
_HTML_SUFFIXES = frozenset({".html", ".htm"})
_JUNK_NAMES = frozenset({"thumbs.db", "desktop.ini"})
_README = re.compile(r"readme(?:\.(?:md|markdown|txt|rst))?", re.IGNORECASE)
_ID_OK = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_FRONT_MATTER = re.compile(r"---[ \t]*\n(.*?)^(?:---|\.\.\.)[ \t]*$\n?", re.DOTALL | re.MULTILINE)
_SNIFF_BYTES = 8192
_MAX_TITLE_LINE = 150  # a first line this short (without a final period) can be the title
_KEY_ALIASES = {"date": "published", "author": "authors"}
_KNOWN_KEYS = frozenset({"id", "title", "published", "source", "url", "authors", "text"})


class _Skip(Exception):
    """Internal: this file or record cannot be indexed, for ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --------------------------------------------------------------------------- public API


@dataclass(frozen=True)
class CorpusFolder:
    """A corpus folder as the indexer reads it (a ``rag.core.types.Corpus``)."""

    path: Path
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES

    @property
    def name(self) -> str:
        return str(self.path)

    def read(self) -> tuple[list[Article], list[Skipped]]:
        return load_corpus(self.path, self.max_file_bytes)


def load_corpus(
    root: str | os.PathLike[str], max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
) -> tuple[list[Article], list[Skipped]]:
    """Load every article under ``root``; return the articles and what was skipped, and why.

    Raises FileNotFoundError if ``root`` is not an existing folder.
    """
    articles: list[Article] = []
    skipped: list[Skipped] = []
    for item in iter_corpus(root, max_file_bytes):
        (articles if isinstance(item, Article) else skipped).append(item)
    log.info("loaded %d articles from %s, skipped %d", len(articles), root, len(skipped))
    return articles, skipped


def iter_corpus(
    root: str | os.PathLike[str], max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
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
    return _iter_corpus(root, max_file_bytes)


def _iter_corpus(root: Path, max_file_bytes: int) -> Iterator[Article | Skipped]:
    first_seen: dict[str, str] = {}
    for item in _walk(root, max_file_bytes):
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
            name = entry.name
            rel = f"{rel_folder}/{name}" if rel_folder else name
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError as e:
                refused.append(Skipped(display_path(rel), f"cannot read: {e.strerror or e}"))
                continue
            if name.startswith(".") or (not is_dir and not is_link and _ignored(name)):
                continue
            path = entry.path
            if is_link:
                target = os.path.realpath(path)
                if not _inside(target, real_root):
                    refused.append(Skipped(display_path(rel), "symbolic link to outside the corpus folder "
                                                              "(not followed)"))
                    continue
                try:
                    st = os.stat(target)
                except OSError:
                    refused.append(Skipped(display_path(rel), "broken symbolic link"))
                    continue
                is_dir = stat.S_ISDIR(st.st_mode)
                if not is_dir and _ignored(name):
                    continue
                path = target
            if is_dir:
                try:
                    st = os.stat(path)
                except OSError as e:
                    refused.append(Skipped(display_path(rel), f"cannot read folder: {e.strerror or e}"))
                    continue
                key = (st.st_dev, st.st_ino)
                if key in ancestors:
                    refused.append(Skipped(display_path(rel), "symbolic link loop: the link points to a folder "
                                                              "that contains it (not followed)"))
                    continue
                if is_link:
                    # Links to links to ... the same folders would read them exponentially often.
                    if key in linked:
                        refused.append(Skipped(display_path(rel), "symbolic link to a folder already read "
                                                                  "through another link (not followed)"))
                        continue
                    linked.add(key)
                stack.append((path, rel, ancestors | {key}))
                continue
            # (the link's target was stat'ed above; for the others the folder listing knows the type)
            regular = stat.S_ISREG(st.st_mode) if is_link else entry.is_file(follow_symlinks=False)
            if not regular:
                refused.append(Skipped(display_path(rel), "not a regular file (a pipe, socket or device)"))
                continue
            files.append((display_path(rel), path))
    return files, refused


def _walk(root: Path, max_file_bytes: int) -> Iterator[Article | Skipped]:
    real_root = os.path.realpath(root)
    files, refused = _list_files(root)
    yield from sorted(refused, key=lambda s: s.origin)
    for rel, path in sorted(files):
        try:
            yield from _load_file(Path(path), rel, max_file_bytes, real_root)
        except _Skip as skip:
            yield Skipped(rel, skip.reason)
        except Exception as e:  # noqa: BLE001 - a bug or an odd file must not stop the whole corpus
            log.exception("unexpected error while loading %s", rel)
            yield Skipped(rel, f"could not be loaded ({type(e).__name__})")


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
        raise _Skip(f"unsupported file type {suffix}" if suffix else "unsupported file type (no extension)")
    with _open_checked(path, real_root) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size == 0:
            raise _Skip("empty file")
        if kind in ("jsonl", "jsonl.gz"):
            yield from _jsonl_records(fh, rel, kind == "jsonl.gz", max_file_bytes)
            return
        if size > max_file_bytes:
            raise _Skip(f"larger than {size_text(max_file_bytes)}")
        data = _read(fh)
    if suffix in _HTML_SUFFIXES:
        meta, body = _parse_html(data)
        yield _article(meta, body, rel=rel, origin=rel, multi=False, fallback_title=named.stem)
        return
    text = _decode(data)
    if kind == "json":
        yield from _json_records(text, rel)
        return
    meta, body = _split_front_matter(text)
    yield _article(meta, body, rel=rel, origin=rel, multi=False, fallback_title=named.stem,
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
            raise _Skip("symbolic link put in place of the file while the corpus was read (not followed)") from None
        raise _Skip(f"cannot read file: {e.strerror or e}") from None
    fh = os.fdopen(fd, "rb")
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _Skip("not a regular file (a pipe, socket or device)")
        try:
            opened = os.readlink(f"/proc/self/fd/{fd}")  # where the file really is (Linux)
        except OSError:
            opened = None
        if opened is not None and not _inside(opened, real_root):
            raise _Skip("symbolic link to outside the corpus folder (not followed)")
    except BaseException:
        fh.close()
        raise
    return fh


def _read(fh: IO[bytes]) -> bytes:
    try:
        data = fh.read()
    except OSError as e:
        raise _Skip(f"cannot read file: {e.strerror or e}") from None
    _check_bytes(data)
    return data


def _check_bytes(head: bytes) -> None:
    """Reject empty, binary and UTF-16 content by looking at the first bytes."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _Skip("not UTF-8 text (UTF-16)")
    if b"\x00" in head[:_SNIFF_BYTES]:
        raise _Skip("binary file")
    if not head.strip():
        raise _Skip("empty file")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _Skip("not UTF-8 text") from None


def size_text(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MB"
    if n >= 1024:
        return f"{n / 1024:g} KB"
    return f"{n} bytes"


# --------------------------------------------------------------------------- text files


def _split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Split ``---`` front matter from the body; parse it into a dict (keys lower-cased)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    first = text.split("\n", 1)[0]
    if first.rstrip() != "---":
        return {}, text
    m = _FRONT_MATTER.match(text)
    if m is None:
        raise _Skip("invalid front matter: no closing '---' line")
    return _parse_front_matter(m.group(1)), text[m.end():]


def _parse_front_matter(block: str) -> dict[str, Any]:
    try:
        data = yaml.load(block, Loader=_StringLoader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError:
        raise _Skip("invalid front matter: nested too deeply") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).split("\n", 1)[0]
        raise _Skip(f"invalid front matter: {problem}{where}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise _Skip("invalid front matter: expected 'key: value' lines")
    return {str(k).strip().lower(): v for k, v in data.items()}


class _StringLoader(yaml.SafeLoader):
    """A YAML SafeLoader that resolves no implicit types: every scalar stays a string.

    So ``id: 0123`` stays "0123" (not the octal 83), ``title: yes`` stays "yes", and dates
    are parsed by this module, the same way for every format.
    """

    yaml_implicit_resolvers: dict = {}


# --------------------------------------------------------------------------- HTML


def extract_html(html: str, url: str | None = None) -> dict[str, Any] | None:
    """trafilatura's main text and metadata of a page (offline), as a dict, or None if it finds none."""
    import trafilatura

    doc = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if doc is None:
        return None
    return doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)


def _parse_html(data: bytes) -> tuple[dict[str, Any], str]:
    """Main text and metadata of an HTML page, with trafilatura (no network access)."""
    html = decode_html(data, utf8_first=True)  # UTF-8 first; else the charset a <meta> tag declares
    if html is None:
        raise _Skip("not UTF-8 text")
    try:
        d = extract_html(html)
    except Exception as e:  # noqa: BLE001 - a broken page must not stop the corpus
        raise _Skip(f"HTML extraction failed: {type(e).__name__}") from None
    if d is None:
        raise _Skip("no article text found in the HTML")
    body = d.get("text") or ""
    if not body.strip():
        raise _Skip("no article text found in the HTML")
    author = d.get("author") or ""
    meta = {
        "title": d.get("title"),
        "published": d.get("date"),
        "url": d.get("url") or "",
        "source": d.get("sitename") or d.get("hostname") or "",
        "authors": [a for a in author.split(";") if a.strip()],
    }
    return meta, body


# --------------------------------------------------------------------------- JSON


def _json_records(text: str, rel: str) -> Iterator[Article | Skipped]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise _Skip(f"invalid JSON: {e.msg} (line {e.lineno})") from None
    except RecursionError:
        raise _Skip("invalid JSON: nested too deeply") from None
    if isinstance(data, dict):
        yield _article(data, _record_text(data), rel=rel, origin=rel, multi=False,
                       fallback_title=Path(rel).stem)
        return
    if not isinstance(data, list):
        raise _Skip("JSON must be an object or a list of objects")
    if not data:
        raise _Skip("no records in file")
    for i, obj in enumerate(data):
        origin = f"{rel}[{i}]"
        yield parse_record(obj, rel, origin)


def _jsonl_records(file: IO[bytes], rel: str, gzipped: bool, max_line_bytes: int) -> Iterator[Article | Skipped]:
    """Stream JSON Lines (plain or gzip) from an open file; a bad line is skipped, the others still load."""

    def from_start() -> IO[bytes]:
        file.seek(0)
        return gzip.GzipFile(fileobj=file, mode="rb") if gzipped else file

    lineno = 0
    try:
        head = from_start().read(_SNIFF_BYTES)
        # A NUL byte in one line spoils that line only; a file without lines is binary as a whole.
        _check_bytes(head if b"\n" not in head else head.replace(b"\x00", b""))
        fh = from_start()
        while True:
            raw = fh.readline(max_line_bytes + 1)
            if not raw:
                break
            lineno += 1
            origin = f"{rel}:{lineno}"
            if len(raw) > max_line_bytes and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):  # skip the rest of the long line
                    raw = fh.readline(1 << 20)
                yield Skipped(origin, f"record larger than {size_text(max_line_bytes)}")
                continue
            if lineno == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8)
            if b"\x00" in raw:
                yield Skipped(origin, "binary data (NUL bytes) in the line")
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                yield Skipped(origin, "not UTF-8 text")
                continue
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                yield Skipped(origin, f"invalid JSON: {e.msg}")
                continue
            except RecursionError:
                yield Skipped(origin, "invalid JSON: nested too deeply")
                continue
            yield parse_record(obj, rel, origin)
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        log.debug("gzip error in %s: %s", rel, e)
        raise _Skip(f"corrupt gzip data after line {lineno}" if lineno else "not a valid gzip file") from None
    except OSError as e:
        raise _Skip(f"cannot read file: {e.strerror or e}") from None


def parse_record(obj: Any, rel: str, origin: str) -> Article | Skipped:
    """One object of a multi-record file, or the reason it was skipped."""
    if not isinstance(obj, dict):
        return Skipped(origin, "not a JSON object")
    try:
        return _article(obj, _record_text(obj), rel=rel, origin=origin, multi=True, fallback_title="")
    except _Skip as skip:
        return Skipped(origin, skip.reason)


def _record_text(obj: Mapping[str, Any]) -> str:
    text = obj.get("text")
    if text is None or (isinstance(text, str) and not text.strip()):
        raise _Skip("record has no text")
    if not isinstance(text, str):
        raise _Skip("'text' must be a string")
    return text


# --------------------------------------------------------------------------- articles


def _article(
    meta: Mapping[str, Any],
    body: str,
    *,
    rel: str,
    origin: str,
    multi: bool,
    fallback_title: str,
    markdown: bool = False,
) -> Article:
    """Build an article from metadata and raw body text (cleaned here); raise _Skip if unusable."""
    meta = {_KEY_ALIASES.get(k.lower(), k.lower()) if isinstance(k, str) else k: v for k, v in meta.items()}
    unknown = [k for k in meta if k not in _KNOWN_KEYS]
    if unknown:
        log.debug("%s: ignoring unknown keys %s", origin, ", ".join(map(str, unknown)))
    text = clean_text(body)
    if not text:
        raise _Skip("no text left after cleaning" if body.strip() else "no text")
    title = normalize_title(_string(meta, "title")) or _title_from_text(text, markdown) or fallback_title
    if not title:
        title = _shorten(text.split("\n", 1)[0], 100)
    url = _string(meta, "url")
    article_id = _explicit_id(meta.get("id"))
    if article_id is None:
        if not multi:
            article_id = _hash(rel)  # the path: editing the text keeps the id
        else:
            article_id = _hash(url) if url else _hash(f"{rel}#{title}#{text[:200]}")
    return Article(
        id=article_id,
        title=title,
        text=text,
        source=normalize_title(_string(meta, "source")),
        url=url,
        published=_date(meta.get("published"), origin) or dateline(text),
        authors=_authors(meta.get("authors"), origin),
        origin=origin,
    )


def _string(meta: Mapping[str, Any], key: str) -> str:
    value = meta.get(key)
    if value is None:
        return ""
    if isinstance(value, str):
        return _SURROGATES.sub("", value).strip()  # lone surrogates (from JSON escapes) cannot be stored
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise _Skip(f"'{key}' must be a string")


_SURROGATES = re.compile("[\ud800-\udfff]")


def _explicit_id(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise _Skip("'id' must be a string")
    raw = str(value).strip()
    if not raw:
        return None
    if _ID_OK.fullmatch(raw):
        return raw
    return _hash(raw)  # spaces, slashes, too long...: a stable, safe stand-in


def _hash(value: str) -> str:
    return hashlib.sha1(value.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _title_from_text(text: str, markdown: bool) -> str:
    """The first line, if it is short and does not end with a period (a headline)."""
    first = text.split("\n", 1)[0]
    if markdown:
        first = first.lstrip("#").strip()
    if len(first) <= _MAX_TITLE_LINE and not first.endswith("."):
        return normalize_title(first)
    return ""


def _shorten(s: str, limit: int) -> str:
    if len(s) <= limit:
        return s
    cut = s[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


_NULLS = frozenset({"", "null", "none", "~"})


_MONTH_NUMBERS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_MONTH_NUMBERS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
_MONTH = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DATELINES = [  # (pattern, (year, month, day) groups); the month may be a name
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), (1, 2, 3)),
    (re.compile(rf"\b{_MONTH}\s+(\d{{1,2}}),?\s+(\d{{4}})\b", re.IGNORECASE), (3, 1, 2)),
    (re.compile(rf"\b(\d{{1,2}})\s+{_MONTH}\s+(\d{{4}})\b", re.IGNORECASE), (3, 2, 1)),
]
DATELINE_CHARS = 200  # where a dateline sits: the first lines of the text


def dateline(text: str) -> date | None:
    """The date of a dateline at the top of the text ("BAMAKO, March 3, 2024 —"), if there is one."""
    head = text[:DATELINE_CHARS]
    found = []
    for pattern, (y, m, d) in _DATELINES:
        match = pattern.search(head)
        if match:
            month = match[m]
            month = int(month) if month.isdigit() else _MONTH_NUMBERS[month.lower().rstrip(".")[:3]]
            try:
                found.append((match.start(), date(int(match[y]), month, int(match[d]))))
            except ValueError:
                continue
    return min(found)[1] if found else None


def _date(value: Any, origin: str) -> date | None:
    """A date from ``YYYY-MM-DD`` or an ISO datetime; anything else: None and a warning."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        s = value.strip()
        if s.lower() in _NULLS:
            return None
        try:
            return date.fromisoformat(s) if len(s) <= 10 else datetime.fromisoformat(s).date()
        except ValueError:
            pass
    log.warning("%s: unparseable date %r, keeping the article undated", origin, value)
    return None


def _authors(value: Any, origin: str) -> tuple[str, ...]:
    """Authors from a list, or a string separated by commas or semicolons."""
    if value is None:
        return ()
    if isinstance(value, str):
        items: list[Any] = re.split(r"[,;]", value)
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        log.warning("%s: ignoring authors of type %s", origin, type(value).__name__)
        return ()
    out: dict[str, None] = {}
    for item in items:
        if isinstance(item, str) and (name := normalize_title(item)):
            out.setdefault(name)
    return tuple(out)
