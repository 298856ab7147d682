"""/ingest: what happened to each uploaded file, then the reindex."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from rag.core.types import IndexReport

from .limits import COLOUR_ADMIN, fit, listing, plural, safe, scrub
from .reindex import report_embed

if TYPE_CHECKING:
    from rag.sources.uploads import UploadReport


def uploads_summary(uploads: UploadReport) -> str:
    """How many files were added, already there and rejected, in one line."""
    return (f"{plural(len(uploads.added), 'file')} added, {len(uploads.already_there):,} already there, "
            f"{len(uploads.rejected):,} rejected")


def ingest_embed(uploads: UploadReport, report: IndexReport | None, labels: dict[str, str]) -> discord.Embed:
    """What /ingest did: the files added, already there and rejected (with reasons), then the reindex report."""
    if report is None:
        embed = discord.Embed(title="Nothing uploaded", colour=COLOUR_ADMIN,
                              description=f"{safe(uploads_summary(uploads))}; nothing to index.")
    else:
        embed = report_embed(report, labels)
        embed.title = "Upload indexed"
        embed.description = f"{safe(uploads_summary(uploads))}\nReindex: {embed.description}"
    files = []
    if uploads.added:
        files.append((f"Files added ({len(uploads.added)})", listing(
            f"{safe(u.name)} → {safe(u.saved_as)} ({u.articles} article{'s' if u.articles != 1 else ''})"
            for u in uploads.added)))
    if uploads.already_there:
        files.append((f"Already in the corpus ({len(uploads.already_there)})", listing(
            f"{safe(u.name)} (as {safe(u.saved_as)})" for u in uploads.already_there)))
    if uploads.rejected:
        files.append((f"Files rejected ({len(uploads.rejected)})", listing(
            f"{safe(u.name)}: {safe(scrub(u.reason))}" for u in uploads.rejected)))
    for i, (name, value) in enumerate(files):
        embed.insert_field_at(i, name=name, value=value, inline=False)
    return fit(embed)
