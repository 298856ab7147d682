"""/summary: an article's or a topic's summary as an embed."""

from __future__ import annotations

import discord

from rag.core.types import Answer

from .answer import answer_embed
from .limits import COLOUR_REFUSED, COLOUR_SUMMARY


def summary_embed(answer: Answer, title: str, dated: bool = True) -> discord.Embed:
    """A summary; ``dated`` False for one article, whose date its source line gives."""
    footer = ("Written summary; every sentence checked against its source"
              if answer.mode == "generative" else
              "The most central sentences, each quoted from the article cited")
    return answer_embed(answer, title=title, colour=COLOUR_REFUSED if answer.refused else COLOUR_SUMMARY,
                        note=footer, dated=dated)
