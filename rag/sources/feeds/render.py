"""A feed's article as a corpus file: where it is kept, and its Markdown with YAML front matter."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

FEEDS_FOLDER = "feeds"
_SLUG = re.compile(r"[^a-z0-9]+")
_HOST_SAFE = re.compile(r"[^a-z0-9.-]+")


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


def render_markdown(meta: dict[str, Any], text: str) -> bytes:
    """An article file: YAML front matter (every value a quoted-safe string) and the text."""
    front = yaml.safe_dump({k: v for k, v in meta.items() if v not in ("", None, [], ())},
                           allow_unicode=True, sort_keys=False, width=1_000_000)
    return f"---\n{front}---\n{text.strip()}\n".encode("utf-8")
