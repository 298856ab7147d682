"""/help, and "@bot help": what the bot answers and does not, with examples from the corpus itself."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from rag.core.errors import RagError

from .render.limits import COLOUR_ANSWER, cut, fit, safe
from .utils.checks import member_is_admin

if TYPE_CHECKING:
    from newsbot import NewsBot
    from rag.service import IndexStats
    from rag.core.types import ArticleRef

log = logging.getLogger(__name__)

# What a mention may say to get the help rather than an answer ("@NewsBot help").
HELP_WORDS = frozenset({"help", "commands", "what can you do", "how does this work", "how do i use you"})


def asks_for_help(text: str) -> bool:
    return " ".join(text.lower().split()).strip(" ?!.") in HELP_WORDS


def help_embed(name: str, stats: IndexStats | None, example: ArticleRef | None, admin: bool,
               followups_without_mention: bool) -> discord.Embed:
    """How to ask, what the bot can and cannot answer, with an article of the corpus as the example."""
    if stats is not None and stats.articles:
        span = (f" published {stats.oldest:%-d %b %Y} – {stats.newest:%-d %b %Y}"
                if stats.oldest and stats.newest else "")
        corpus = (f"I answer from {stats.articles:,} news article{'s' if stats.articles != 1 else ''}{span}, "
                  "quoting them and linking each source.")
    else:
        corpus = "I answer from the news articles indexed here, quoting them and linking each source."
    embed = discord.Embed(title=f"How to use {safe(name)}", colour=COLOUR_ANSWER, description=corpus)
    followup = ("reply there to follow up" if followups_without_mention
                else f"mention me again there to follow up (“@{safe(name)} and when?”)")
    embed.add_field(name="Ask", inline=False, value=(
        "`/ask question: What did the council decide about the tram?`\n"
        "Narrow it with `source:`, `since:` and `until:` (dates like 2024-03-01); `private: True` shows "
        "the answer to you only.\n"
        f"Or mention me with a question: I answer in a thread; {followup}."))
    title = cut(example.title, 80) if example else "Council approves new tram line"
    embed.add_field(name="Summaries and timelines", inline=False, value=(
        f"`/summary article: {safe(title)}` (pick it as you type)\n"
        "`/summary topic: battery factory since: 2024-03-01`\n"
        "`/timeline topic: the ferry strike`: one dated line per article, oldest first"))
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
            found = await asyncio.to_thread(service.find_articles, "", 1)
        except RagError as exc:  # no index yet: the help is still worth showing
            log.info("help without index stats: %s", exc)
            stats, found = None, []
        return help_embed(self.bot.user.display_name if self.bot.user else "the bot", stats,
                          found[0] if found else None, member_is_admin(self.bot.settings, member, permissions),
                          self.bot.settings.thread_followups_without_mention)

    @app_commands.command(name="help", description="How to ask, with examples; what the bot can and cannot answer")
    async def help(self, interaction: discord.Interaction) -> None:
        embed = await self.embed_for(interaction.user, interaction.permissions)
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(Help(bot))
