"""/status: what is indexed, the ratings, the feeds, and warnings for admins."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord

from .limits import COLOUR_ADMIN, cut, fit, safe, scrub
from .shared import day, when

if TYPE_CHECKING:
    from rag.search.catalogue import IndexStats
    from rag.sources.feeds import FeedStatus
    from rag.state.feedback import FeedbackCounts


def status_embed(stats: IndexStats | None, counts: FeedbackCounts, reindexing: bool = False,
                 problem: str = "", feeds: Sequence[FeedStatus] = (), admin: bool = False,
                 notes: Sequence[str] = ()) -> discord.Embed:
    """What is indexed, or (``stats`` None) ``problem`` saying why nothing is; the feedback counts; the
    feeds. The bot's internals (the embedding model) only for ``admin``; ``notes`` are warnings for them."""
    embed = discord.Embed(title="Index status", colour=COLOUR_ADMIN)
    if stats is None:
        embed.description = safe(problem)
    else:
        embed.add_field(name="Articles", value=f"{stats.articles:,}")
        embed.add_field(name="Passages", value=f"{stats.chunks:,}")
        newest = day(stats.newest) if stats.newest else "none dated"
        embed.add_field(name="Newest article", value=newest)
        last = when(stats.last_reindex) if stats.last_reindex else "never"
        embed.add_field(name="Last reindex", value=last)
        embed.add_field(name="Answer mode", value=safe(stats.answer_mode))
        if stats.ranking:
            off = "(off:" in stats.ranking
            embed.add_field(name="⚠ Ranking" if off else "Ranking", value=safe(stats.ranking), inline=not off)
        if admin:
            embed.add_field(name="Embedding model", value=safe(stats.embedding))
        if stats.sources:
            top = list(stats.sources.items())[:5]
            more = len(stats.sources) - len(top)
            text = ", ".join(f"{safe(name)} ({n:,})" for name, n in top)
            text += f" and {more} more" if more else ""
            embed.add_field(name="Sources", value=text, inline=False)
    embed.add_field(name="Feedback", value=f"👍 {counts.helpful:,} · 👎 {counts.unhelpful:,}")
    if reindexing:
        embed.add_field(name="Reindex", value="running; answers come from the previous index until it ends")
    if feeds:
        embed.add_field(name="Feeds", value=feeds_line(feeds), inline=False)
    for note in notes:
        embed.add_field(name="⚠ Admin commands hidden", value=safe(note), inline=False)
    return fit(embed)


def feeds_line(feeds: Sequence[FeedStatus]) -> str:
    """How many feeds, how many failing, and the first failing one with its reason."""
    failing = [f for f in feeds if f.problem]
    text = f"{len(feeds)} feed{'s' if len(feeds) != 1 else ''}, "
    if not failing:
        return text + "no errors"
    first = failing[0]
    return text + f"{len(failing)} with errors; first: {safe(first.url)}: {safe(scrub(cut(first.problem, 300)))}"
