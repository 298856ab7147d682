"""The buttons under an answer: show its passages, rate it. They keep working after a restart.

The buttons are ``DynamicItem``s: the custom id carries the action and the answer's key, so no
view has to stay in memory per message. The answer itself is looked up in the bot's
``AnswerMemory``, kept on disk across restarts; only an answer past its retention is gone, and
the user is told so.
"""

from __future__ import annotations

import asyncio
import logging
import re

import discord

from rag.core.types import Answer
from rag.state.feedback import HELPFUL, UNHELPFUL
from rag.state.memory import KEEP_ANSWERS, KEEP_DAYS

from .errors import report_interaction_error
from ..render.passages import passages_embed
from .replies import defer, finish

log = logging.getLogger(__name__)

FORGOTTEN = (f"That answer is older than the bot keeps (the last {KEEP_DAYS} days, at most {KEEP_ANSWERS:,} "
             "answers). Ask again to see its passages or rate it.")

_BUTTONS = {
    "passages": ("Passages", "📄", discord.ButtonStyle.secondary),
    "up": ("Helpful", "👍", discord.ButtonStyle.secondary),
    "down": ("Not helpful", "👎", discord.ButtonStyle.secondary),
}


class AnswerButton(discord.ui.DynamicItem[discord.ui.Button],
                   template=r"answer:(?P<action>passages|up|down):(?P<key>[0-9a-f]{12})"):
    """One of the buttons under an answer."""

    def __init__(self, action: str, key: str) -> None:
        label, emoji, style = _BUTTONS[action]
        super().__init__(discord.ui.Button(label=label, emoji=emoji, style=style,
                                           custom_id=f"answer:{action}:{key}"))
        self.action = action
        self.key = key

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> AnswerButton:
        return cls(match["action"], match["key"])

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await on_click(interaction, self.action, self.key)
        except Exception as exc:
            await report_interaction_error(interaction, exc)


def answer_view(key: str, answer: Answer) -> discord.ui.View:
    """The buttons for one remembered answer."""
    view = discord.ui.View(timeout=None)
    if answer.citations or answer.passages:
        view.add_item(AnswerButton("passages", key))
    view.add_item(AnswerButton("up", key))
    view.add_item(AnswerButton("down", key))
    return view


async def on_click(interaction: discord.Interaction, action: str, key: str) -> None:
    bot = interaction.client
    remembered = await asyncio.to_thread(bot.answers.get, key)
    if remembered is None:
        await interaction.response.send_message(FORGOTTEN, ephemeral=True)
        return
    if action == "passages":
        await interaction.response.send_message(embed=passages_embed(remembered.answer), ephemeral=True)
        return
    rating = HELPFUL if action == "up" else UNHELPFUL
    await defer(interaction, ephemeral=True)
    await asyncio.to_thread(bot.feedback.record, key, remembered.answer, rating, interaction.user.id)
    await finish(interaction, content="Thanks: recorded as helpful." if rating == HELPFUL
                 else "Thanks: recorded as not helpful.")
