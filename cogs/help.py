"""/help, and "@bot help": what the bot answers and does not, with examples drawn from the index itself."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from rag.core.errors import RagError
from rag.search.examples import NEUTRAL_QUESTION

from .render.limits import COLOUR_ANSWER, cut, fit, in_code, safe
from .render.shared import day
from .utils.checks import member_is_admin

if TYPE_CHECKING:
    from newsbot import NewsBot
    from rag.search.examples import Examples
    from rag.service import IndexStats

log = logging.getLogger(__name__)

# What a mention may say to get the help rather than an answer ("@NewsBot help").
HELP_WORDS = frozenset({"help", "commands", "what can you do", "how does this work", "how do i use you"})


def asks_for_help(text: str) -> bool:
    return " ".join(text.lower().split()).strip(" ?!.") in HELP_WORDS


def help_embed(name: str, stats: IndexStats | None, ex: Examples, admin: bool,
               followups_without_mention: bool) -> discord.Embed:
    """How to ask, what the bot can and cannot answer, with examples drawn from the index itself."""
    if stats is not None and stats.articles:
        span = (f" published {day(stats.oldest)} – {day(stats.newest)}" if stats.oldest and stats.newest else "")
        corpus = (f"I answer from {stats.articles:,} news article{'s' if stats.articles != 1 else ''}{span}, "
                  "quoting them and linking each source.")
    else:
        corpus = "I answer from the news articles indexed here, quoting them and linking each source."
    embed = discord.Embed(title=f"How to use {safe(name)}", colour=COLOUR_ANSWER, description=corpus)
    followup = ("reply there to follow up" if followups_without_mention
                else f"mention me again there to follow up (“@{safe(name)} what happened next?”)")
    source = f"`source: {in_code(cut(ex.outlet, 60))}`" if ex.outlet else "`source:`"
    drawn = f"`/ask question: {in_code(cut(ex.question, 120))}`\n" if ex.question != NEUTRAL_QUESTION else ""
    embed.add_field(name="Ask", inline=False, value=(
        f"{drawn}`/ask question: {NEUTRAL_QUESTION}`: the week's biggest stories\n"
        f"Narrow it with {source}, `since: {ex.since.isoformat()}` and `until: {ex.until.isoformat()}` "
        "(dates as YYYY-MM-DD); `private: True` shows the answer to you only.\n"
        f"Or mention me with a question: I answer in a thread; {followup}."))
    title = in_code(cut(ex.title, 80)) if ex.title else "an article's title"
    topic = in_code(cut(ex.topic, 60)) if ex.topic else "a subject the articles cover"
    embed.add_field(name="Summaries and timelines", inline=False, value=(
        f"`/summary article: {title}` (pick it as you type)\n"
        f"`/summary topic: {topic} since: {ex.since.isoformat()}`\n"
        f"`/timeline topic: {topic}`: one dated line per article, oldest first"))
    embed.add_field(name="Sources", inline=False, value=(
        "Every sentence of an answer is quoted from an article and numbered [1], [2]… to its source. "
        "**Passages** under an answer shows each quote highlighted in its paragraph; `/sources` "
        "shows everything your last answer was drawn from, also what it did not quote."))
    embed.add_field(name="I can answer", value=(
        "What the articles report: who, what, when, where, figures, quotes, and how a story developed."))
    embed.add_field(name="I cannot answer", value=(
        "Anything the articles do not say: general knowledge, opinions, forecasts, or news newer than "
        "the newest article (I do not search the web). Then I say the articles do not cover it."))
    if admin:
        embed.add_field(name="For admins", inline=False, value=(
            "`/reindex` reads the corpus folder again, `/ingest` adds uploaded articles, `/feeds` "
            "manages RSS/Atom subscriptions, `/status` shows the index and its settings."))
    embed.set_footer(text="/status shows what is indexed · answers and hints to you alone are marked “Only you "
                          "can see this”")
    return fit(embed)


class Help(commands.Cog):
    """The /help command; ``cogs.ask`` answers "@bot help" with the same embed."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    async def embed_for(self, member: discord.abc.User, permissions: discord.Permissions | None) -> discord.Embed:
        service = self.bot.service
        try:
            stats = await asyncio.to_thread(service.stats)
        except RagError as exc:  # no index yet: the help is still worth showing
            log.info("help without index stats: %s", exc)
            stats = None
        ex = await asyncio.to_thread(service.examples)  # neutral ones without an index
        return help_embed(self.bot.user.display_name if self.bot.user else "the bot", stats, ex,
                          member_is_admin(self.bot.settings, member, permissions),
                          self.bot.settings.thread_followups_without_mention)

    @app_commands.command(name="help", description="How to ask, with examples; what the bot can and cannot answer")
    async def help(self, interaction: discord.Interaction) -> None:
        embed = await self.embed_for(interaction.user, interaction.permissions)
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(Help(bot))
