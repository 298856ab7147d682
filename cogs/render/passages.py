"""The Passages button and /sources: each source's quoted sentences in bold, in their paragraphs."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from rag.core.types import Answer, Citation, Passage

from .limits import COLOUR_ANSWER, FIELD_NAME, FIELD_VALUE, TOTAL, cut, fit, safe
from .shared import byline, source_groups


def _paragraph_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The span of the paragraph (lines of ``text``) holding ``text[start:end]``."""
    a = max(text.rfind("\n", 0, start) + 1, 0)
    b = text.find("\n", end)
    return a, len(text) if b < 0 else b


def highlight(text: str, spans: Sequence[tuple[int, int]], limit: int) -> str:
    """``text`` made inert with each span in bold, cut to ``limit`` characters around the first span."""
    spans = sorted((max(a, 0), min(b, len(text))) for a, b in spans if b > a)

    def render(lo: int, hi: int) -> str:
        out, at = [], lo
        for a, b in spans:
            a, b = max(a, lo), min(b, hi)
            if b <= a:
                continue
            out.append(safe(text[at:a]))
            out.append(f"**{safe(text[a:b].strip())}**" + (" " if text[a:b].endswith(" ") else ""))
            at = b
        out.append(safe(text[at:hi]))
        body = " ".join("".join(out).split())
        return ("… " if lo > 0 else "") + body + (" …" if hi < len(text) else "")

    shown = render(0, len(text))
    if len(shown) <= limit:
        return shown
    # Keep a little of what leads to the first quote, then as much after it as fits.
    first = spans[0][0] if spans else 0
    lo = 0 if first <= 80 else text.find(" ", first - 80, first) + 1 or first
    low, high = min((spans[0][1] if spans else lo) + 1, len(text)), len(text)
    if len(render(lo, low)) > limit:
        lo = first  # no room for what leads to it: start at the quote
    if len(render(lo, low)) > limit:  # even the first quote does not fit: plain and cut
        return cut(safe(" ".join(text[lo:].split())), limit)
    while low < high:  # the longest end that fits (the rendering grows with it)
        mid = (low + high + 1) // 2
        if len(render(lo, mid)) <= limit:
            low = mid
        else:
            high = mid - 1
    space = text.rfind(" ", lo, low)
    end = space if space > (spans[0][1] if spans else lo) else low  # end at a word
    return render(lo, end)


def _quoted_in(passage: Passage, citations: Sequence[Citation]) -> list[Citation]:
    ch = passage.chunk
    return [c for c in citations if c.article_id == ch.article_id and ch.start <= c.start and c.end <= ch.end]


def _merged(passages: Sequence[Passage]) -> list[tuple[int, str]]:
    """The text of one article's passages with overlapping ones joined (chunks share their edges), as
    (start in the article, text), in article order: a sentence two passages hold is shown once."""
    out: list[tuple[int, str]] = []
    for p in sorted(passages, key=lambda p: p.chunk.start):
        ch = p.chunk
        if out and ch.start <= out[-1][0] + len(out[-1][1]):
            start, text = out[-1]
            end = start + len(text)
            out[-1] = (start, text + ch.text[end - ch.start:]) if ch.end > end else (start, text)
        else:
            out.append((ch.start, ch.text))
    return out


PASSAGES = 10  # passages shown at most; each gets an equal share of the embed
UNQUOTED = 300  # an excerpt of a passage the answer did not quote (/sources): enough to judge it


def passages_embed(answer: Answer, everything: bool = False) -> discord.Embed:
    """Each source's quoted sentences in bold in their paragraphs (the Passages button); with
    ``everything`` (/sources), also the passages retrieved but not quoted."""
    title = "Everything retrieved for" if everything else "Quoted passages"
    embed = discord.Embed(title=safe(f"{title}: {answer.question}"), colour=COLOUR_ANSWER)
    groups = source_groups(answer.citations)
    # (name, text, spans, byline): the paragraphs of a source that hold its quotes, or the quotes alone.
    entries: list[tuple[str, str, list[tuple[int, int]], str]] = []
    used: set[str] = set()
    for n, cs in groups.items():
        name = f"[{n}] {safe(cs[0].title or 'Untitled')}"
        holding = [p for p in answer.passages if _quoted_in(p, cs)]
        if not holding:
            entries.append((name, " ".join(dict.fromkeys(c.quote for c in cs)), [], byline(cs[0])))
            continue
        used.update(p.chunk.id for p in holding)
        for start, text in _merged(holding):
            quoted = list({(c.start, c.end): c for c in cs  # each quote once, in the text that holds it
                           if start <= c.start and c.end <= start + len(text)}.values())
            if not quoted:
                continue
            a, b = _paragraph_around(text, min(c.start for c in quoted) - start, max(c.end for c in quoted) - start)
            spans = [(c.start - start - a, c.end - start - a) for c in quoted]
            entries.append((name, text[a:b], spans, byline(cs[0])))
    if everything:
        for p in answer.passages:
            if p.chunk.id not in used:
                ch = p.chunk
                ref = Citation(0, ch.article_id, ch.title, ch.source, ch.published, ch.url, "", ch.start, ch.end)
                entries.append((f"(not quoted) {safe(ch.title or 'Untitled')}", cut(ch.text, UNQUOTED), [],
                                byline(ref)))
    if not entries:
        embed.description = "No passage was close enough to the question to quote."
        return fit(embed)
    left = len(entries) - PASSAGES
    entries = entries[:PASSAGES]
    footer = ("Quoted sentences in bold, each in its paragraph" if not everything else
              "Quoted sentences in bold; passages are shown as indexed")
    if left > 0:
        footer = f"{left} more not shown · {footer}"
    names = [cut(name, FIELD_NAME) for name, _, _, _ in entries]
    room = TOTAL - len(embed.title or "") - len(footer) - sum(len(n) for n in names) - 20
    budget = min(FIELD_VALUE, room // len(entries))
    for name, (_, text, spans, line) in zip(names, entries, strict=True):
        body = highlight(text, spans, max(budget - len(line) - 1, 40)) if spans else \
            cut(safe(" ".join(text.split())), max(budget - len(line) - 1, 40))
        embed.add_field(name=name, value=f"{body}\n{line}", inline=False)
    embed.set_footer(text=footer)
    return fit(embed)
