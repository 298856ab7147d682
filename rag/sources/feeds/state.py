"""``DATA_DIR/feeds.json``, the subscriptions and what syncs learnt, and the file locks around it and a sync."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ...core.errors import ConfigError
from ...core.fsutil import atomic_write
from .errors import FeedsBusy

STATE_FILE = "feeds.json"
_STAMP = "%Y-%m-%dT%H:%M:%S%z"


def now_stamp() -> str:
    """The time now, as feeds.json records it."""
    return datetime.now(timezone.utc).strftime(_STAMP)


@contextmanager
def feeds_lock(path: Path, blocking: bool) -> Iterator[None]:
    """An exclusive lock on ``path`` across processes; FeedsBusy when another holds it and not ``blocking``."""
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
        with feeds_lock(self._lock, blocking=True):
            data = self.read()
            yield data
            text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"  # keeps the order feeds were added in
            atomic_write(self.path, text.encode("utf-8"))
