"""Timelines: /timeline of a topic, one dated and cited line per article, oldest first."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from .render.shared import date_span
from .render.timeline import timeline_embed
from .utils.options import Day, Question, check_question, make_filters
from .utils.replies import defer, finish
from .utils.views import answer_view

if TYPE_CHECKING:
    from newsbot import NewsBot

log = logging.getLogger(__name__)


class Timeline(commands.Cog):
    """Timelines from the core (``RagService.timeline``)."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self.service = bot.service

    @app_commands.command(
        name="timeline",
        description="What the articles report about a topic, one dated and cited line each, oldest first")
    @app_commands.describe(
        topic="The story or subject to follow over time",
        since="Only articles published on or after this date (YYYY-MM-DD)",
        until="Only articles published on or before this date (YYYY-MM-DD)",
    )
    async def timeline(self, interaction: discord.Interaction, topic: Question, since: Day | None = None,
                       until: Day | None = None) -> None:
        filters = make_filters(None, since, until)
        topic = await check_question(self.service, topic, "topic")
        self.bot.cooldown.enforce(interaction.user.id)
        await defer(interaction, ephemeral=False)
        timeline = await asyncio.to_thread(self.service.timeline, topic, filters)
        answer = timeline.as_answer()
        key = await asyncio.to_thread(self.bot.answers.remember, interaction.user.id, answer)
        embed = timeline_embed(timeline, f"Timeline: {topic}{date_span(since, until)}")
        await finish(interaction, embed=embed, view=answer_view(key, answer))


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(Timeline(bot))
