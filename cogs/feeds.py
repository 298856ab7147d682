"""Feed subscriptions: /feeds add, remove, list and sync (admins only), and the periodic sync.

The work is done by the app's ``FeedSync`` (rag.sources.feeds, built by rag.app) in a worker thread.
A sync (from the loop or /feeds sync) holds ``bot.reindexing``, the lock /reindex and /ingest take, so a
feed sync and a reindex never run at the same time in this bot; the core's file locks cover
other processes (``python -m rag index``, ``python -m rag feeds sync``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands, tasks

from rag.core.errors import RagError, ReindexBusy
from rag.sources.feeds import FeedError

from .render.feeds import feed_sync_embed, feeds_embed
from .render.limits import safe
from .utils.checks import admin_only
from .utils.errors import BadOption
from .utils.progress import ProgressMessage
from .utils.reindex import show_report
from .utils.replies import defer

if TYPE_CHECKING:
    from newsbot import NewsBot

log = logging.getLogger(__name__)


class Feeds(commands.Cog):
    """RSS/Atom subscriptions whose new articles are saved into the corpus and indexed."""

    # The same two layers as /reindex: Manage Server by default in Discord (set on the group,
    # as Discord only allows it on top-level commands), and admin_only() on every subcommand.
    feeds = app_commands.Group(name="feeds",
                               description="RSS/Atom feeds whose new articles are indexed (admins only)",
                               default_permissions=discord.Permissions(manage_guild=True), guild_only=True)

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self.sync = bot.app.feeds

    async def cog_load(self) -> None:
        minutes = self.bot.settings.feed_interval_minutes
        if minutes > 0:
            self.auto_sync.change_interval(minutes=minutes)
            self.auto_sync.start()
        else:
            log.info("FEED_INTERVAL_MINUTES is 0: feeds are synced only with /feeds sync")

    async def cog_unload(self) -> None:
        self.auto_sync.cancel()

    @tasks.loop(minutes=15)
    async def auto_sync(self) -> None:
        """Sync every feed in a worker thread; skipped when there are none or a reindex is running."""
        try:
            if not await asyncio.to_thread(self.sync.urls):
                return
            if self.bot.reindexing.locked():
                log.info("feed sync skipped: a reindex or feed sync is running; trying again next time")
                return
            async with self.bot.reindexing:
                report = await asyncio.to_thread(self.sync.sync)
            log.info("periodic feed sync: %s", report.summary())
        except RagError as exc:  # e.g. another process is syncing, or feeds.json is unreadable
            log.warning("periodic feed sync failed: %s", exc)
        except Exception:  # noqa: BLE001 - the loop must survive anything (an unhandled error would stop it)
            log.exception("periodic feed sync failed")

    @feeds.command(name="add", description="Subscribe to an RSS or Atom feed: its new articles get indexed")
    @app_commands.describe(url="The feed's address (http or https)")
    @admin_only()
    async def add(self, interaction: discord.Interaction, url: str) -> None:
        url = await self._call(self.sync.add, url)
        minutes = self.bot.settings.feed_interval_minutes
        when = f"within {minutes} minutes" if minutes > 0 else "on the next /feeds sync"
        log.info("user %s subscribed to feed %s", interaction.user.id, url)
        await interaction.response.send_message(
            f"Subscribed to {safe(url)}. It is checked {when}; /feeds sync checks it now.", ephemeral=True)

    @feeds.command(name="remove", description="Unsubscribe from a feed (the articles it brought stay indexed)")
    @app_commands.describe(url="The feed's address, as /feeds list shows it")
    @admin_only()
    async def remove(self, interaction: discord.Interaction, url: str) -> None:
        url = await self._call(self.sync.remove, url)
        log.info("user %s unsubscribed from feed %s", interaction.user.id, url)
        await interaction.response.send_message(
            f"Unsubscribed from {safe(url)}. The articles it brought stay in the corpus and the index.",
            ephemeral=True)

    @feeds.command(name="list", description="The feeds, with their last success and last error")
    @admin_only()
    async def list_(self, interaction: discord.Interaction) -> None:
        statuses = await self._call(self.sync.statuses)
        await interaction.response.send_message(embed=feeds_embed(statuses), ephemeral=True)

    @feeds.command(name="sync", description="Check every feed now and index the new articles")
    @admin_only()
    async def sync_now(self, interaction: discord.Interaction) -> None:
        if self.bot.reindexing.locked():
            raise ReindexBusy("a reindex is already running")
        async with self.bot.reindexing:
            await defer(interaction, ephemeral=True)
            progress = ProgressMessage(lambda text: interaction.edit_original_response(content=text))
            try:
                report = await asyncio.to_thread(self.sync.sync, progress.report)
            finally:
                await progress.close()
        log.info("feed sync run by user %s: %s", interaction.user.id, report.summary())
        await show_report(interaction, feed_sync_embed(report))

    async def _call(self, fn, *args):
        """Run a quick core call in a thread; its FeedError becomes the user's option error."""
        try:
            return await asyncio.to_thread(fn, *args)
        except FeedError as exc:
            raise BadOption(str(exc)) from None


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(Feeds(bot))
