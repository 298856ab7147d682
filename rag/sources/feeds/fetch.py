"""Fetching one URL: conditional requests, a timeout, a size cap and a delay between requests to one host."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from .errors import FetchError


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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
            raise FetchError(f"cannot connect: {short_reason(e)}") from None
        except httpx.HTTPError as e:
            raise FetchError(f"{type(e).__name__}: {short_reason(e)}") from None


def short_reason(error: BaseException, limit: int = 120) -> str:
    """An error as one line of at most ``limit`` characters, for a feed's or an article's status."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[:limit - 1] + "…"
