"""Reindex progress from a worker thread: handed to the loop, throttled, never fatal."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import discord

from cogs.utils.progress import ProgressMessage


async def test_progress_from_a_thread_is_throttled_to_one_edit_per_interval():
    shown: list[str] = []

    async def edit(text: str) -> None:
        shown.append(text)

    progress = ProgressMessage(edit, interval=3600)
    await asyncio.to_thread(lambda: [progress.report("embedding", i, 10) for i in range(10)])
    await progress.close()

    assert shown == ["Reindexing: embedding passages 0/10 (0%)"]  # the rest fell within the interval


async def test_a_failed_edit_does_not_stop_the_reindex(caplog):
    tried: list[str] = []

    async def edit(text: str) -> None:
        tried.append(text)
        raise discord.HTTPException(SimpleNamespace(status=500, reason="Error"), "boom")

    progress = ProgressMessage(edit, interval=0)
    await asyncio.to_thread(progress.report, "reading", 0, 0)
    await progress.close()  # does not raise
    assert tried == ["Reindexing: reading the corpus folder…"] and progress.edits == 0
    assert "could not show reindex progress" in caplog.text
