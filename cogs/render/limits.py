"""Text for Discord: within its limits, and inert.

Everything here is pure: a long text is cut after a sentence, with an ellipsis; an embed is cut to
fit; article and user text is made inert (markdown and mentions escaped, links defanged by
:mod:`rag.core.links`). Links come only from the ``url`` the corpus gives an article.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, urlsplit

import discord

from rag.core.links import defang
from rag.core.text import split_sentences

# Discord's limits (characters).
CONTENT = 2000
TITLE = 256
DESCRIPTION = 4096
FIELD_NAME = 256
FIELD_VALUE = 1024
FIELDS = 25
FOOTER = 2048
AUTHOR = 256
TOTAL = 6000  # across every embed of one message
CHOICE = 100  # autocomplete choice names and values
THREAD_NAME = 100

ELLIPSIS = "…"
URL_LIMIT = 512

COLOUR_ANSWER = discord.Colour.blurple()
COLOUR_REFUSED = discord.Colour.light_grey()
COLOUR_SUMMARY = discord.Colour.teal()
COLOUR_ADMIN = discord.Colour.dark_gold()

# Citation markers right after a sentence belong to it: "... in 2027. [2]" is cut after "[2]".
_MARKERS = re.compile(r"(?:[ \t]*\[\d+\])+")
_SPACE = re.compile(r"\s")
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/-])(?:[A-Za-z]:\\|/)(?:[\w.-]+[/\\])+[\w.-]*")


def _sentence_ends(text: str) -> Iterable[int]:
    for _, end in split_sentences(text):
        markers = _MARKERS.match(text, end)
        yield markers.end() if markers else end


def cut(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else cut after a sentence (or word) with an ellipsis."""
    text = text.strip()
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return ELLIPSIS[:max(limit, 0)]
    room = limit - len(ELLIPSIS) - 1  # room for " …"
    head = text[:room]
    ends = [e for e in _sentence_ends(text) if e <= room]
    end = ends[-1] if ends and ends[-1] >= room // 3 else None
    if end is None:  # no sentence ends late enough: cut at a space
        spaces = [m.start() for m in _SPACE.finditer(head)]
        end = spaces[-1] if spaces and spaces[-1] >= room // 2 else room
    head = text[:end].rstrip()
    if head.endswith("\\"):  # never leave a dangling escape
        head = head[:-1]
    return head + (" " if head and head[-1] in ".!?…]" else "") + ELLIPSIS


def safe(text: str) -> str:
    """Article, answer or user text made inert: markdown, mentions and links escaped.

    Every address in the text is defanged (:func:`rag.core.links.defang`): in Discord an article's
    own URL is linked only from its byline, never from text.
    """
    text = defang(text)
    text = discord.utils.escape_markdown(text)
    return discord.utils.escape_mentions(text)


def in_code(text: str) -> str:
    """Text for inside an inline code span (which Discord shows as typed, escapes included): on one line,
    without the backticks that would end it."""
    return " ".join(text.replace("`", "'").split())


def scrub(text: str) -> str:
    """Absolute file paths replaced by their last part, so no server paths reach Discord."""
    return _ABSOLUTE_PATH.sub(lambda m: "…/" + re.split(r"[/\\]", m.group(0))[-1], text)


def safe_url(url: str) -> str | None:
    """A corpus article URL usable as a markdown link target, or None."""
    url = (url or "").strip()
    if not url or len(url) > URL_LIMIT or _SPACE.search(url):
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return quote(url, safe=":/?#@!$&'*+,;=%-._~")  # parentheses and brackets encoded


def link_text(text: str) -> str:
    """Text for inside a markdown link's brackets."""
    return safe(text).replace("[", "(").replace("]", ")")


def listing(items: Iterable[str], limit: int = FIELD_VALUE, item_limit: int = 200) -> str:
    """Bulleted lines within ``limit`` characters, ending with "… and N more" when some do not fit."""
    items = list(items)
    lines: list[str] = []
    used = 0
    for i, item in enumerate(items):
        line = "• " + cut(item, item_limit)
        rest = len(items) - i - 1
        tail = len(f"\n{ELLIPSIS} and {rest} more") if rest else 0
        if used + len(line) + 1 + tail > limit:
            more = len(items) - i
            return "\n".join(lines + [f"{ELLIPSIS} and {more} more"])[:limit]
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)


def fit(embed: discord.Embed) -> discord.Embed:
    """Cut an embed's parts to Discord's limits, then its text and fields to the 6000 total."""
    if embed.title:
        embed.title = cut(embed.title, TITLE)
    if embed.description:
        embed.description = cut(embed.description, DESCRIPTION)
    fields = [(f.name or "", f.value or "", bool(f.inline)) for f in embed.fields]
    embed.clear_fields()
    for name, value, inline in fields[:FIELDS]:
        embed.add_field(name=cut(name, FIELD_NAME) or "\u200b", value=cut(value, FIELD_VALUE) or "\u200b",
                        inline=inline)
    footer = embed.footer.text or ""
    if footer:
        embed.set_footer(text=cut(footer, FOOTER))
    if embed.author.name:
        embed.set_author(name=cut(embed.author.name, AUTHOR), url=embed.author.url)

    over = len(embed) - TOTAL
    if over > 0 and embed.description:
        # Shorten the text first, but keep a third of the budget for it.
        description = embed.description
        embed.description = cut(description, max(len(description) - over, min(len(description), TOTAL // 3)))
    dropped = 0
    while len(embed) > TOTAL and embed.fields:
        embed.remove_field(len(embed.fields) - 1)
        dropped += 1
        note = f"{dropped} more not shown"
        embed.set_footer(text=cut(f"{note} · {footer}" if footer else note, FOOTER))
    over = len(embed) - TOTAL
    if over > 0 and embed.description:
        embed.description = cut(embed.description, max(len(embed.description) - over, 0))
    return embed




def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 chunk``, ``2 chunks``, ``1,200 files``."""
    return f"{n:,} {word if n == 1 else many or word + 's'}"


def with_error_id(message: str, error_id: str) -> str:
    """A short user-facing failure line carrying the id the log has the details under."""
    tail = f" (error id `{error_id}`)"
    return cut(scrub(message), CONTENT - len(tail)) + tail
