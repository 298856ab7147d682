"""What every reply shares: dates in one style, the sources an answer cites, and its footer line."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime

import discord

from rag.core.types import Citation, human_date

from .limits import CHOICE, ELLIPSIS, FIELD_VALUE, FIELDS, cut, link_text, safe, safe_url

OUTLETS = 300  # the "also in" part of a source: a handful of outlet names, never the whole field
SOURCE_TITLE = 150
FOOTER_NOTES = 300  # a footer is a remark; it must not take the sources' room

# --------------------------------------------------------------------------- dates


def day(d: date | None) -> str:
    """A day as every reply writes it (as answers do): "2 Mar 2024", or "undated"."""
    return human_date(d) if d else "undated"


def when(stamp: str) -> str:
    """A recorded time ("2024-03-02T10:00:00+0000") in Discord's own format, shown in the reader's time zone."""
    try:
        return discord.utils.format_dt(datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S%z"), "f")
    except ValueError:
        return safe(stamp) or "never"


def date_span(since: date | None, until: date | None) -> str:
    """" (1 Mar 2024 to 31 Mar 2024)", " (from …)", " (until …)" or "" for a title."""
    if since and until:
        return f" ({day(since)} to {day(until)})"
    if since:
        return f" (from {day(since)})"
    return f" (until {day(until)})" if until else ""


def choice_name(title: str, source: str, published: date | None) -> str:
    """An article as an autocomplete choice: "Title (outlet, 2 Mar 2024)"."""
    meta = ", ".join(x for x in (source, day(published) if published else "") if x)
    label = f"{title} ({meta})" if meta else title
    return cut(" ".join(label.split()), CHOICE) or "Untitled"


# --------------------------------------------------------------------------- sources


def byline(c: Citation) -> str:
    """Outlet (linked to the article when the corpus gives a URL) and date."""
    outlet = cut(c.source, 100) or "source"
    url = safe_url(c.url)
    return f"[{link_text(outlet)}]({url}) · {day(c.published)}" if url else f"{safe(outlet)} · {day(c.published)}"


def also_in(citations: Iterable[Citation]) -> str:
    """``also in: AP, Reuters``: the other outlets that ran the cited story, or "" when none did."""
    outlets = dict.fromkeys(o for c in citations for o in c.outlets)
    return f"also in: {safe(cut(', '.join(outlets), OUTLETS))}" if outlets else ""


def numbering(citations: Iterable[Citation]) -> dict[int, int]:
    """The number shown for each citation number: one per article, in the order they are first cited.

    The identity when the core already numbers per article; when it numbers per sentence, one
    article's "[1][2][3]" becomes "[1]"."""
    shown: dict[int, int] = {}
    articles: dict[str, int] = {}
    for c in sorted(citations, key=lambda c: c.n):
        if c.n not in shown:
            shown[c.n] = articles.setdefault(c.article_id, len(articles) + 1)
    return shown


def source_groups(citations: Iterable[Citation]) -> dict[int, list[Citation]]:
    """The citations under each number shown (one source per number), in number order."""
    citations = list(citations)
    shown = numbering(citations)
    groups: dict[int, list[Citation]] = {}
    for c in sorted(citations, key=lambda c: (shown[c.n], c.start)):
        groups.setdefault(shown[c.n], []).append(c)
    return groups


_MARKER = re.compile(r"\[(\d+)\]")
_REPEATED_MARKER = re.compile(r"(\[\d+\])(?:[ \t]*\1)+")


def renumbered(text: str, citations: Iterable[Citation]) -> str:
    """``text`` with its markers shown as ``numbering`` says, a marker repeated in a row written once."""
    shown = numbering(citations)
    text = _MARKER.sub(lambda m: f"[{shown[int(m[1])]}]" if int(m[1]) in shown else m[0], text)
    return _REPEATED_MARKER.sub(r"\1", text)


def source_line(n: int, citations: Sequence[Citation]) -> str:
    """``[1] [Title](url) · outlet · 2 Mar 2024 · also in: …``: the article's title links to it."""
    c = citations[0]
    title = cut(" ".join((c.title or "Untitled").split()), SOURCE_TITLE)
    url = safe_url(c.url)
    link = f"[{link_text(title)}]({url})" if url else safe(title)
    parts = [f"[{n}] {link}", safe(cut(c.source, 100)) if c.source else "", day(c.published), also_in(citations)]
    return " · ".join(p for p in parts if p)


def source_fields(citations: Sequence[Citation], room: int = FIELDS) -> list[tuple[str, str]]:
    """One field per number shown, the article's title as its name: for timelines, whose lines are dated."""
    out = [(f"[{n}] {safe(cs[0].title or 'Untitled')}", "\n".join(x for x in (byline(cs[0]), also_in(cs)) if x))
           for n, cs in source_groups(citations).items()]
    if len(out) > room:
        rest = len(out) - (room - 1)
        out = out[:room - 1] + [("More sources", f"{ELLIPSIS} and {rest} more articles")]
    return out


def source_list(citations: Sequence[Citation]) -> list[tuple[str, str]]:
    """The sources, one line per number shown, packed into as few "Sources" fields as fit."""
    fields: list[tuple[str, str]] = []
    lines: list[str] = []
    for n, cs in source_groups(citations).items():
        line = cut(source_line(n, cs), FIELD_VALUE)
        if lines and len("\n".join([*lines, line])) > FIELD_VALUE:
            fields.append(("Sources" if not fields else "More sources", "\n".join(lines)))
            lines = []
        lines.append(line)
    if lines:
        fields.append(("Sources" if not fields else "More sources", "\n".join(lines)))
    return fields


# --------------------------------------------------------------------------- footers


def footer(*notes: str) -> str:
    """A reply's footer: its remarks joined, short enough to leave the sources their room."""
    return cut(" · ".join(n for n in notes if n), FOOTER_NOTES)
