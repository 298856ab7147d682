"""Summaries: /summary of one article, or of a topic over a date range, every sentence cited."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from rag.types import Answer

from .utils import format as fmt
from .utils.errors import BadOption
from .utils.options import Day, article_choices, make_filters
from .utils.replies import defer, finish
from .utils.views import answer_view

if TYPE_CHECKING:
    from newsbot import NewsBot

log = logging.getLogger(__name__)


class Summary(commands.Cog):
    """Extractive summaries from the core (``RagService.summarize_article`` / ``summarize_topic``)."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self.service = bot.service

    @app_commands.command(
        name="summary",
        description="Summarise one article, or a topic over a date range; every sentence is cited")
    @app_commands.describe(
        article="The article to summarise: start typing its title and pick it from the list",
        topic="A topic to summarise across the articles that cover it best",
        since="With a topic: only articles published on or after this date (YYYY-MM-DD)",
        until="With a topic: only articles published on or before this date (YYYY-MM-DD)",
    )
    @app_commands.autocomplete(article=article_choices)
    async def summary(self, interaction: discord.Interaction, article: str | None = None,
                      topic: str | None = None, since: Day | None = None, until: Day | None = None) -> None:
        if bool(article) == bool(topic):
            raise BadOption("give either an article or a topic to summarise")
        if article and (since or until):
            raise BadOption("since and until narrow a topic; an article is summarised whole")
        filters = make_filters(None, since, until)
        if topic:
            topic = self.service.check_question(topic)
        self.bot.cooldown.enforce(interaction.user.id)
        await defer(interaction, ephemeral=False)
        if article:
            answer = await asyncio.to_thread(self._article_summary, article)
            title = f"Summary: {answer.question}"
        else:
            answer = await asyncio.to_thread(self.service.summarize_topic, topic, filters)
            title = f"Summary: {topic}{fmt.date_span(since, until)}"
        key = self.bot.answers.remember(interaction.user.id, answer)
        await finish(interaction, embed=fmt.summary_embed(answer, title), view=answer_view(key, answer))

    def _article_summary(self, ref: str) -> Answer:
        return self.service.summarize_article(self.service.resolve_article(ref))


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(Summary(bot))
