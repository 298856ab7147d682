"""Summaries: /summary article (one article) and /summary topic (over a date range), every sentence cited."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from rag.core.types import Answer

from .render.shared import date_span
from .render.summary import summary_embed
from .utils.options import Day, Question, article_choices, check_question, make_filters
from .utils.replies import defer, finish
from .utils.views import answer_view

if TYPE_CHECKING:
    from newsbot import NewsBot

log = logging.getLogger(__name__)


class Summary(commands.Cog):
    """Extractive summaries from the core (``RagService.summarize_article`` / ``summarize_topic``)."""

    # Two subcommands rather than two exclusive options: Discord itself asks for exactly one.
    summary = app_commands.Group(name="summary",
                                 description="Summarise one article, or a topic; every sentence is quoted and cited")

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self.service = bot.service

    @summary.command(name="article", description="Summarise one article, picked by its title")
    @app_commands.describe(article="The article: start typing its title and pick it from the list")
    @app_commands.autocomplete(article=article_choices)
    async def article(self, interaction: discord.Interaction, article: str) -> None:
        # Resolved before the public "thinking…": a title typed by hand that matches nothing is a
        # private hint, never a public failure.
        article_id = await asyncio.to_thread(self.service.resolve_article, article)
        self.bot.cooldown.enforce(interaction.user.id)
        await defer(interaction, ephemeral=False)
        answer = await asyncio.to_thread(self.service.summarize_article, article_id)
        await self._show(interaction, answer, f"Summary: {answer.question}", dated=False)

    @summary.command(name="topic", description="Summarise what the articles say about a topic")
    @app_commands.describe(
        topic="A topic to summarise across the articles that cover it best",
        since="Only articles published on or after this date (YYYY-MM-DD)",
        until="Only articles published on or before this date (YYYY-MM-DD)",
    )
    async def topic(self, interaction: discord.Interaction, topic: Question, since: Day | None = None,
                    until: Day | None = None) -> None:
        filters = make_filters(None, since, until)
        topic = await check_question(self.service, topic, "topic")
        self.bot.cooldown.enforce(interaction.user.id)
        await defer(interaction, ephemeral=False)
        answer = await asyncio.to_thread(self.service.summarize_topic, topic, filters)
        await self._show(interaction, answer, f"Summary: {topic}{date_span(since, until)}")

    async def _show(self, interaction: discord.Interaction, answer: Answer, title: str, dated: bool = True) -> None:
        key = await asyncio.to_thread(self.bot.answers.remember, interaction.user.id, answer)
        await finish(interaction, embed=summary_embed(answer, title, dated), view=answer_view(key, answer))


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(Summary(bot))
