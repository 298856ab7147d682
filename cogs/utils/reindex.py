"""Long admin runs (/reindex, /ingest, /feeds sync): the reindex in a worker thread with live progress,
and the report shown in place of the progress line."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord

from .progress import ProgressMessage
from .replies import finish

if TYPE_CHECKING:
    from rag.core.types import IndexReport
    from rag.service import RagService

log = logging.getLogger(__name__)


async def run_reindex(service: RagService, interaction: discord.Interaction,
                      full: bool = False) -> tuple[IndexReport, dict[str, str]]:
    """Reindex in a worker thread, showing its progress in the (deferred) reply; the report and the
    labels of the articles before and after. The caller holds ``bot.reindexing``."""
    before = await asyncio.to_thread(service.article_labels)
    progress = ProgressMessage(lambda text: interaction.edit_original_response(content=text))
    try:
        report = await asyncio.to_thread(service.reindex, None, full, progress.report)
    finally:
        await progress.close()
    after = await asyncio.to_thread(service.article_labels)
    return report, {**before, **after}


async def show_report(interaction: discord.Interaction, embed: discord.Embed) -> None:
    """Replace the progress line with the report; by direct message once the reply can no longer be edited."""
    try:
        await finish(interaction, content=None, embed=embed)
    except discord.HTTPException as exc:
        # An interaction can be edited for 15 minutes only; a longer reindex reports by DM.
        log.warning("could not show the reindex report in place (%s); sending it by direct message", exc)
        try:
            await interaction.user.send(embed=embed)
        except discord.HTTPException as dm_exc:
            log.warning("could not send the reindex report by direct message either: %s", dm_exc)

