"""An HTML page's bytes as text, in the charset they are declared in (the corpus loader's and the feeds')."""

from __future__ import annotations

import re

_HTTP_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def decode_html(data: bytes, content_type: str = "", *, utf8_first: bool = False) -> str | None:
    """``data`` as text, or None when none of the charsets tried decodes it.

    Tried in order: UTF-8 (without its BOM) when ``utf8_first``; the charset the HTTP
    ``content_type`` names; the one a ``<meta>`` tag in the first 4 KB declares. A charset
    Python does not know, or that fails on the bytes, is passed over.
    """
    names = ["utf-8-sig"] if utf8_first else []
    for found in (_HTTP_CHARSET.search(content_type), _META_CHARSET.search(data[:4096])):
        if found:
            name = found.group(1)
            names.append(name.decode("ascii") if isinstance(name, bytes) else name)
    for name in names:
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError):
            pass
    return None
