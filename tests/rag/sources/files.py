"""Corpus files for the loader's tests: written into a temporary folder, loaded back."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from rag.core.types import Article
from rag.sources.ingest import load_corpus

BODY = "Dock workers returned to work on Tuesday. The strike lasted three weeks.\nShips waited offshore."


def write(root: Path, rel: str, content: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def sha16(s: str) -> str:
    return hashlib.sha1(s.encode("utf-8")).hexdigest()[:16]


def load_one(root: Path) -> Article:
    articles, skipped = load_corpus(root)
    assert skipped == []
    assert len(articles) == 1
    return articles[0]


def bench_record(i: int, **overrides: object) -> dict:
    """A record in the format of the evaluation set (id, url, title, published, source, authors, text)."""
    record = {
        "id": f"{i:016x}",
        "url": f"https://news.example/story/{i}",
        "title": f"Story number {i}",
        "published": "2023-01-05",
        "source": "news.example",
        "authors": ["Jane Doe", "John Roe"],
        "text": f"Paragraph one of story {i}.\n\nParagraph two.\n\nRead more: another story",
    }
    record.update(overrides)
    return record


def jsonl(records: list) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)
