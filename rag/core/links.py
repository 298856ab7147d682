"""The link rule for every output: only a cited article's own URL may appear as a link.

Any other address in text shown to a user (a link planted in an article, one a model wrote)
is defanged the way security advisories write them, readable but not clickable and not turned
into a link by Discord or a terminal: ``https://evil.example/refund`` becomes
``hxxps://evil[.]example/refund`` and ``www.evil.example`` becomes ``www[.]evil[.]example``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["defang", "find_urls"]

# A scheme URL (any scheme a client might open) or a bare www. address, up to the first space
# or character that cannot be part of a link in prose.
_URL = re.compile(
    r"(?i)\b(?:(?P<scheme>[a-z][a-z0-9+.-]{1,15})(?P<sep>://|:(?=//))|(?=www\.))"
    r"[^\s<>\"'`\u201c\u201d\u2018\u2019|\\]+"
)
_SCHEMES = frozenset("http https ftp ftps sftp ws wss steam file smb irc ircs git ssh telnet".split())
_TRAILING = ".,;:!?)]}*_~"


def _clean(url: str) -> str:
    """A URL without the punctuation that ends the sentence around it."""
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def _key(url: str) -> str:
    return url.strip().rstrip("/").lower()


def find_urls(text: str) -> list[tuple[int, int]]:
    """Spans of the links in ``text`` (scheme URLs and ``www.`` addresses)."""
    out = []
    for m in _URL.finditer(text):
        scheme = (m.group("scheme") or "").lower()
        if scheme and scheme not in _SCHEMES:
            continue
        url = _clean(m.group(0))
        if url.lower().rstrip("/") in ("www", "www.") or (scheme and len(url) <= len(scheme) + 3):
            continue
        out.append((m.start(), m.start() + len(url)))
    return out


def _defang_one(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    host, slash, path = rest.partition("/")
    host = host.replace(".", "[.]")
    if scheme.lower() in ("http", "https"):
        scheme = "hxxp" + scheme[4:].lower()  # hxxp, hxxps
        prefix = scheme + "://"
    elif scheme:
        prefix = scheme + "[:]//"
    else:
        prefix = ""
    return prefix + host + slash + path


def defang(text: str, allowed: Iterable[str] = ()) -> str:
    """``text`` with every URL not in ``allowed`` (the cited articles' own URLs) made unclickable."""
    keep = {_key(u) for u in allowed if u}
    parts = []
    last = 0
    for a, b in find_urls(text):
        url = text[a:b]
        parts.append(text[last:a])
        parts.append(url if _key(url) in keep else _defang_one(url))
        last = b
    parts.append(text[last:])
    return "".join(parts)
