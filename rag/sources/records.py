"""From a file's content to articles: front matter, HTML, JSON and JSON Lines records, and the fields
of an article (its id, title, date, authors), checked and normalised the same way for every format.

rag.sources.ingest finds the files and opens them; what cannot be read becomes a :class:`Skip` with
a short reason.
"""

from __future__ import annotations

import calendar
import codecs
import gzip
import hashlib
import json
import logging
import re
import zlib
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import yaml

from ..core.text import clean_text, normalize_title
from ..core.types import Article, Skipped
from .charset import decode_html

log = logging.getLogger(__name__)

_ID_OK = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_FRONT_MATTER = re.compile(r"---[ \t]*\n(.*?)^(?:---|\.\.\.)[ \t]*$\n?", re.DOTALL | re.MULTILINE)
_SNIFF_BYTES = 8192
_MAX_TITLE_LINE = 150  # a first line this short (without a final period) can be the title
_KEY_ALIASES = {"date": "published", "author": "authors"}
_KNOWN_KEYS = frozenset({"id", "title", "published", "source", "url", "authors", "text"})


class Skip(Exception):
    """This file or record cannot be indexed, for ``reason`` (the corpus loader reports it and goes on)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def size_text(n: int) -> str:
    """A size limit as the loader words it: "20 MB", "512 KB"."""
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MB"
    if n >= 1024:
        return f"{n / 1024:g} KB"
    return f"{n} bytes"


def check_bytes(head: bytes) -> None:
    """Reject empty, binary and UTF-16 content by looking at the first bytes."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise Skip("not UTF-8 text (UTF-16)")
    if b"\x00" in head[:_SNIFF_BYTES]:
        raise Skip("binary file")
    if not head.strip():
        raise Skip("empty file")


def decode_text(data: bytes) -> str:
    """A file's bytes as text: UTF-8, with or without a byte order mark."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Skip("not UTF-8 text") from None


# --------------------------------------------------------------------------- text files


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Split ``---`` front matter from the body; parse it into a dict (keys lower-cased)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    first = text.split("\n", 1)[0]
    if first.rstrip() != "---":
        return {}, text
    m = _FRONT_MATTER.match(text)
    if m is None:
        raise Skip("invalid front matter: no closing '---' line")
    return _parse_front_matter(m.group(1)), text[m.end():]


def _parse_front_matter(block: str) -> dict[str, Any]:
    try:
        data = yaml.load(block, Loader=_StringLoader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError:
        raise Skip("invalid front matter: nested too deeply") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).split("\n", 1)[0]
        raise Skip(f"invalid front matter: {problem}{where}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise Skip("invalid front matter: expected 'key: value' lines")
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


def parse_html(data: bytes) -> tuple[dict[str, Any], str]:
    """Main text and metadata of an HTML page, with trafilatura (no network access)."""
    html = decode_html(data, utf8_first=True)  # UTF-8 first; else the charset a <meta> tag declares
    if html is None:
        raise Skip("not UTF-8 text")
    try:
        d = extract_html(html)
    except Exception as e:  # noqa: BLE001 - a broken page must not stop the corpus
        raise Skip(f"HTML extraction failed: {type(e).__name__}") from None
    if d is None:
        raise Skip("no article text found in the HTML")
    body = d.get("text") or ""
    if not body.strip():
        raise Skip("no article text found in the HTML")
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


def json_records(text: str, rel: str) -> Iterator[Article | Skipped]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise Skip(f"invalid JSON: {e.msg} (line {e.lineno})") from None
    except RecursionError:
        raise Skip("invalid JSON: nested too deeply") from None
    if isinstance(data, dict):
        yield article(data, _record_text(data), rel=rel, origin=rel, multi=False,
                       fallback_title=Path(rel).stem)
        return
    if not isinstance(data, list):
        raise Skip("JSON must be an object or a list of objects")
    if not data:
        raise Skip("no records in file")
    for i, obj in enumerate(data):
        origin = f"{rel}[{i}]"
        yield parse_record(obj, rel, origin)


def jsonl_records(file: IO[bytes], rel: str, gzipped: bool, max_line_bytes: int) -> Iterator[Article | Skipped]:
    """Stream JSON Lines (plain or gzip) from an open file; a bad line is skipped, the others still load."""

    def from_start() -> IO[bytes]:
        file.seek(0)
        return gzip.GzipFile(fileobj=file, mode="rb") if gzipped else file

    lineno = 0
    try:
        head = from_start().read(_SNIFF_BYTES)
        # A NUL byte in one line spoils that line only; a file without lines is binary as a whole.
        check_bytes(head if b"\n" not in head else head.replace(b"\x00", b""))
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
        raise Skip(f"corrupt gzip data after line {lineno}" if lineno else "not a valid gzip file") from None
    except OSError as e:
        raise Skip(f"cannot read file: {e.strerror or e}") from None


def parse_record(obj: Any, rel: str, origin: str) -> Article | Skipped:
    """One object of a multi-record file, or the reason it was skipped."""
    if not isinstance(obj, dict):
        return Skipped(origin, "not a JSON object")
    try:
        return article(obj, _record_text(obj), rel=rel, origin=origin, multi=True, fallback_title="")
    except Skip as skip:
        return Skipped(origin, skip.reason)


def _record_text(obj: Mapping[str, Any]) -> str:
    text = obj.get("text")
    if text is None or (isinstance(text, str) and not text.strip()):
        raise Skip("record has no text")
    if not isinstance(text, str):
        raise Skip("'text' must be a string")
    return text


# --------------------------------------------------------------------------- articles


def article(
    meta: Mapping[str, Any],
    body: str,
    *,
    rel: str,
    origin: str,
    multi: bool,
    fallback_title: str,
    markdown: bool = False,
) -> Article:
    """Build an article from metadata and raw body text (cleaned here); raise Skip if unusable."""
    meta = {_KEY_ALIASES.get(k.lower(), k.lower()) if isinstance(k, str) else k: v for k, v in meta.items()}
    unknown = [k for k in meta if k not in _KNOWN_KEYS]
    if unknown:
        log.debug("%s: ignoring unknown keys %s", origin, ", ".join(map(str, unknown)))
    text = clean_text(body)
    if not text:
        raise Skip("no text left after cleaning" if body.strip() else "no text")
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
    raise Skip(f"'{key}' must be a string")


_SURROGATES = re.compile("[\ud800-\udfff]")


def _explicit_id(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise Skip("'id' must be a string")
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
