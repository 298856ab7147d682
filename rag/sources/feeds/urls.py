"""Feed URLs as they are stored: absolute http(s), without fragment, without duplicates."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from .errors import FeedError


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
