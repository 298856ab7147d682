"""Discord renderings of answers, summaries, passages, reindex reports and status.

Everything here is pure: values in, ``discord.Embed`` or text out, always within Discord's
limits (a long text is cut after a sentence, with an ellipsis), with article and user text
made inert (markdown and mentions escaped, links defanged by :mod:`rag.core.links`). Links come only
from the ``url`` the corpus gives an article.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

import discord

from rag.state.feedback import FeedbackCounts
from rag.core.links import defang
from rag.core.text import split_sentences
from rag.core.types import Answer, Citation, IndexReport, Passage

if TYPE_CHECKING:
    from rag.sources.feeds import FeedStatus, SyncReport
    from rag.service import IndexStats
    from rag.answer.timelines import Timeline
    from rag.sources.uploads import UploadReport

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
FOOTER_NOTES = 300  # an answer's footer is a remark; it must not take the sources' room
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


def _link_text(text: str) -> str:
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


# --------------------------------------------------------------------------- answers


def _date(c: Citation) -> str:
    return c.published.isoformat() if c.published else "undated"


def short_date(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def byline(c: Citation) -> str:
    """Outlet (linked to the article when the corpus gives a URL) and date."""
    outlet = cut(c.source, 100) or "source"
    url = safe_url(c.url)
    return f"[{_link_text(outlet)}]({url}) · {_date(c)}" if url else f"{safe(outlet)} · {_date(c)}"


def _markers(numbers: Iterable[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)


OUTLETS = 300  # the "also in" part of a source: a handful of outlet names, never the whole field
SOURCE_TITLE = 150


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
    link = f"[{_link_text(title)}]({url})" if url else safe(title)
    parts = [f"[{n}] {link}", safe(cut(c.source, 100)) if c.source else "",
             short_date(c.published) if c.published else "undated", also_in(citations)]
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
    line = f"newest source: {age(newest, today)} ({short_date(newest)})"
    if gap:
        return f"Nothing indexed is dated {gap['label']}; {line}", notes
    if (today - newest).days >= STALE_DAYS:
        return line[:1].upper() + line[1:], notes
    return "", notes


def answer_markdown(text: str) -> str:
    """The answer's text made inert, except the bold short answer it may open with (``**Name** [1] — …``)."""
    opening = re.match(r"\*\*([^*\n]{1,200})\*\*", text)
    if opening:
        return f"**{safe(opening[1])}**{safe(text[opening.end():])}"
    return safe(text)


def answer_embed(answer: Answer, title: str | None = None, colour: discord.Colour | None = None,
                 footer: str | None = None, dated: bool = True, understood: str = "") -> discord.Embed:
    """An answer (or summary): how current it is (when ``dated``), its text with [n] markers, its
    sources, a short footer; ``understood`` is the question as the bot rewrote it (a follow-up)."""
    first, notes = currency(answer)
    first = first if dated else ""
    text = answer_markdown(renumbered(answer.text, answer.citations))
    embed = discord.Embed(
        title=safe(title if title is not None else answer.question),
        description=f"*{safe(first)}*\n{text}" if first else text,
        colour=colour or (COLOUR_REFUSED if answer.refused else COLOUR_ANSWER),
    )
    for name, value in source_list(answer.citations):
        embed.add_field(name=name, value=value, inline=False)
    mode = footer or ("Nothing in the indexed articles answers this" if answer.refused
                      else MODE_NOTES.get(answer.mode, ""))
    asked = f"Understood as “{cut(understood, 120)}”" if understood else ""
    embed.set_footer(text=cut(" · ".join(n for n in [asked, mode, *notes] if n), FOOTER_NOTES))
    return fit(embed)


def summary_embed(answer: Answer, title: str, dated: bool = True) -> discord.Embed:
    """A summary; ``dated`` False for one article, whose date its source line gives."""
    footer = ("Written summary; every sentence checked against its source"
              if answer.mode == "generative" else
              "The most central sentences, each quoted from the article cited")
    return answer_embed(answer, title=title, colour=COLOUR_REFUSED if answer.refused else COLOUR_SUMMARY,
                        footer=footer, dated=dated)


TIMELINE_LINE = 600  # one event line at most (a sentence is at most 400 characters, plus date and outlets)


def timeline_embed(timeline: Timeline, title: str) -> discord.Embed:
    """A timeline: one dated, cited line per event, oldest first, then its sources.

    Whole lines are left out (the last ones, with a note) rather than cut, when they do not fit.
    """
    if timeline.refused:
        return answer_embed(timeline.as_answer(), title=title, colour=COLOUR_REFUSED,
                            footer="Nothing in the indexed articles covers this topic")
    footer = "Timeline: for each article, its sentence closest to the topic, quoted and cited; oldest first"
    events = list(timeline.events)
    for shown in range(len(events), 0, -1):
        kept = events[:shown]
        cited = [e.citation for e in kept]
        embed = discord.Embed(title=cut(safe(title), TITLE), colour=COLOUR_SUMMARY,
                              description="\n".join(cut(safe(renumbered(e.line(), cited)), TIMELINE_LINE)
                                                    for e in kept))
        for name, value in source_fields(cited):
            embed.add_field(name=cut(name, FIELD_NAME), value=cut(value, FIELD_VALUE), inline=False)
        more = len(events) - shown
        embed.set_footer(text=f"{more} later events not shown · {footer}" if more else footer)
        if len(embed.description) <= DESCRIPTION and len(embed) <= TOTAL:
            return embed
    return fit(embed)


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
            entries.append((name, " ".join(c.quote for c in cs), [], byline(cs[0])))
            continue
        for p in holding:
            used.add(p.chunk.id)
            quoted = _quoted_in(p, cs)
            ch = p.chunk
            a, b = _paragraph_around(ch.text, min(c.start for c in quoted) - ch.start,
                                     max(c.end for c in quoted) - ch.start)
            spans = [(c.start - ch.start - a, c.end - ch.start - a) for c in quoted]
            entries.append((name, ch.text[a:b], spans, byline(cs[0])))
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


# --------------------------------------------------------------------------- admin


_STAGES = {
    "reading": "reading the corpus folder",
    "embedding": "embedding passages",
    "lexical index": "building the keyword index",
    "duplicates": "finding duplicate articles",
    "committed": "new index committed; cleaning up",
    "feeds": "checking feeds",
}


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 chunk``, ``2 chunks``, ``1,200 files``."""
    return f"{n:,} {word if n == 1 else many or word + 's'}"


def index_summary(report: IndexReport) -> str:
    """What a reindex did, in one line, counted in proper English ("1 chunk embedded")."""
    copies = (f"; {plural(report.duplicate_groups, 'group')} of duplicate articles"
              if report.duplicate_groups else "")
    return (f"{len(report.added):,} added, {len(report.updated):,} updated, {len(report.removed):,} removed, "
            f"{report.unchanged:,} unchanged, {len(report.skipped):,} skipped; "
            f"{plural(report.chunks_embedded, 'chunk')} embedded in {report.seconds:.1f}s{copies}")


def uploads_summary(uploads: UploadReport) -> str:
    return (f"{plural(len(uploads.added), 'file')} added, {len(uploads.already_there):,} already there, "
            f"{len(uploads.rejected):,} rejected")


def sync_summary(report: SyncReport) -> str:
    text = (f"{plural(report.feeds, 'feed')} checked: {len(report.new):,} new, {len(report.updated):,} updated, "
            f"{len(report.unchanged):,} unchanged, {len(report.failed):,} failed in {report.seconds:.1f}s")
    if report.index is not None:
        return f"{text}; index: {index_summary(report.index)}"
    return f"{text}; not indexed yet: {report.index_error}" if report.index_error else text


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


def _when(stamp: str) -> str:
    try:
        return discord.utils.format_dt(datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S%z"), "f")
    except ValueError:
        return safe(stamp) or "never"


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
        newest = stats.newest.isoformat() if stats.newest else "none dated"
        embed.add_field(name="Newest article", value=newest)
        last = _when(stats.last_reindex) if stats.last_reindex else "never"
        embed.add_field(name="Last reindex", value=last)
        embed.add_field(name="Answer mode", value=safe(stats.answer_mode))
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


def feeds_embed(feeds: Sequence[FeedStatus]) -> discord.Embed:
    """/feeds list: each feed with where it comes from, its last success and its last error."""
    embed = discord.Embed(title=f"Feeds ({len(feeds)})", colour=COLOUR_ADMIN)
    if not feeds:
        embed.description = "No feeds yet: add one with /feeds add, or list them in FEEDS in the bot's .env."
    for f in feeds:
        origin = "from FEEDS in .env" if f.from_settings else "added with /feeds add"
        lines = [f"{safe(f.url)} · {origin}",
                 f"Last success: {_when(f.last_success) if f.last_success else 'never'} · "
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


# --------------------------------------------------------------------------- plain text


def with_error_id(message: str, error_id: str) -> str:
    """A short user-facing failure line carrying the id the log has the details under."""
    tail = f" (error id `{error_id}`)"
    return cut(scrub(message), CONTENT - len(tail)) + tail


def thread_name(question: str) -> str:
    return cut(" ".join(question.split()), THREAD_NAME) or "Question"


def choice_name(title: str, source: str, published: date | None) -> str:
    meta = ", ".join(x for x in (source, published.isoformat() if published else "") if x)
    label = f"{title} ({meta})" if meta else title
    return cut(" ".join(label.split()), CHOICE) or "Untitled"


def date_span(since: date | None, until: date | None) -> str:
    """" (2024-03-01 to 2024-03-31)", " (from …)", " (until …)" or "" for a title."""
    if since and until:
        return f" ({since.isoformat()} to {until.isoformat()})"
    if since:
        return f" (from {since.isoformat()})"
    return f" (until {until.isoformat()})" if until else ""
