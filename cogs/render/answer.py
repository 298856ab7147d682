"""/ask: an answer as an embed, how current it is, and the name of the thread it opens."""

from __future__ import annotations

import re
from datetime import date

import discord

from rag.core.types import Answer

from .limits import COLOUR_ANSWER, COLOUR_REFUSED, THREAD_NAME, cut, fit, safe
from .shared import day, footer, renumbered, source_list

MODE_NOTES = {
    "extractive": "Every sentence is quoted from the article cited",
    "generative": "Written by a language model; every sentence checked against its source",
}
STALE_DAYS = 2  # a source this old or older is worth saying so in the answer's first line
_GAP = re.compile(r"^nothing indexed is dated (?P<label>.+)$")


def age(newest: date, today: date) -> str:
    """``today``, ``yesterday``, ``3 days ago``, ``5 weeks ago``, ``4 months ago``, ``2 years ago``."""
    days = (today - newest).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 14:
        return f"{days} days ago"
    if days < 60:
        return f"{days // 7} weeks ago"
    if days < 730:
        return f"{days // 30} months ago"
    return f"{days // 365} years ago"


def currency(answer: Answer, today: date | None = None) -> tuple[str, list[str]]:
    """How current the answer is, for its first line ("" when that does not matter), and the rest of
    its notice for the footer.

    It matters when the newest source is a few days old or more, and when the question asked for
    a time (e.g. "this week") that nothing indexed is dated in: then the line says so first.
    """
    notes = [n.strip() for n in answer.notice.split(";") if n.strip()] if answer.notice else []
    gap = next((m for m in map(_GAP.match, notes) if m), None)
    if gap:  # the core's "searched every date up to …" is said by the line itself
        notes = [n for n in notes if not _GAP.match(n) and not n.startswith("searched every date")]
    newest = answer.newest
    if answer.refused or newest is None:
        return "", [answer.notice] if answer.notice else []
    today = answer.as_of or today or date.today()
    line = f"newest source: {age(newest, today)} ({day(newest)})"
    if gap:
        return f"Nothing indexed is dated {gap['label']}; {line}", notes
    if (today - newest).days >= STALE_DAYS:
        return line[:1].upper() + line[1:], notes
    return "", notes


def refusal_hint(answer: Answer, dates_given: bool = False) -> str:
    """What to try after a refusal, in Discord's own commands; dates only when some narrowed the search
    (``dates_given``: the since/until options; or the question's own "this week")."""
    if not answer.refused or answer.citations:  # a refusal naming a candidate has said what there is
        return ""
    hint = "Try `/timeline topic:` or `/summary topic:` with the subject's name to see what the articles do say"
    phrase = answer.window.split(":", 1)[0] if answer.window else ""
    if dates_given:
        return hint + ", or ask again with a wider `since:` and `until:`."
    if phrase:
        return hint + f", or ask without “{phrase}”."
    return hint + "."


def answer_markdown(text: str) -> str:
    """The answer's text made inert, except the bold short answer it may open with (``**Name** [1] — …``)."""
    opening = re.match(r"\*\*([^*\n]{1,200})\*\*", text)
    if opening:
        return f"**{safe(opening[1])}**{safe(text[opening.end():])}"
    return safe(text)


def answer_embed(answer: Answer, title: str | None = None, colour: discord.Colour | None = None,
                 note: str | None = None, dated: bool = True, understood: str = "", hint: str = "") -> discord.Embed:
    """An answer (or summary): how current it is (when ``dated``), its text with [n] markers, its
    sources, a short footer (``note`` in place of the answer mode's); ``understood`` is the question
    as the bot rewrote it (a follow-up); ``hint`` (a refusal's, see ``refusal_hint``) follows the text."""
    first, notes = currency(answer)
    first = first if dated else ""
    text = answer_markdown(renumbered(answer.text, answer.citations))
    if hint:
        text += f"\n{hint}"  # written by the bot: its command names stay code
    embed = discord.Embed(
        title=safe(title if title is not None else answer.question),
        description=f"*{safe(first)}*\n{text}" if first else text,
        colour=colour or (COLOUR_REFUSED if answer.refused else COLOUR_ANSWER),
    )
    for name, value in source_list(answer.citations):
        embed.add_field(name=name, value=value, inline=False)
    refused = ("The articles found do not answer this for certain" if answer.citations
               else "Nothing in the indexed articles answers this")
    mode = note or (refused if answer.refused else MODE_NOTES.get(answer.mode, ""))
    asked = f"Understood as “{cut(understood, 120)}”" if understood else ""
    embed.set_footer(text=footer(asked, mode, *notes))
    return fit(embed)


def thread_name(question: str) -> str:
    """The thread a mention's answer opens, named after the question."""
    return cut(" ".join(question.split()), THREAD_NAME) or "Question"
