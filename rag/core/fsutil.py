"""Files written so that a crash leaves the old file or the new one, never half of one; SQLite files set up on first use."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import threading
from contextlib import closing
from pathlib import Path

# numpy reads a saved array's header with ast.literal_eval, and CPython 3.11 keeps one AST
# recursion counter for the whole interpreter: two threads reading arrays at once can fail with
# "SystemError: AST constructor recursion depth mismatch" (python/cpython#106905). Every read
# of a saved array on the serving path holds this lock; the reads are small and rare.
ARRAY_READS = threading.RLock()


def place_file(source: Path, target: Path) -> None:
    """Put ``source`` at ``target`` without reading it through: a hard link, else a copy.

    (Not a symbolic link: the corpus loader does not follow links to outside the corpus folder.)
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:  # another file system, or links not allowed there
        shutil.copyfile(source, target)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step, through a hidden temporary file the corpus loader ignores."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class SqliteFile:
    """One SQLite file whose schema is created on first use; a connection per call, so any
    thread may use it."""

    def __init__(self, path: Path, schema: str) -> None:
        self.path = Path(path)
        self._schema = schema
        self._ready = False
        self._setup = threading.Lock()

    def connect(self) -> sqlite3.Connection:
        with self._setup:
            if not self._ready:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with closing(sqlite3.connect(self.path, timeout=10)) as conn, conn:
                    conn.executescript(self._schema)
                self._ready = True
        return sqlite3.connect(self.path, timeout=10)
