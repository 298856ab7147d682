"""/reindex: its progress line and its report."""

from __future__ import annotations

import discord

from rag.core.types import IndexReport

from .limits import COLOUR_ADMIN, ELLIPSIS, fit, listing, safe, scrub

_STAGES = {
    "reading": "reading the corpus folder",
    "chunking": "splitting articles into passages",
    "embedding": "embedding passages",
    "lexical index": "building the keyword index",
    "duplicates": "finding duplicate articles",
    "committed": "new index committed; cleaning up",
    "settling": "saving the search graph",
    "feeds": "checking feeds",
}



def index_summary(report: IndexReport) -> str:
    """What a reindex did, in one line (the core's, ``IndexReport.summary``), opening with a capital."""
    text = report.summary()
    return text[:1].upper() + text[1:]


def progress_text(stage: str, done: int, total: int) -> str:
    """One line of reindex progress."""
    label = _STAGES.get(stage, stage)
    if total:
        return f"Reindexing: {label} {done:,}/{total:,} ({100 * done // total}%)"
    return f"Reindexing: {label}{ELLIPSIS}"


def report_embed(report: IndexReport, labels: dict[str, str], full: bool = False) -> discord.Embed:
    """What a reindex did: counts, then the added, updated, removed and skipped files (with reasons)."""
    embed = discord.Embed(title="Full reindex finished" if full else "Reindex finished",
                          description=safe(index_summary(report)), colour=COLOUR_ADMIN)
    for label, ids in (("Added", report.added), ("Updated", report.updated), ("Removed", report.removed)):
        if ids:
            embed.add_field(name=f"{label} ({len(ids)})",
                            value=listing(safe(scrub(labels.get(i, i))) for i in ids), inline=False)
    if report.skipped:
        skipped = (f"{safe(scrub(s.origin))}: {safe(scrub(s.reason))}" for s in report.skipped)
        embed.add_field(name=f"Skipped ({len(report.skipped)})", value=listing(skipped), inline=False)
    return fit(embed)
