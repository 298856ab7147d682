"""/feeds: the subscriptions, and what a sync did."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord

from .limits import COLOUR_ADMIN, cut, fit, listing, plural, safe, scrub
from .reindex import index_summary
from .shared import when

if TYPE_CHECKING:
    from rag.sources.feeds import FeedStatus, SyncReport


def sync_summary(report: SyncReport) -> str:
    """What a sync did, in one line, with its reindex (or why it did not index yet)."""
    text = (f"{plural(report.feeds, 'feed')} checked: {len(report.new):,} new, {len(report.updated):,} updated, "
            f"{len(report.unchanged):,} unchanged, {len(report.failed):,} failed in {report.seconds:.1f}s")
    if report.index is not None:
        return f"{text}; index: {index_summary(report.index)}"
    return f"{text}; not indexed yet: {report.index_error}" if report.index_error else text


def feeds_embed(feeds: Sequence[FeedStatus]) -> discord.Embed:
    """/feeds list: each feed with where it comes from, its last success and its last error."""
    embed = discord.Embed(title=f"Feeds ({len(feeds)})", colour=COLOUR_ADMIN)
    if not feeds:
        embed.description = "No feeds yet: add one with /feeds add, or list them in FEEDS in the bot's .env."
    for f in feeds:
        origin = "from FEEDS in .env" if f.from_settings else "added with /feeds add"
        lines = [f"{safe(f.url)} · {origin}",
                 f"Last success: {when(f.last_success) if f.last_success else 'never'} · "
                 f"{f.articles:,} article{'s' if f.articles != 1 else ''}"]
        if f.problem:
            lines.append(f"Last error: {safe(scrub(cut(f.problem, 400)))}")
        embed.add_field(name=safe(f.title or f.url), value="\n".join(lines), inline=False)
    return fit(embed)


def feed_sync_embed(report: SyncReport) -> discord.Embed:
    """What a feed sync did: articles new, updated and failed (with reasons), then the reindex."""
    embed = discord.Embed(title="Feeds synced", description=safe(scrub(sync_summary(report))), colour=COLOUR_ADMIN)
    for label, changes in (("New", report.new), ("Updated", report.updated)):
        if changes:
            embed.add_field(name=f"{label} ({len(changes)})",
                            value=listing(f"{safe(c.title)} ({safe(c.url)})" for c in changes), inline=False)
    if report.failed:
        embed.add_field(name=f"Failed ({len(report.failed)})",
                        value=listing(f"{safe(f.url)}: {safe(scrub(f.reason))}" for f in report.failed),
                        inline=False)
    return fit(embed)
