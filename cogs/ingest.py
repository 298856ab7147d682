"""Adding articles from Discord: /ingest (admins only) saves uploaded files to the corpus and reindexes."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from rag.core.errors import ReindexBusy
from rag.sources.uploads import REJECTED, SUFFIXES, Upload, UploadReport

from .render.ingest import ingest_embed
from .utils.checks import admin_only
from .utils.reindex import run_reindex, show_report
from .utils.replies import defer

if TYPE_CHECKING:
    from newsbot import NewsBot

log = logging.getLogger(__name__)

_FILE = f"An article file ({', '.join(SUFFIXES)})"


class Ingest(commands.Cog):
    """Uploads through the app's ``Uploads`` (rag.sources.uploads), then the same incremental reindex as /reindex."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self.service = bot.service
        self.uploads = bot.app.uploads

    # The same two layers as /reindex: Manage Server by default in Discord, admin_only() in the bot.
    @app_commands.command(name="ingest",
                          description="Add article files to the corpus and index them (admins only)")
    @app_commands.describe(file1=_FILE, file2=_FILE, file3=_FILE, file4=_FILE, file5=_FILE)
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @admin_only()
    async def ingest(self, interaction: discord.Interaction, file1: discord.Attachment,
                     file2: discord.Attachment | None = None, file3: discord.Attachment | None = None,
                     file4: discord.Attachment | None = None, file5: discord.Attachment | None = None) -> None:
        if self.bot.reindexing.locked():
            raise ReindexBusy("a reindex is already running")
        async with self.bot.reindexing:
            await defer(interaction, ephemeral=True)
            attachments = [a for a in (file1, file2, file3, file4, file5) if a is not None]
            uploads = await self._save(attachments)
            report, labels = None, {}
            if uploads.accepted:
                report, labels = await run_reindex(self.service, interaction)
        log.info("ingest run by user %s: %s%s", interaction.user.id, uploads.summary(),
                 f"; reindex: {report.summary()}" if report else "")
        await show_report(interaction, ingest_embed(uploads, report, labels))

    async def _save(self, attachments: list[discord.Attachment]) -> UploadReport:
        """Download the files that may be uploads (by type and size), then check and save them in the core."""
        early: dict[int, Upload] = {}
        downloaded: list[tuple[str, bytes]] = []
        for i, attachment in enumerate(attachments):
            reason = self.uploads.check(attachment.filename, attachment.size)
            if not reason:
                try:
                    downloaded.append((attachment.filename, await attachment.read()))
                    continue
                except discord.HTTPException as exc:
                    log.warning("could not download upload %r: %s", attachment.filename, exc)
                    reason = "could not be downloaded from Discord; try again"
            early[i] = Upload(attachment.filename, REJECTED, reason=reason)
        saved = iter((await asyncio.to_thread(self.uploads.save, downloaded)).uploads)
        return UploadReport([early[i] if i in early else next(saved) for i in range(len(attachments))])


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(Ingest(bot))
