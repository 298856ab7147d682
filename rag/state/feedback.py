"""Ratings of answers, kept in a local SQLite file; users are stored only as salted hashes.

One row per (answer, user): rating again changes the rating. The salt is generated once per
install and kept next to the database (``<db>.salt``, readable by the owner only), so the
hashes cannot be matched against user ids without it, and do not match across installs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import sqlite3
import threading
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..core.fsutil import SqliteFile
from ..core.types import Answer

log = logging.getLogger(__name__)

HELPFUL = 1
UNHELPFUL = -1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    answer_id TEXT NOT NULL,
    user_hash TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,  -- JSON list of Citation.to_dict()
    mode TEXT NOT NULL,
    refused INTEGER NOT NULL,
    created_at TEXT NOT NULL,  -- ISO 8601, UTC
    UNIQUE (answer_id, user_hash)
)
"""


@dataclass(frozen=True)
class FeedbackCounts:
    helpful: int = 0
    unhelpful: int = 0

    @property
    def total(self) -> int:
        return self.helpful + self.unhelpful


class FeedbackStore:
    """Records ratings; safe to call from several threads (one connection per call)."""

    def __init__(self, path: Path, salt: bytes | None = None) -> None:
        self.path = Path(path)
        self._salt = salt
        self._setup = threading.Lock()  # the salt is made once
        self._db = SqliteFile(self.path, _SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return self._db.connect()

    def salt(self) -> bytes:
        """The per-install salt, created on first use."""
        with self._setup:
            if self._salt is None:
                self._salt = self._load_or_create_salt()
        return self._salt

    def _load_or_create_salt(self) -> bytes:
        path = self.path.with_name(self.path.name + ".salt")
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # Written aside, then linked into place: another process sees no salt or a whole one.
            tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_bytes(32).hex())
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass  # another process made it first: use theirs
            finally:
                os.unlink(tmp)
        return bytes.fromhex(path.read_text(encoding="ascii").strip())

    def hash_user(self, user_id: int | str) -> str:
        """HMAC-SHA256 of the user id under the install's salt."""
        return hmac.new(self.salt(), str(user_id).encode(), hashlib.sha256).hexdigest()

    def record(self, answer_id: str, answer: Answer, rating: int, user_id: int | str,
               now: datetime | None = None) -> None:
        """Store (or change) one user's rating of one answer."""
        if rating not in (HELPFUL, UNHELPFUL):
            raise ValueError(f"rating must be {HELPFUL} or {UNHELPFUL}, got {rating!r}")
        when = (now or datetime.now(UTC)).isoformat(timespec="seconds")
        citations = json.dumps([c.to_dict() for c in answer.citations], ensure_ascii=False)
        with closing(self._connect()) as conn, conn:
            conn.execute(
                """
                INSERT INTO feedback (answer_id, user_hash, rating, question, answer, citations, mode,
                                      refused, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (answer_id, user_hash) DO UPDATE
                    SET rating = excluded.rating, created_at = excluded.created_at
                """,
                (answer_id, self.hash_user(user_id), rating, answer.question, answer.text, citations,
                 answer.mode, int(answer.refused), when),
            )
        log.info("feedback %+d on answer %s", rating, answer_id)

    def counts(self) -> FeedbackCounts:
        """How many ratings are helpful and unhelpful."""
        with closing(self._connect()) as conn:
            rows = dict(conn.execute("SELECT rating, COUNT(*) FROM feedback GROUP BY rating").fetchall())
        return FeedbackCounts(helpful=rows.get(HELPFUL, 0), unhelpful=rows.get(UNHELPFUL, 0))
