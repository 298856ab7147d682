"""A worker thread's progress shown by editing one message, at most once per interval."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable

import discord

from ..render.reindex import progress_text

log = logging.getLogger(__name__)


class ProgressMessage:
    """``report`` may be called from any thread; edits happen on the loop, one at a time, throttled."""

    def __init__(self, edit: Callable[[str], Awaitable[object]], interval: float = 2.0) -> None:
        self._loop = asyncio.get_running_loop()
        self._edit = edit
        self._interval = interval
        self._latest: str | None = None
        self._shown: str | None = None
        self._last_edit = -math.inf
        self._task: asyncio.Task | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._closed = False
        self.edits = 0

    def report(self, stage: str, done: int, total: int) -> None:
        """A ``rag.core.types.Progress`` callback: hands the line to the loop."""
        self._loop.call_soon_threadsafe(self._update, progress_text(stage, done, total))

    def _update(self, text: str) -> None:
        if self._closed:
            return
        self._latest = text
        self._schedule()

    def _schedule(self) -> None:
        if self._closed or self._task is not None or self._timer is not None or self._latest == self._shown:
            return
        wait = self._interval - (time.monotonic() - self._last_edit)
        if wait > 0:
            self._timer = self._loop.call_later(wait, self._fire)
        else:
            self._fire()

    def _fire(self) -> None:
        self._timer = None
        if self._closed or self._latest is None:
            return
        self._last_edit = time.monotonic()
        self._task = asyncio.create_task(self._show(self._latest))

    async def _show(self, text: str) -> None:
        try:
            await self._edit(text)
            self.edits += 1
        except discord.HTTPException as exc:  # progress is best effort (no retry); the report still comes
            log.warning("could not show reindex progress: %s", exc)
        finally:
            self._shown = text
            self._task = None
            self._schedule()

    async def close(self) -> None:
        """Stop editing; returns once an edit in flight has finished."""
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
