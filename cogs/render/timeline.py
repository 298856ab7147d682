"""/timeline: a topic's events as an embed, one dated, cited line each, oldest first."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from rag.core.text import balance_quotes

from .answer import answer_embed
from .limits import COLOUR_REFUSED, COLOUR_SUMMARY, DESCRIPTION, FIELD_NAME, FIELD_VALUE, TITLE, TOTAL, cut, fit, safe
from .shared import day, renumbered, source_fields

if TYPE_CHECKING:
    from rag.answer.timelines import Timeline, TimelineEvent

TIMELINE_LINE = 600  # one event line at most (a sentence is at most 400 characters, plus date and outlets)


def timeline_embed(timeline: Timeline, title: str) -> discord.Embed:
    """A timeline: one dated, cited line per event, oldest first, then its sources.

    Whole lines are left out (the last ones, with a note) rather than cut, when they do not fit.
    """
    if timeline.refused:
        return answer_embed(timeline.as_answer(), title=title, colour=COLOUR_REFUSED,
                            note="Nothing in the indexed articles covers this topic")
    footer = "Timeline: for each article, its sentence closest to the topic, quoted and cited; oldest first"
    events = list(timeline.events)
    for shown in range(len(events), 0, -1):
        kept = events[:shown]
        cited = [e.citation for e in kept]
        embed = discord.Embed(title=cut(safe(title), TITLE), colour=COLOUR_SUMMARY,
                              description="\n".join(cut(safe(renumbered(event_line(e), cited)), TIMELINE_LINE)
                                                    for e in kept))
        for name, value in source_fields(cited):
            embed.add_field(name=cut(name, FIELD_NAME), value=cut(value, FIELD_VALUE), inline=False)
        more = len(events) - shown
        embed.set_footer(text=f"{more} later events not shown · {footer}" if more else footer)
        if len(embed.description) <= DESCRIPTION and len(embed) <= TOTAL:
            return embed
    return fit(embed)


def event_line(event: TimelineEvent) -> str:
    """``2 Apr 2024 — sentence [n]``, with the outlets when several ran it."""
    text = f"{day(event.published)} — {' '.join(balance_quotes(event.sentence).split())} [{event.citation.n}]"
    return text + (f" ({', '.join(event.outlets)})" if len(event.article_ids) > 1 else "")
