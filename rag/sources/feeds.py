"""RSS/Atom feed subscriptions: new and updated articles are saved into the corpus folder, then indexed.

The corpus folder stays the single source of truth: every article a feed brings is written
as a Markdown file with front matter under ``<CORPUS_DIR>/feeds/<host>/<slug>-<hash>.md``
(the path depends only on the article's URL, so a new version of an article replaces its
file, and the incremental reindex replaces its passages).

Feeds come from two places: ``FEEDS`` in the settings (always included) and feeds added at
run time (``/feeds add``, ``python -m rag feeds add``), kept in ``DATA_DIR/feeds.json``
together with what each sync learnt: ETag and Last-Modified of feeds and pages, the last
success and the last error of each feed, and the entries seen.

A sync fetches each feed with a conditional request (304: nothing new), a timeout, a size
cap and a delay between two requests to the same host. When a feed changed, its entries
that are new, that failed before, whose ``updated`` date changed, or that have no
``updated`` date are fetched (again with a conditional request); an entry whose
``updated`` date is unchanged is not. The page's text is extracted with trafilatura; when
that finds nothing, a substantial summary or content in the feed entry is used instead.
Every failure (timeout, HTTP error, oversized page, malformed feed, no text) is recorded
with a short reason and stops nothing else; a page that fails keeps the previous version of
its article. If any file was written, the ``reindex`` the sync was given updates the index
once, incrementally.
"""

from __future__ import annotations

import fcntl
import hashlib
import ipaddress
import json
import logging
import os
import re
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpcore
import httpx

from ..core.errors import ConfigError, RagError, ReindexBusy
from ..core.fsutil import atomic_write
from .charset import decode_html
from .ingest import extract_html
from ..index.indexer import Progress, no_progress
from ..core.settings import Settings
from ..core.types import IndexReport

log = logging.getLogger(__name__)

STATE_FILE = "feeds.json"
FEEDS_FOLDER = "feeds"
USER_AGENT = "newsbot-feeds/1.0 (RSS/Atom reader)"
MIN_PAGE_CHARS = 200  # less text than this on a page is navigation or a teaser, not an article
MIN_SUMMARY_CHARS = 400  # a feed summary shorter than this is not indexed in place of the page
MAX_ENTRIES_KEPT = 500  # entries remembered per feed (those still in the feed are always kept)
_STAMP = "%Y-%m-%dT%H:%M:%S%z"
_SLUG = re.compile(r"[^a-z0-9]+")
_HOST_SAFE = re.compile(r"[^a-z0-9.-]+")


class FeedError(RagError):
    """A feed command cannot be done (bad URL, unknown feed, feed from the settings); the message says why."""


class FeedsBusy(ReindexBusy):
    """Another feed sync (which ends with a reindex) is running on this data folder."""


class FetchError(Exception):
    """One URL could not be fetched or used; ``reason`` is a short line for reports."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --------------------------------------------------------------------------- URLs


def check_url(url: str) -> str:
    """``url`` stripped and without its fragment, or FeedError unless it is an absolute http(s) URL."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise FeedError(f"not an http or https URL: {url[:200]!r}")
    if any(c.isspace() for c in url):
        raise FeedError(f"a URL cannot contain spaces: {url[:200]!r}")
    return urlunsplit((parts.scheme.lower(), parts.netloc, parts.path, parts.query, ""))


def parse_feed_list(raw: str) -> tuple[str, ...]:
    """Comma- or whitespace-separated feed URLs, checked and without duplicates."""
    return tuple(dict.fromkeys(check_url(u) for u in raw.replace(",", " ").split()))


def article_path(url: str) -> Path:
    """Where the article at ``url`` is kept, relative to the corpus folder: stable for a URL."""
    parts = urlsplit(url)
    host = _HOST_SAFE.sub("_", (parts.hostname or "unknown").lower()).strip("._") or "unknown"
    if parts.port:
        host += f"_{parts.port}"
    last = [p for p in parts.path.split("/") if p]
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", last[-1]) if last else ""
    slug = _SLUG.sub("-", stem.lower()).strip("-")[:60].strip("-")
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:12]
    return Path(FEEDS_FOLDER, host, f"{slug}-{digest}.md" if slug else f"{digest}.md")


def _now() -> str:
    return datetime.now(timezone.utc).strftime(_STAMP)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- files


@contextmanager
def _flock(path: Path, blocking: bool) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            raise FeedsBusy("a feed sync is already running on this index; try again when it ends") from None
        yield
    finally:
        os.close(fd)


class FeedState:
    """``DATA_DIR/feeds.json``: subscriptions and what syncs learnt, read-modify-written under a lock."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / STATE_FILE
        self._lock = Path(data_dir) / ".feeds-state.lock"

    def read(self) -> dict[str, Any]:
        """The state (an empty one when there is no file yet); ConfigError when the file is unreadable."""
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {"version": 1, "feeds": {}, "reindex_pending": False}
        except OSError as e:
            raise ConfigError(f"cannot read {self.path}: {e.strerror or e}") from None
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as e:
            raise ConfigError(f"{self.path} is not valid JSON ({e.msg}, line {e.lineno}); fix it, or delete it "
                            "to start over (feeds added with /feeds add would then be lost)") from None
        if not isinstance(data, dict) or not isinstance(data.get("feeds", {}), dict):
            raise ConfigError(f"{self.path} does not hold feed state; fix it or delete it")
        data.setdefault("feeds", {})
        return data

    @contextmanager
    def edit(self) -> Iterator[dict[str, Any]]:
        """The state to change in place; written back atomically when the block ends without error."""
        with _flock(self._lock, blocking=True):
            data = self.read()
            yield data
            text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"  # keeps the order feeds were added in
            atomic_write(self.path, text.encode("utf-8"))


# --------------------------------------------------------------------------- reports


@dataclass(frozen=True)
class Change:
    """An article written by a sync: its URL, title and file (relative to the corpus folder)."""

    url: str
    title: str
    path: str


@dataclass(frozen=True)
class Failure:
    """A feed or an article that could not be fetched or used, and why."""

    url: str
    reason: str


@dataclass
class SyncReport:
    """What a sync did: articles written (new, updated), URLs found unchanged, failures, the reindex."""

    feeds: int = 0
    new: list[Change] = field(default_factory=list)
    updated: list[Change] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # feeds not modified and articles re-checked unchanged
    failed: list[Failure] = field(default_factory=list)
    index: IndexReport | None = None
    index_error: str = ""
    seconds: float = 0.0

    @property
    def written(self) -> int:
        return len(self.new) + len(self.updated)

    def summary(self) -> str:
        text = (f"{self.feeds} feed{'s' if self.feeds != 1 else ''} checked: {len(self.new)} new, "
                f"{len(self.updated)} updated, {len(self.unchanged)} unchanged, {len(self.failed)} failed "
                f"in {self.seconds:.1f}s")
        if self.index is not None:
            text += f"; index: {self.index.summary()}"
        elif self.index_error:
            text += f"; not indexed yet: {self.index_error}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "feeds": self.feeds,
            "new": [c.__dict__ for c in self.new],
            "updated": [c.__dict__ for c in self.updated],
            "unchanged": list(self.unchanged),
            "failed": [f.__dict__ for f in self.failed],
            "index": self.index.summary() if self.index else None,
            "index_error": self.index_error,
            "seconds": round(self.seconds, 2),
        }


@dataclass(frozen=True)
class FeedStatus:
    """One subscribed feed as /feeds list and /status show it."""

    url: str
    from_settings: bool
    title: str = ""
    last_attempt: str = ""
    last_success: str = ""
    last_error: str = ""
    articles: int = 0
    failed_articles: tuple[Failure, ...] = ()

    @property
    def problem(self) -> str:
        """The feed's error, or its first failed article's, or empty when it is fine."""
        if self.last_error:
            return self.last_error
        if self.failed_articles:
            first = self.failed_articles[0]
            more = len(self.failed_articles) - 1
            return f"article {first.url}: {first.reason}" + (f" (and {more} more)" if more else "")
        return ""


def feed_statuses(settings: Settings) -> list[FeedStatus]:
    """Every feed (the settings' first, then those added), with its last success and error."""
    return FeedSync(settings).statuses()


# --------------------------------------------------------------------------- fetching


class AddressPolicy:
    """Where feeds and pages may be fetched from: public addresses, and the networks the settings allow.

    Every request (the feed, each article link, each redirect) is checked before it is sent:
    its host is resolved, and if any address it resolves to is loopback, link-local, private,
    multicast or otherwise not public, the request is refused, unless that address is in
    ``FEED_ALLOWED_NETWORKS``. A feed from the internet cannot make the bot read
    ``http://127.0.0.1:...``, a cloud metadata service (169.254.169.254) or a host on the
    local network and index the reply for anyone to ask about.

    The connection itself is made to an address the policy has just checked (see
    :class:`_CheckedBackend`), so a host whose DNS answers a public address for the check and
    a private one a moment later (DNS rebinding) is still refused.
    """

    def __init__(self, allowed: Iterable[str] = ()) -> None:
        self._allowed = tuple(ipaddress.ip_network(n, strict=False) for n in allowed)

    def check(self, host: str, port: int) -> list[str]:
        """The addresses of ``host``, in the resolver's order; FetchError unless each is public or allowed."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as e:
            raise FetchError(f"cannot resolve {host}: {getattr(e, 'strerror', None) or e}") from None
        addresses: list[str] = []
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
            if address.version == 6 and address.ipv4_mapped is not None:
                address = address.ipv4_mapped
            kind = _non_public(address)
            if kind and not any(address in net for net in self._allowed):
                shown = host if host == str(address) else f"{host} ({address})"
                raise FetchError(f"refused: {shown} is {kind}; to fetch from it, add it to "
                                 "FEED_ALLOWED_NETWORKS in the settings")
            if str(info[4][0]) not in addresses:
                addresses.append(str(info[4][0]))
        return addresses

    def __call__(self, request: httpx.Request) -> None:
        """httpx request hook: runs before the first request and before each redirect is followed."""
        url = request.url
        self.check(url.host, url.port or (443 if url.scheme == "https" else 80))


def _non_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """What kind of non-public address this is, or "" for a public one."""
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_unspecified or address.is_multicast or address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if not address.is_global:  # shared (100.64.0.0/10), documentation and other special ranges
        return "a reserved address"
    return ""


class _CheckedBackend(httpcore.SyncBackend):
    """Opens each connection to an address the policy checked in the same step.

    httpx would resolve the host again when it connects, after the request hook's check, and
    a second DNS answer could point somewhere else. Here the host is resolved once, every
    address checked, and the socket connected to one of those addresses. TLS still verifies
    and names (SNI) the URL's host, and the Host header stays the URL's: httpcore takes both
    from the request's origin, not from the address connected to.
    """

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        error: Exception | None = None
        for address in self._policy.check(host, port):
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as e:
                error = e
        assert error is not None  # check() resolves to one address at least, or raises
        raise error


def _checked_transport(policy: AddressPolicy) -> httpx.HTTPTransport:
    """httpx's own transport, its connection pool opening connections through :class:`_CheckedBackend`.

    HTTPTransport takes no network backend, so its pool is replaced by the same pool with one
    (httpx 0.28 builds it with these arguments from its defaults; the tests fetch through it).
    """
    transport = httpx.HTTPTransport()
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(), max_connections=100, max_keepalive_connections=20,
        keepalive_expiry=5.0, network_backend=_CheckedBackend(policy))
    return transport


def outbound_client(timeout: float, allowed_networks: Iterable[str] = ()) -> httpx.Client:
    """The HTTP client every feed and page is fetched with, under the :class:`AddressPolicy`.

    The request hook refuses a request before it is sent; the transport connects only to the
    addresses it checks again. Proxies from the environment (HTTP_PROXY and the like) are not
    used: through a proxy, the address checked would not be the one fetched from.
    """
    policy = AddressPolicy(allowed_networks)
    return httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=True, max_redirects=5,
                        headers={"User-Agent": USER_AGENT}, transport=_checked_transport(policy),
                        event_hooks={"request": [policy]})


@dataclass(frozen=True)
class Page:
    """A fetched document: final URL, body and the validators for the next conditional request."""

    url: str
    body: bytes
    etag: str = ""
    last_modified: str = ""
    content_type: str = ""

    @property
    def hash(self) -> str:
        return _sha(self.body)


class Fetcher:
    """GET with conditional headers, a timeout, a size cap and a delay between requests to one host."""

    def __init__(self, client: httpx.Client, timeout: float, max_mb: float, host_delay: float) -> None:
        self._client = client
        self._timeout = timeout
        self._max_mb = max_mb
        self._max_bytes = int(max_mb * 1024 * 1024)
        self._host_delay = host_delay
        self._last: dict[str, float] = {}  # host -> when its last request ended (perf_counter)

    def _wait_for(self, host: str) -> None:
        last = self._last.get(host)
        if last is not None and self._host_delay > 0:
            wait = self._host_delay - (time.perf_counter() - last)
            if wait > 0:
                time.sleep(wait)

    def get(self, url: str, etag: str = "", last_modified: str = "") -> Page | None:
        """The page, or None when the server says it has not changed (304); FetchError otherwise."""
        host = (urlsplit(url).hostname or "").lower()
        self._wait_for(host)
        try:
            return self._get(url, etag, last_modified)
        finally:
            self._last[host] = time.perf_counter()

    def _get(self, url: str, etag: str, last_modified: str) -> Page | None:
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        cap = f"page larger than {self._max_mb:g} MB"
        deadline = time.perf_counter() + self._timeout
        try:
            with self._client.stream("GET", url, headers=headers) as resp:
                if resp.status_code == 304:
                    return None
                if resp.status_code >= 400:
                    raise FetchError(f"HTTP {resp.status_code} {resp.reason_phrase}".strip())
                if resp.status_code != 200:
                    raise FetchError(f"unexpected HTTP status {resp.status_code}")
                length = resp.headers.get("content-length", "")
                if length.isdigit() and int(length) > self._max_bytes:
                    raise FetchError(cap)
                chunks, size = [], 0
                for chunk in resp.iter_bytes():
                    size += len(chunk)
                    if size > self._max_bytes:
                        raise FetchError(cap)
                    chunks.append(chunk)
                    if time.perf_counter() > deadline:
                        raise FetchError(f"timed out after {self._timeout:g} s")
                return Page(str(resp.url), b"".join(chunks), resp.headers.get("etag", ""),
                            resp.headers.get("last-modified", ""), resp.headers.get("content-type", ""))
        except httpx.TimeoutException:
            raise FetchError(f"timed out after {self._timeout:g} s") from None
        except httpx.UnsupportedProtocol:
            raise FetchError("redirected to a URL that is not http or https") from None
        except httpx.TooManyRedirects:
            raise FetchError("too many redirects") from None
        except httpx.ConnectError as e:
            raise FetchError(f"cannot connect: {_short(e)}") from None
        except httpx.HTTPError as e:
            raise FetchError(f"{type(e).__name__}: {_short(e)}") from None


def _short(error: BaseException, limit: int = 120) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[:limit - 1] + "…"


# --------------------------------------------------------------------------- articles


@dataclass(frozen=True)
class _Article:
    title: str
    text: str
    published: str  # YYYY-MM-DD or empty
    authors: tuple[str, ...]


def extract_article(page: Page) -> _Article | None:
    """Title, text, date and authors of an article page (trafilatura, no network), or None without text."""
    # The HTTP charset, else the one a <meta> tag declares, else UTF-8 (lenient).
    html = decode_html(page.body, page.content_type)
    if html is None:
        html = page.body.decode("utf-8", errors="replace")
    try:
        d = extract_html(html, url=page.url)
    except Exception:  # noqa: BLE001 - a broken page is a failure of that article only
        log.warning("trafilatura failed on %s", page.url, exc_info=True)
        return None
    if d is None:
        return None
    text = (d.get("text") or "").strip()
    if not text:
        return None
    authors = tuple(a.strip() for a in (d.get("author") or "").split(";") if a.strip())
    return _Article(" ".join((d.get("title") or "").split()), text, (d.get("date") or "")[:10], authors)


def _html_text(html: str) -> str:
    """Plain text of an HTML fragment (a feed summary), paragraphs kept."""
    import lxml.html

    if "<" not in html:
        return html.strip()
    try:
        root = lxml.html.fromstring(f"<div>{html}</div>")
    except Exception:  # noqa: BLE001 - a broken summary is only a missing fallback
        return ""
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")
    for block in root.iter("p", "div", "li", "h1", "h2", "h3", "h4", "blockquote"):
        block.tail = "\n\n" + (block.tail or "")
    return re.sub(r"\n{3,}", "\n\n", root.text_content()).strip()


def _entry_text(entry: dict) -> str:
    """The longest text a feed entry carries itself (its content, else its summary)."""
    candidates = [c.get("value", "") for c in entry.get("content") or [] if isinstance(c, dict)]
    candidates.append(entry.get("summary") or "")
    texts = [_html_text(c) for c in candidates if c]
    return max(texts, key=len, default="")


def _entry_date(entry: dict) -> str:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = dict.get(entry, key)  # dict.get: no feedparser fallbacks or warnings
        if parsed:
            return time.strftime("%Y-%m-%d", parsed)
    return ""


def render_markdown(meta: dict[str, Any], text: str) -> bytes:
    """An article file: YAML front matter (every value a quoted-safe string) and the text."""
    import yaml

    front = yaml.safe_dump({k: v for k, v in meta.items() if v not in ("", None, [], ())},
                           allow_unicode=True, sort_keys=False, width=1_000_000)
    return f"---\n{front}---\n{text.strip()}\n".encode("utf-8")


# --------------------------------------------------------------------------- the sync


class FeedSync:
    """Subscriptions (``add``, ``remove``, ``statuses``) and ``sync``, which fetches, writes and reindexes."""

    def __init__(self, settings: Settings, reindex: Callable[..., IndexReport] | None = None) -> None:
        """``reindex`` updates the index from the corpus folder, called as ``reindex(progress=...)`` after a
        sync that wrote articles (or one left pending); without it a sync only writes the files."""
        self.settings = settings
        self.reindex = reindex
        self.state = FeedState(settings.data_dir)
        self.from_settings = tuple(dict.fromkeys(check_url(u) for u in settings.feeds))

    # Subscriptions

    def urls(self) -> list[str]:
        """Every feed to sync: the settings' FEEDS first, then those added, without duplicates."""
        added = [u for u, rec in self.state.read()["feeds"].items() if rec.get("added")]
        return list(dict.fromkeys([*self.from_settings, *added]))

    def add(self, url: str) -> str:
        """Subscribe to a feed; returns its URL as stored. FeedError if it is invalid or already there."""
        url = check_url(url)
        if url in self.from_settings:
            raise FeedError(f"{url} is already subscribed (it is in FEEDS in the settings)")
        with self.state.edit() as data:
            rec = data["feeds"].setdefault(url, {})
            if rec.get("added"):
                raise FeedError(f"{url} is already subscribed")
            rec["added"] = _now()
        log.info("subscribed to feed %s", url)
        return url

    def remove(self, url: str) -> str:
        """Unsubscribe from a feed added at run time; FeedError for an unknown feed or one from FEEDS."""
        url = check_url(url)
        if url in self.from_settings:
            raise FeedError(f"{url} comes from FEEDS in the settings (.env); remove it there and restart")
        with self.state.edit() as data:
            if not data["feeds"].get(url, {}).get("added"):
                raise FeedError(f"not subscribed to {url}")
            del data["feeds"][url]
        log.info("unsubscribed from feed %s", url)
        return url

    def statuses(self) -> list[FeedStatus]:
        feeds = self.state.read()["feeds"]
        out = []
        for url in self.urls():
            rec = feeds.get(url, {})
            entries = rec.get("entries", {})
            failed = tuple(Failure(e.get("link", key), e["error"]) for key, e in entries.items() if e.get("error"))
            out.append(FeedStatus(
                url=url, from_settings=url in self.from_settings, title=rec.get("title", ""),
                last_attempt=rec.get("last_attempt", ""), last_success=rec.get("last_success", ""),
                last_error=rec.get("last_error", ""),
                articles=sum(1 for e in entries.values() if e.get("path")), failed_articles=failed,
            ))
        return out

    # Syncing

    def _client(self) -> httpx.Client:
        return outbound_client(self.settings.feed_timeout, self.settings.feed_allowed_networks)

    def sync(self, progress: Progress = no_progress) -> SyncReport:
        """Fetch every feed, write new and updated articles into the corpus, then reindex once if any was."""
        started = time.perf_counter()
        s = self.settings
        report = SyncReport()
        with _flock(s.data_dir / ".feeds.lock", blocking=False):
            urls = self.urls()
            report.feeds = len(urls)
            if urls:
                with self._client() as client:
                    fetcher = Fetcher(client, s.feed_timeout, s.feed_max_page_mb, s.feed_host_delay)
                    for i, url in enumerate(urls):
                        progress("feeds", i, len(urls))
                        try:
                            self._sync_feed(url, fetcher, report)
                        except ConfigError:
                            raise  # the state file is unreadable: nothing else can be recorded either
                        except Exception as e:  # noqa: BLE001 - a bug or an odd feed must not stop the others
                            log.exception("unexpected error while syncing feed %s", url)
                            reason = f"unexpected error ({type(e).__name__})"
                            report.failed.append(Failure(url, reason))
                            self._save(url, {"last_attempt": _now(), "last_error": reason})
                    progress("feeds", len(urls), len(urls))
            if report.written:
                with self.state.edit() as data:
                    data["reindex_pending"] = True
            if self.reindex is not None and self.state.read().get("reindex_pending"):
                self._update_index(report, progress)
        report.seconds = time.perf_counter() - started
        log.info("feed sync: %s", report.summary())
        return report

    def _update_index(self, report: SyncReport, progress: Progress) -> None:
        try:
            report.index = self.reindex(progress=progress)
        except RagError as e:
            # The files are in the corpus folder; the next sync (or any reindex) indexes them.
            report.index_error = str(e)
            log.warning("feed articles written but not indexed yet: %s", e)
            return
        with self.state.edit() as data:
            data["reindex_pending"] = False

    def _save(self, url: str, fields: dict[str, Any]) -> None:
        """Merge a sync's findings into a feed's record, unless it was removed meanwhile."""
        with self.state.edit() as data:
            rec = data["feeds"].get(url)
            if rec is None:
                if url not in self.from_settings:
                    return
                rec = data["feeds"][url] = {}
            rec.update(fields)

    def _sync_feed(self, url: str, fetcher: Fetcher, report: SyncReport) -> None:
        import feedparser

        rec = self.state.read()["feeds"].get(url, {})
        entries: dict[str, dict] = dict(rec.get("entries", {}))
        retry = any(e.get("error") for e in entries.values())
        attempt = _now()
        try:
            # With entries to retry the feed is fetched in full (they are in it, not in a 304).
            page = fetcher.get(url, "" if retry else rec.get("etag", ""),
                               "" if retry else rec.get("last_modified", ""))
        except FetchError as e:
            log.warning("feed %s failed: %s", url, e.reason)
            report.failed.append(Failure(url, e.reason))
            self._save(url, {"last_attempt": attempt, "last_error": e.reason})
            return
        if page is None:
            report.unchanged.append(url)
            self._save(url, {"last_attempt": attempt, "last_success": attempt, "last_error": ""})
            return
        changed = page.hash != rec.get("feed_hash")
        if not changed and not retry:
            report.unchanged.append(url)
            self._save(url, {"last_attempt": attempt, "last_success": attempt, "last_error": "",
                             "etag": page.etag, "last_modified": page.last_modified})
            return
        parsed = feedparser.parse(page.body, response_headers={"content-location": page.url,
                                                                "content-type": page.content_type})
        if not parsed.entries and (parsed.bozo or not parsed.get("version")):
            problem = parsed.get("bozo_exception")
            reason = "not a valid RSS or Atom feed" + (f" ({_short(problem, 80)})" if problem else "")
            log.warning("feed %s failed: %s", url, reason)
            report.failed.append(Failure(url, reason))
            self._save(url, {"last_attempt": attempt, "last_error": reason})
            return
        feed_title = " ".join((parsed.feed.get("title") or "").split())
        source = feed_title or (urlsplit(page.url).hostname or "")
        listed: set[str] = set()
        failed = False
        for entry in parsed.entries[: self.settings.feed_max_entries]:
            key, outcome = self._sync_entry(entry, page.url, url, source, entries, changed, fetcher, report)
            if key:
                listed.add(key)
            failed = failed or outcome == "failed"
        # Forget errors of entries that left the feed, and the oldest entries beyond the cap.
        entries = {k: e for k, e in entries.items() if k in listed or not e.get("error")}
        if len(entries) > MAX_ENTRIES_KEPT:
            keep = sorted(entries, key=lambda k: (k in listed, entries[k].get("seen", "")), reverse=True)
            entries = {k: entries[k] for k in keep[:MAX_ENTRIES_KEPT]}
        self._save(url, {
            "title": feed_title, "last_attempt": attempt, "last_success": attempt, "last_error": "",
            # Validators are kept only when every entry was handled, so failed ones are retried.
            "etag": "" if failed else page.etag, "last_modified": "" if failed else page.last_modified,
            "feed_hash": page.hash, "entries": entries,
        })

    def _sync_entry(self, entry: dict, base: str, feed_url: str, source: str, entries: dict[str, dict],
                    feed_changed: bool, fetcher: Fetcher, report: SyncReport) -> tuple[str, str]:
        """Bring one entry's article up to date; returns its key and "new", "updated", "unchanged" or "failed"."""
        raw_link = entry.get("link") or ""
        key = entry.get("id") or raw_link
        try:
            if not raw_link:
                raise FetchError("the feed entry has no link")
            try:
                link = check_url(urljoin(base, raw_link))
            except FeedError:
                raise FetchError(f"the entry's link is not an http or https URL: {raw_link[:100]}") from None
        except FetchError as e:
            if not key:
                report.failed.append(Failure(feed_url, f"an entry without id or link: {e.reason}"))
                return "", "failed"
            log.warning("an entry of feed %s failed: %s", feed_url, e.reason)
            report.failed.append(Failure(raw_link or feed_url, e.reason))
            entries[key] = {**entries.get(key, {}), "link": raw_link, "error": e.reason, "seen": _now()}
            return key, "failed"
        key = key or link
        known = entries.get(key, {})
        rel = article_path(link)
        path = self.settings.corpus_dir / rel
        updated = dict.get(entry, "updated") or ""  # dict.get: not feedparser's fallback to `published`
        exists = path.is_file() and known.get("path") == rel.as_posix()
        same_date = bool(updated) and updated == known.get("updated")
        if exists and not known.get("error") and (not feed_changed or same_date):
            report.unchanged.append(link)
            entries[key] = {**known, "seen": _now()}
            return key, "unchanged"
        record = {**known, "link": link, "seen": _now()}
        try:
            page = fetcher.get(link, known.get("etag", "") if exists else "",
                               known.get("last_modified", "") if exists else "")
            if page is None or (exists and page.hash == known.get("page_hash")):
                report.unchanged.append(link)
                entries[key] = {**record, "updated": updated, "error": ""}
                return key, "unchanged"
            article = self._article(entry, page)
        except FetchError as e:
            # The previous version of the article (if any) stays as it is.
            log.warning("article %s (feed %s) failed: %s", link, feed_url, e.reason)
            report.failed.append(Failure(link, e.reason))
            entries[key] = {**record, "error": e.reason}
            return key, "failed"
        meta = {"title": article.title, "source": source, "date": article.published, "url": link,
                "feed": feed_url, "authors": list(article.authors)}
        data = render_markdown(meta, article.text)
        before = path.read_bytes() if path.is_file() else None
        entries[key] = {**record, "updated": updated, "error": "", "path": rel.as_posix(),
                        "etag": page.etag, "last_modified": page.last_modified, "page_hash": page.hash}
        if before == data:
            report.unchanged.append(link)
            return key, "unchanged"
        atomic_write(path, data)
        change = Change(link, article.title, rel.as_posix())
        (report.updated if before is not None else report.new).append(change)
        log.info("%s article %s -> %s", "updated" if before is not None else "new", link, rel)
        return key, "updated" if before is not None else "new"

    def _article(self, entry: dict, page: Page) -> _Article:
        """The page's article, or the entry's own text when extraction finds none and it is substantial."""
        entry_title = " ".join((entry.get("title") or "").split())
        entry_date = _entry_date(entry)
        entry_author = (entry.get("author") or "").strip()
        found = extract_article(page)
        if found is not None and len(found.text) >= MIN_PAGE_CHARS:
            # The feed's date is the publisher's own; the page's is a guess by trafilatura.
            return _Article(found.title or entry_title or page.url, found.text, entry_date or found.published,
                            found.authors or ((entry_author,) if entry_author else ()))
        summary = _entry_text(entry)
        if len(summary) >= MIN_SUMMARY_CHARS:
            log.info("no article text on %s; indexing the feed entry's own text instead", page.url)
            return _Article(entry_title or page.url, summary, entry_date, (entry_author,) if entry_author else ())
        raise FetchError("no article text found on the page, and the feed entry's summary is too short "
                         "to index instead")


def format_sync_report(report: SyncReport) -> str:
    """Plain-text report of a sync, for the command line."""
    lines = [report.summary()]
    for label, changes in (("new", report.new), ("updated", report.updated)):
        for c in changes:
            lines.append(f"  {label}: {c.title} ({c.url}) -> {c.path}")
    for f in report.failed:
        lines.append(f"  failed {f.url}: {f.reason}")
    return "\n".join(lines)


def format_statuses(statuses: Iterable[FeedStatus]) -> str:
    """Plain-text list of feeds, for the command line."""
    lines = []
    for st in statuses:
        origin = "FEEDS setting" if st.from_settings else "added"
        lines.append(f"{st.url} ({origin}){' ' + st.title if st.title else ''}")
        lines.append(f"  articles: {st.articles}; last success: {st.last_success or 'never'}; "
                     f"last error: {st.problem or 'none'}")
    return "\n".join(lines) if lines else "no feeds: add one with `python -m rag feeds add URL` or FEEDS in .env"

