"""Running the index: /reindex (admins only) with live progress, and /status for everyone."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from rag.core.errors import RagError, ReindexBusy

from .render.reindex import report_embed
from .render.status import status_embed
from .utils.checks import admin_only, member_is_admin
from .utils.errors import user_message
from .utils.reindex import run_reindex, show_report
from .utils.replies import defer, finish
from .utils.visibility import trap_notes

if TYPE_CHECKING:
    from newsbot import NewsBot

log = logging.getLogger(__name__)


class Admin(commands.Cog):
    """Reindexing and the index's status."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self.service = bot.service

    # Two layers: Discord shows /reindex only to members with Manage Server (an admin of the
    # server can change that under Integrations), and admin_only() checks again in the bot.
    @app_commands.command(name="reindex", description="Update the index from the corpus folder (admins only)")
    @app_commands.describe(full="Re-embed every article, e.g. after changing the embedding model "
                                "(default: only new, changed and removed articles)")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @admin_only()
    async def reindex(self, interaction: discord.Interaction, full: bool = False) -> None:
        if self.bot.reindexing.locked():
            raise ReindexBusy("a reindex is already running")
        async with self.bot.reindexing:
            await defer(interaction, ephemeral=True)
            report, labels = await run_reindex(self.service, interaction, full)
        log.info("reindex run by user %s: %s", interaction.user.id, report.summary())
        await show_report(interaction, report_embed(report, labels, full))

    @app_commands.command(
        name="status",
        description="What is indexed: articles, passages, newest article, last reindex, answer mode")
    async def status(self, interaction: discord.Interaction) -> None:
        await defer(interaction, ephemeral=True)
        stats, problem = None, ""
        try:
            stats = await asyncio.to_thread(self.service.stats)
        except RagError as exc:
            problem, _ = user_message(exc)
        counts = await asyncio.to_thread(self.bot.feedback.counts)
        try:
            feeds = await asyncio.to_thread(self.bot.app.feeds.statuses)
        except RagError as exc:  # an unreadable feeds.json must not hide the rest of the status
            log.warning("feed status unavailable: %s", exc)
            feeds = []
        admin = member_is_admin(self.bot.settings, interaction.user, interaction.permissions)
        notes = []
        if admin and interaction.guild is not None:
            member = interaction.user if isinstance(interaction.user, discord.Member) else None
            notes = await trap_notes(self.bot, interaction.guild, member, interaction.permissions)
        await finish(interaction, embed=status_embed(stats, counts, self.bot.reindexing.locked(), problem,
                                                         feeds, admin=admin, notes=notes))


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(Admin(bot))
