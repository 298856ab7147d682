"""Answers: /ask, /sources, and mentions answered in a thread with follow-ups in context."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from rag.core.types import Filters, Turn

from .help import asks_for_help
from .render.answer import answer_embed, refusal_hint, thread_name
from .render.limits import cut, safe
from .render.passages import passages_embed
from .utils.errors import report_message_error
from .utils.options import Day, Question, check_question, make_filters, resolve_source, source_choices
from .utils.replies import defer, finish, tell_privately
from .utils.views import answer_view

if TYPE_CHECKING:
    from newsbot import NewsBot

log = logging.getLogger(__name__)

NOTHING_YET = "You have not asked anything recently: ask with /ask, then /sources shows what the answer drew on."
FOLLOWUP_HINT = ("To ask me a follow-up in this thread, mention me with it, e.g. “@{name} what happened next?” "
                 "(I only read messages that mention me.)")
EMPTY_MENTION = "Mention me with a question, e.g. “@{name} {example}”, or see /help."


class Ask(commands.Cog):
    """Questions and their sources."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self.service = bot.service
        self.settings = bot.settings

    # ------------------------------------------------------------------ slash commands

    @app_commands.command(name="ask",
                          description="Ask about the news articles; the answer quotes and cites them")
    @app_commands.describe(
        question="Your question, in one sentence",
        source="Only articles from this outlet",
        since="Only articles published on or after this date (YYYY-MM-DD)",
        until="Only articles published on or before this date (YYYY-MM-DD)",
        private="Show the answer only to you (default: everyone in the channel sees it)",
    )
    @app_commands.autocomplete(source=source_choices)
    async def ask(self, interaction: discord.Interaction, question: Question, source: str | None = None,
                  since: Day | None = None, until: Day | None = None, private: bool = False) -> None:
        question = await check_question(self.service, question)  # fast; a bad question is answered privately
        filters = make_filters(await resolve_source(interaction, source), since, until)
        self.bot.cooldown.enforce(interaction.user.id)
        await defer(interaction, ephemeral=private)
        answer = await asyncio.to_thread(self.service.ask, question, filters)
        key = await asyncio.to_thread(self.bot.answers.remember, interaction.user.id, answer)
        hint = refusal_hint(answer, dates_given=bool(since or until))
        await finish(interaction, embed=answer_embed(answer, hint=hint), view=answer_view(key, answer))

    @app_commands.command(name="sources",
                          description="Everything your last answer was drawn from, also what it did not quote")
    async def sources(self, interaction: discord.Interaction) -> None:
        remembered = await asyncio.to_thread(self.bot.answers.latest, interaction.user.id)
        if remembered is None:
            await interaction.response.send_message(NOTHING_YET, ephemeral=True)
            return
        await interaction.response.send_message(embed=passages_embed(remembered.answer, everything=True),
                                                ephemeral=True)

    # ------------------------------------------------------------------ mentions and threads

    def _allowed(self, channel: discord.abc.GuildChannel | discord.Thread) -> bool:
        allowed = self.settings.allowed_channel_ids
        parent_id = channel.parent_id if isinstance(channel, discord.Thread) else channel.id
        return not allowed or parent_id in allowed or channel.id in allowed

    def _question_in(self, message: discord.Message) -> str:
        """The message's text without the mentions of the bot."""
        me = self.bot.user.id
        return " ".join(re.sub(rf"<@!?{me}>", " ", message.content).split())

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.guild is None or self.bot.user is None:
            return
        channel = message.channel
        mentioned = self.bot.user in message.mentions
        if isinstance(channel, discord.Thread):
            # A follow-up in one of the bot's threads needs no mention when the setting allows it.
            ours = await asyncio.to_thread(self.bot.conversations.__contains__, channel.id)
            followup = ours and self.settings.thread_followups_without_mention
            if not self._allowed(channel):
                return
            if not (mentioned or followup):
                if ours:
                    await self._hint_followup(message)
                return
        elif not mentioned or not self._allowed(channel):
            return
        try:
            await self._answer_message(message)
        except Exception as exc:
            await report_message_error(message, exc)

    async def _hint_followup(self, message: discord.Message) -> None:
        """Say once per thread, remembered with the thread across restarts, that a follow-up needs a
        mention: without the Message Content intent the bot cannot read the message, so it cannot tell a
        question from a "thanks"."""
        if not await asyncio.to_thread(self.bot.conversations.hint_once, message.channel.id):
            return
        try:
            await message.reply(FOLLOWUP_HINT.format(name=self.bot.user.display_name), mention_author=False)
        except discord.HTTPException as exc:
            log.warning("could not send the follow-up hint in thread %s: %s", message.channel.id, exc)

    async def _answer_message(self, message: discord.Message) -> None:
        text = self._question_in(message)
        if text and asks_for_help(text) and self.bot.user in message.mentions:
            help_cog = self.bot.get_cog("Help")
            permissions = message.channel.permissions_for(message.author) if message.guild else None
            await message.reply(embed=await help_cog.embed_for(message.author, permissions), mention_author=False)
            return
        if not text:
            if self.bot.user in message.mentions:
                ex = await asyncio.to_thread(self.service.examples)
                await tell_privately(message, EMPTY_MENTION.format(name=safe(self.bot.user.display_name),
                                                                   example=safe(cut(ex.question, 120))))
            return
        conversations = self.bot.conversations
        in_thread = isinstance(message.channel, discord.Thread)
        history = await asyncio.to_thread(conversations.history, message.channel.id) if in_thread else ()
        text = await check_question(self.service, text)  # a bad message costs no turn
        self.bot.cooldown.enforce(message.author.id)  # before condensing: that can be an LLM call
        question = self.service.check_question(await asyncio.to_thread(self.service.condense, history, text))
        if in_thread:
            thread = message.channel
        else:  # titled by the user's own words, not the question as rewritten for the search
            thread = await message.create_thread(name=thread_name(text), auto_archive_duration=1440)
            await asyncio.to_thread(conversations.start, thread.id)
        async with thread.typing():  # "NewsBot is typing…" while the answer is prepared
            answer = await asyncio.to_thread(self.service.ask, question, Filters())
        key = await asyncio.to_thread(self.bot.answers.remember, message.author.id, answer)
        embed = answer_embed(answer, title=text, understood=question if question != text else "",
                             hint=refusal_hint(answer))
        reply = {"embed": embed, "view": answer_view(key, answer)}
        if in_thread:
            await message.reply(mention_author=False, **reply)
        else:
            await thread.send(**reply)
        await asyncio.to_thread(conversations.add, thread.id, Turn(question, answer.text))


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(Ask(bot))
