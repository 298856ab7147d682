"""Slash-command option types and autocompletes shared by the cogs."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
from collections.abc import Callable
from datetime import date
from typing import TypeVar

import discord
from discord import app_commands

from rag.core.errors import QuestionError
from rag.core.types import Filters

from .errors import BadOption
from ..render.limits import CHOICE, cut, safe
from ..render.shared import choice_name

T = TypeVar("T")

log = logging.getLogger(__name__)

# Autocompletes run on threads of their own: Discord gives them 3 s, and the default executor's
# threads can all be held by slow answers (an LLM answer can take LLM_TIMEOUT).
_AUTOCOMPLETE_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="autocomplete")


async def _quickly(fn: Callable[..., T], *args: object) -> T:
    """``fn(*args)`` on the autocomplete threads."""
    return await asyncio.get_running_loop().run_in_executor(_AUTOCOMPLETE_POOL, functools.partial(fn, *args))


class DateOption(app_commands.Transformer):
    """A YYYY-MM-DD date typed as text."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.string

    @property
    def max_length(self) -> int:
        return 10

    async def transform(self, interaction: discord.Interaction, value: str) -> date:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            example = (await asyncio.to_thread(interaction.client.service.examples)).until  # a day of the index
            raise BadOption(f"dates are typed as `YYYY-MM-DD`, e.g. `{example.isoformat()}`; "
                            f"{value.strip()[:10]!r} is not one") from None


Day = app_commands.Transform[date, DateOption]

# Discord refuses longer text in the box itself; the core's token limit still applies after.
MAX_QUESTION_CHARS = 700
Question = app_commands.Range[str, 1, MAX_QUESTION_CHARS]


async def check_question(service, text: str, what: str = "question") -> str:
    """The core's check of a question (or topic), its refusals said in words rather than tokens; an empty
    one is shown an example drawn from the index."""
    try:
        return service.check_question(text)
    except QuestionError:
        words = len(text.split())
        if not words:
            ex = await asyncio.to_thread(service.examples)
            example = ex.topic if what == "topic" and ex.topic else ex.question
            # The example comes from the articles' titles: made inert like any article text.
            raise QuestionError(f"the {what} is empty: type a few words, e.g. “{safe(cut(example, 120))}”") from None
        limit = max(service.settings.max_question_tokens * 3 // 4, 1)  # about 0.75 words per token
        raise QuestionError(f"the {what} is too long ({words:,} words, {len(text.strip()):,} characters); "
                            f"keep it to one or two sentences, under about {limit} words") from None


def make_filters(source: str | None, since: date | None, until: date | None) -> Filters:
    if since and until and since > until:
        raise BadOption("since is after until")
    return Filters(sources=(source,) if source else (), since=since, until=until)


async def source_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """Outlets in the index whose name contains what was typed, biggest first."""
    try:
        stats = await _quickly(interaction.client.service.stats)
    except Exception:  # an autocomplete must answer; the commands themselves report errors
        log.exception("source autocomplete failed")
        return []
    typed = current.lower().strip()
    return [app_commands.Choice(name=cut(name, CHOICE), value=name[:CHOICE])
            for name in stats.sources if typed in name.lower()][:25]


async def resolve_source(interaction: discord.Interaction, value: str | None) -> str | None:
    """The outlet a ``source`` option names, or BadOption saying the filter matches no outlet.

    A choice's value holds at most 100 characters: a longer outlet name arrives cut, and is
    recognised here by its beginning.
    """
    if not value:
        return None
    sources = (await asyncio.to_thread(interaction.client.service.stats)).sources
    if value in sources:
        return value
    matches = [name for name in sources if name.startswith(value)] if len(value) >= CHOICE else []
    if len(matches) == 1:
        return matches[0]
    raise BadOption(f"no outlet in the index is called {cut(value, 60)!r}, so the source filter would match "
                    "nothing; pick an outlet from the list the source option offers")


async def article_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """Articles whose title has the typed words; the value is the article id."""
    try:
        found = await _quickly(interaction.client.service.find_articles, current, 25)
    except Exception:
        log.exception("article autocomplete failed")
        return []
    return [app_commands.Choice(name=choice_name(a.title, a.source, a.published), value=a.id) for a in found]
