"""What each sentence of an article is: a quotable sentence, a short line, or page furniture.

Articles are marked once, when they are chunked for indexing, and the marks travel with each
chunk (``Chunk.sentences``); the kinds are the vocabulary the index, the answers and the bench share. Answers, summaries and timelines quote only ``SENTENCE`` units;
short lines (headings, list items such as "Michelle Yeoh, Everything Everywhere All At Once",
labels, bylines) are kept for retrieval and may only back a short answer they contain, with the
heading above them as context; furniture (promotional links to other stories, "Heading:Headline"
run-ons, link lists, photo captions and credits) and text addressed to AI systems or to the
reader as instructions are never quoted and never make an article the citation of anything.
The rules are listed in corpus/README.md ("What is quoted"). Pure functions, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .text import split_sentences

SENTENCE = "s"  # a sentence of the article's prose: quotable
SHORT = "h"  # a line that is not a sentence: heading, list item, label, byline, dateline
FURNITURE = "f"  # promotional link, run-on link, link list, caption or photo credit
INSTRUCTION = "i"  # addressed to an AI system or the reader as an instruction

Unit = tuple[int, int, str]  # (start, end, kind), a span of the text it was marked on

# A sentence ends with one of these (after closing quotes and brackets are set aside).
_TERMINAL = (".", "!", "?", "…")
_CLOSERS = "\"'”’»)]"

# "More on the resignation:New Zealand ...", "QUAKE DAMAGE:Photos capture ...": a heading glued
# to a headline without a space. A head ending in a digit is a time or a score ("10:30").
_RUN_ON = re.compile(r"^[^\n:.!?]{2,80}?[^\s\d:]:[\"“‘'(\[]?[A-Z0-9]")
# Lead-ins of links to other stories: "More on X:", "READ MORE:", "Related:", "In case you missed it:".
_PROMO_LEAD = re.compile(
    r"^\W{0,3}(?:read|see|watch|listen|also|keep|don['’]?t|must|more|related|recommended|trending|latest|top"
    r"|in\s+case\s+you\s+missed|editor['’]?s\s+picks?|you\s+may\s+also|what\s+to\s+read|catch\s+up|get\s+the\s+latest"
    r"|sign\s+up|subscribe|download|follow|photos?|videos?|gallery|podcast|opinion|analysis|explainer|timeline)"
    r"\b[^:\n]{0,60}:",
    re.IGNORECASE,
)
# An all-capitals lead-in of two or more words before a headline: "SUPER BOWL PREDICTIONS: Who ...".
_CAPS_LEAD = re.compile(r"^\W{0,3}[A-Z0-9'’&.-]+(?:\s+[A-Z0-9'’&.-]+)+\s*:\s*\S")
# ... or before a call to the reader: "THE NEWS COMES TO YOU: Get the latest updates on ...".
_CALL = re.compile(r"^\W*(?:get|sign\s+up|subscribe|click|tap|follow|download|read|watch|listen|join|stay)\b",
                   re.IGNORECASE)
# The outlet's own channels offered to the reader: "Join our Facebook group ...", "Subscribe to our
# newsletter", "Follow us on Twitter" (a quotation, opening with its mark, is someone's words).
_SELF_PROMO = re.compile(
    r"^(?![\"“‘'])\W*(?:join|subscribe\s+to|sign\s+up\s+(?:for|to)|follow|download|like|listen\s+to|watch)"
    r"\s+(?:us|our)\b", re.IGNORECASE)
# A sentence that points the reader elsewhere on the page and says nothing itself: "See below for
# everything that happened", "Keep reading for the biggest moments", "Here's a look at our coverage",
# "Read a copy of the indictment", "Click here to ..." (a quotation is someone's words).
_NAVIGATION = re.compile(
    r"^(?![\"“‘'])\W{0,3}(?:(?:see|scroll)\s+(?:down|below|above)\b|keep\s+reading\b|read\s+on\b"
    r"|read\s+(?:a|the)\s+(?:copy|full|complete|entire|text|transcript)\b"
    r"|here['’]s\s+(?:a\s+look\s+at|what\s+(?:you\s+need\s+)?to\s+know|what\s+we\s+know|how\s+to\s+watch"
    r"|everything\s+(?:you\s+need\s+)?to\s+know)\b|click\s+(?:here|the\s+link)\b)",
    re.IGNORECASE)
_LINK_LIST = re.compile(r"(?:\s[|•·]\s.*){2,}")
# A photo credit ending a caption: "... in Paris. Lewis Joly/AP", "... Spencer Platt/Getty Images".
_CREDIT = re.compile(
    r"(?:^|[.!?…][\"'”’)]*\s+)\(?(?:(?:photo|image)s?\s+by\s+)?[A-Z][\w.'’-]*(?:[ /-]+[\w.'’&-]+){0,7}?"
    r"(?:/[\w .'’&-]+|\s+(?:Getty\s+Images|Shutterstock|AP\s+Photo|Reuters|AFP|EPA|Pool|Bloomberg|via\s+\w+))\)?\s*$"
)
# CNN puts the credit first: "Andrej Isakovic/AFP/Getty Images Tunisia's Yassine Meriah ...".
_LEADING_CREDIT = re.compile(r"^(?!(?:The|A|An|This|That|His|Her|Its|Their|Our|My|In|On|At)\b)[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,3}(?:/[\w.'’&-]+(?: [\w.'’&-]+){0,3}){1,3}\s")
_CREDIT_LINE = re.compile(r"^(?:(?:photo|image|picture)s?\s*(?:by|credit|courtesy)|courtesy\s+(?:of\s+)?[A-Z])",
                          re.IGNORECASE)


# Credits of a gallery whose captions run on one line: "... in May 2023. Dan Kitwood/Getty Images
# Charles receives the St. Edward's Crown ...". Inside a line a credit must look like one: a
# photographer's name (two capitalised words) or an agency ("Popperfoto/Getty Images"), so that
# "Baltimore/Washington International Airport had delays" and "And HIV/AIDS was ..." stay sentences.
_AGENCY = re.compile(r"Getty|\bAP\b|Reuters|AFP|EPA|Images|Pool|Press|Shutterstock|Bloomberg|Archive|Stock|Redux"
                     r"|Collection|Handout|Facebook|Twitter|Instagram|USA TODAY|NASA")
_NOT_NAME = frozenset("and but or so yet then when while if as after before since".split())


def _caption(sentence: str) -> bool:
    """A sentence that opens with a photo credit (see _LEADING_CREDIT) of a credit's shape."""
    m = _LEADING_CREDIT.match(sentence)
    if not m:
        return False
    credit = m.group(0)
    before = credit.split("/", 1)[0].split()
    if before[0].lower() in _NOT_NAME:
        return False
    return len(before) >= 2 or bool(_AGENCY.search(credit))


def _is_sentence_end(text: str) -> bool:
    return text.rstrip(_CLOSERS + " ").endswith(_TERMINAL)


def _furniture_line(line: str) -> bool:
    """Whether a whole line is furniture by the rules in the module docstring."""
    if _RUN_ON.match(line) and "://" not in line:
        return True
    if _PROMO_LEAD.match(line) or _SELF_PROMO.match(line):
        return True
    if _CAPS_LEAD.match(line):
        head, _, rest = line.partition(":")
        # "ELECTION RESULTS: Vote tallies from ..." is a link; "WINNER: Ewan McGregor" a label (one word).
        if len(head.split()) >= 2 and (not _is_sentence_end(rest) or _CALL.match(rest)):
            return True
    if _LINK_LIST.search(line):
        return True
    if _CREDIT_LINE.match(line) or _LEADING_CREDIT.match(line):
        return True
    return bool(_CREDIT.search(line)) and _credit_tail(line)


def _credit_tail(line: str) -> bool:
    """The line ends in a photo credit after a sentence (a caption), not in a sentence of prose."""
    spans = split_sentences(line)
    if not spans:
        return False
    tail = line[spans[-1][0]:spans[-1][1]]
    return not _is_sentence_end(tail) and len(tail) <= 80


def mark(text: str, instruction_spans: Sequence[tuple[int, int]] = ()) -> list[Unit]:
    """Every sentence span of ``text`` with its kind (see the module docstring).

    ``instruction_spans`` are sentence spans already judged to address an AI system or the
    reader as instructions; they are marked INSTRUCTION.
    """
    flagged = set(instruction_spans)
    units: list[Unit] = []
    spans = split_sentences(text)
    i = 0
    while i < len(spans):
        line_start = text.rfind("\n", 0, spans[i][0]) + 1
        line_end = text.find("\n", spans[i][0])
        line_end = len(text) if line_end < 0 else line_end
        j = i
        while j < len(spans) and spans[j][1] <= line_end:
            j += 1
        line = text[line_start:line_end].strip()
        whole = FURNITURE if _furniture_line(line) else None
        for a, b in spans[i:j]:
            if (a, b) in flagged:
                kind = INSTRUCTION
            elif whole:
                kind = whole
            elif _NAVIGATION.match(text[a:b]) or _caption(text[a:b]):
                kind = FURNITURE  # a pointer to the page, or a caption in a run of them
            elif _is_sentence_end(text[a:b]):
                kind = SENTENCE
            else:
                kind = SHORT
            units.append((a, b, kind))
        i = max(j, i + 1)
    return units


def clip(units: Sequence[Unit], start: int, end: int) -> tuple[Unit, ...]:
    """The units inside ``[start, end)`` of the text, relative to ``start`` (a chunk's share)."""
    out = []
    for a, b, kind in units:
        if a >= start and b <= end:
            out.append((a - start, b - start, kind))
        elif a < end and b > start:  # a sentence longer than a chunk, cut into token windows
            out.append((max(a, start) - start, min(b, end) - start, kind))
    return tuple(out)
