"""Recent answers and thread conversations in SQLite beside the feedback database, so the buttons,
/sources and follow-ups keep working after a restart.

Kept for ``KEEP_DAYS`` days and at most ``KEEP_ANSWERS`` answers and ``KEEP_THREADS`` threads
(older ones are deleted as new ones come); users are stored only as the feedback store's
salted hashes. Every method does blocking file work: call it through ``asyncio.to_thread``.
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from ..core.fsutil import SqliteFile
from ..core.types import MAX_TURNS, Answer, Chunk, Citation, Passage, Turn

log = logging.getLogger(__name__)

KEEP_DAYS = 30
KEEP_ANSWERS = 5000
KEEP_THREADS = 1000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY,
    user_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,  -- ISO 8601, UTC
    answer TEXT NOT NULL  -- JSON, see answer_to_json
);
CREATE INDEX IF NOT EXISTS answers_by_user ON answers (user_hash, created_at);
CREATE TABLE IF NOT EXISTS turns (
    id INTEGER PRIMARY KEY,
    thread_id INTEGER NOT NULL,
    question TEXT NOT NULL,  -- standalone, as the answer was searched for
    answer TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS turns_by_thread ON turns (thread_id, id);
CREATE TABLE IF NOT EXISTS threads (
    thread_id INTEGER PRIMARY KEY,
    touched_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS hinted (  -- threads already told how to ask a follow-up
    thread_id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL
);
"""


# --------------------------------------------------------------------------- answers as JSON


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _record(obj: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {f.name: _plain(getattr(obj, f.name)) for f in fields(obj) if f.name not in skip}


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _build(cls: type, data: dict[str, Any], **extra: Any) -> Any:
    """``cls`` from a record: unknown keys ignored, dates and (nested) tuples restored by field name."""
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        if isinstance(value, list):
            value = _tuples(value)
        elif isinstance(value, str) and f.name in ("published", "as_of"):
            value = date.fromisoformat(value)
        kwargs[f.name] = value
    return cls(**{**kwargs, **extra})


def answer_to_json(answer: Answer) -> str:
    record = _record(answer, skip=("citations", "passages"))
    record["citations"] = [_record(c) for c in answer.citations]
    record["passages"] = [{**_record(p, skip=("chunk",)), "chunk": _record(p.chunk)} for p in answer.passages]
    return json.dumps(record, ensure_ascii=False)


def answer_from_json(text: str) -> Answer:
    data = json.loads(text)
    citations = tuple(_build(Citation, c) for c in data.get("citations", ()))
    passages = tuple(_build(Passage, p, chunk=_build(Chunk, p["chunk"])) for p in data.get("passages", ()))
    return _build(Answer, {k: v for k, v in data.items() if k not in ("citations", "passages")},
                  citations=citations, passages=passages)


# --------------------------------------------------------------------------- the store


@dataclass(frozen=True)
class Remembered:
    key: str
    answer: Answer
    user_hash: str


class _Database:
    """One SQLite file; a connection per call, so any thread may use it."""

    def __init__(self, path: Path, clock: Callable[[], datetime] | None = None) -> None:
        self.path = Path(path)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._file = SqliteFile(self.path, _SCHEMA)

    def connect(self) -> sqlite3.Connection:
        return self._file.connect()

    def now(self) -> str:
        return self._clock().isoformat(timespec="seconds")

    def cutoff(self) -> str:
        return (self._clock() - timedelta(days=KEEP_DAYS)).isoformat(timespec="seconds")


class AnswerMemory:
    """Answers by key, and each user's latest: for the buttons under an answer and /sources."""

    def __init__(self, path: Path, hash_user: Callable[[int], str], keep: int = KEEP_ANSWERS,
                 clock: Callable[[], datetime] | None = None) -> None:
        self._db = _Database(path, clock)
        self._hash_user = hash_user
        self._keep = keep

    def remember(self, user_id: int, answer: Answer) -> str:
        """Store an answer; its key goes into the buttons' custom ids. Forgets the oldest beyond the limits."""
        key = secrets.token_hex(6)
        with closing(self._db.connect()) as conn, conn:
            conn.execute("INSERT INTO answers (key, user_hash, created_at, answer) VALUES (?, ?, ?, ?)",
                         (key, self._hash_user(user_id), self._db.now(), answer_to_json(answer)))
            conn.execute("DELETE FROM answers WHERE created_at < ?", (self._db.cutoff(),))
            conn.execute("DELETE FROM answers WHERE rowid NOT IN "
                         "(SELECT rowid FROM answers ORDER BY rowid DESC LIMIT ?)", (self._keep,))
        return key

    def _one(self, sql: str, *args: Any) -> Remembered | None:
        with closing(self._db.connect()) as conn:
            row = conn.execute(sql, (*args, self._db.cutoff())).fetchone()
        if row is None:
            return None
        try:
            return Remembered(row[0], answer_from_json(row[2]), row[1])
        except (ValueError, KeyError, TypeError) as exc:  # e.g. written by an older release
            log.warning("cannot read remembered answer %s: %s", row[0], exc)
            return None

    def get(self, key: str) -> Remembered | None:
        return self._one("SELECT key, user_hash, answer FROM answers WHERE key = ? AND created_at >= ?", key)

    def latest(self, user_id: int) -> Remembered | None:
        return self._one("SELECT key, user_hash, answer FROM answers WHERE user_hash = ? AND created_at >= ? "
                         "ORDER BY rowid DESC LIMIT 1", self._hash_user(user_id))


class ThreadMemory:
    """The last turns of each thread the bot opened, as ``rag.answer.conversation.Conversations`` keeps them."""

    def __init__(self, path: Path, keep: int = KEEP_THREADS, max_turns: int = MAX_TURNS,
                 clock: Callable[[], datetime] | None = None) -> None:
        self._db = _Database(path, clock)
        self._keep = keep
        self._max_turns = max_turns

    def __contains__(self, thread_id: int) -> bool:
        with closing(self._db.connect()) as conn:
            return conn.execute("SELECT 1 FROM threads WHERE thread_id = ? AND touched_at >= ?",
                                (thread_id, self._db.cutoff())).fetchone() is not None

    def start(self, thread_id: int) -> None:
        """Open a conversation with no turns yet (a new thread)."""
        with closing(self._db.connect()) as conn, conn:
            self._touch(conn, thread_id)

    def history(self, thread_id: int) -> tuple[Turn, ...]:
        with closing(self._db.connect()) as conn:
            rows = conn.execute("SELECT question, answer FROM turns WHERE thread_id = ? ORDER BY id DESC LIMIT ?",
                                (thread_id, self._max_turns)).fetchall()
        return tuple(Turn(q, a) for q, a in reversed(rows))

    def add(self, thread_id: int, turn: Turn) -> None:
        with closing(self._db.connect()) as conn, conn:
            self._touch(conn, thread_id)
            conn.execute("INSERT INTO turns (thread_id, question, answer, created_at) VALUES (?, ?, ?, ?)",
                         (thread_id, turn.question, turn.answer, self._db.now()))
            conn.execute("DELETE FROM turns WHERE thread_id = ? AND id NOT IN "
                         "(SELECT id FROM turns WHERE thread_id = ? ORDER BY id DESC LIMIT ?)",
                         (thread_id, thread_id, self._max_turns))

    def hint_once(self, thread_id: int) -> bool:
        """True the first time it is asked for a thread (the bot says how to ask a follow-up once, ever)."""
        with closing(self._db.connect()) as conn, conn:
            added = conn.execute("INSERT OR IGNORE INTO hinted (thread_id, created_at) VALUES (?, ?)",
                                 (thread_id, self._db.now())).rowcount
        return added == 1

    def _touch(self, conn: sqlite3.Connection, thread_id: int) -> None:
        conn.execute("INSERT INTO threads (thread_id, touched_at) VALUES (?, ?) "
                     "ON CONFLICT (thread_id) DO UPDATE SET touched_at = excluded.touched_at",
                     (thread_id, self._db.now()))
        stale = "touched_at < ? OR thread_id NOT IN (SELECT thread_id FROM threads ORDER BY touched_at DESC LIMIT ?)"
        args = (self._db.cutoff(), self._keep)
        conn.execute(f"DELETE FROM turns WHERE thread_id IN (SELECT thread_id FROM threads WHERE {stale})", args)
        conn.execute(f"DELETE FROM hinted WHERE thread_id IN (SELECT thread_id FROM threads WHERE {stale})", args)
        conn.execute(f"DELETE FROM threads WHERE {stale}", args)
