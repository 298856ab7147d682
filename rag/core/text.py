"""Text clean-up for articles: normalisation, page-furniture removal, sentence spans, word shingles.

Pure functions, no I/O. Everything is regex based and linear in the input size, so it can
run over a corpus of tens of millions of characters in a few seconds.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "FURNITURE_RULES",
    "MAX_FURNITURE_CHARS",
    "MAX_QUOTATION_CHARS",
    "balance_quotes",
    "clean_text",
    "drop_furniture",
    "is_furniture",
    "jaccard",
    "normalize",
    "normalize_title",
    "shingles",
    "split_sentences",
]

# --------------------------------------------------------------------------- normalisation

# Characters mapped before whitespace is collapsed: odd spaces become a plain space, line and
# paragraph separators become newlines, invisible characters are removed. ZWNJ/ZWJ (U+200C/D)
# are kept: they carry meaning in some scripts and in emoji sequences.
_CHAR_MAP: dict[int, str | None] = {
    0x09: " ",  # tab
    0x0B: "\n",  # vertical tab
    0x0C: "\n",  # form feed
    0x85: "\n",  # next line (NEL)
    0xA0: " ",  # no-break space
    0x1680: " ",  # ogham space mark
    **{cp: " " for cp in range(0x2000, 0x200B)},  # en quad .. hair space (incl. thin space)
    0x200B: None,  # zero-width space
    0x2028: "\n",  # line separator
    0x2029: "\n",  # paragraph separator
    0x202F: " ",  # narrow no-break space
    0x205F: " ",  # medium mathematical space
    0x2060: None,  # word joiner
    0x3000: " ",  # ideographic space
    0xFEFF: None,  # byte order mark / zero-width no-break space
    0x00AD: None,  # soft hyphen
    # other C0/C1 control characters (but not \n) are dropped
    **{cp: None for cp in (*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F, *range(0x80, 0x85), *range(0x86, 0xA0))},
    # bidirectional controls (U+202E right-to-left override and the rest) can disguise text in answers
    **{cp: None for cp in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))},
}
# Invisible tag characters (U+E0000 block) and lone surrogates (undecodable bytes, not storable
# text): removed by ranges (thousands of single characters in _ODD_CHARS made it 8x slower).
_INVISIBLE = re.compile("[\U000e0000-\U000e007f\ud800-\udfff]")
# Terminal escape sequences (colour codes such as ESC[31m, titles set with ESC]...BEL): dropped
# whole, before the ESC alone would be, which left "[31m" behind.
_TERMINAL_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])"
                               r"|\x9b[0-?]*[ -/]*[@-~]")
# str.translate walks every character through a dict; a regex finds the (rare) odd ones fast.
_ODD_CHARS = re.compile("[" + "".join(re.escape(chr(cp)) for cp in sorted(_CHAR_MAP)) + "]")
_SPACES = re.compile(r"  +")  # (a literal prefix is much faster than " {2,}")
_MANY_NEWLINES = re.compile(r"\n\n\n+")


def normalize(text: str) -> str:
    """NFC, unified newlines and spaces, stripped lines, at most one blank line in a row.

    Control, bidirectional-control and tag characters and terminal escape sequences are removed.
    """
    if "\x1b" in text or "\x9b" in text:
        text = _TERMINAL_ESCAPES.sub("", text)
    text = _INVISIBLE.sub("", text)
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ODD_CHARS.sub(lambda m: _CHAR_MAP[ord(m.group())] or "", text)
    text = _SPACES.sub(" ", text)
    text = text.replace(" \n", "\n").replace("\n ", "\n")  # runs of spaces are single by now
    text = _MANY_NEWLINES.sub("\n\n", text)
    return text.strip()


def normalize_title(title: str) -> str:
    """A title on one line: NFC, every run of whitespace (newlines included) becomes one space."""
    return " ".join(normalize(title).split())


# --------------------------------------------------------------------------- page furniture

#: Lines longer than this are never furniture: real sentences are left alone.
MAX_FURNITURE_CHARS = 200

# Each rule must match a WHOLE line (after stripping), case-insensitively. They were picked
# from the mess seen in scraped news text; keep them narrow: a false positive deletes content.
FURNITURE_RULES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        # Link lines to other stories: "READ ALSO: ...", "Read more: ...", "More: ...",
        # "Related: ...", "See also: ...", "Watch: ...", "Recommended: ..." (a colon is required,
        # so "Researchers read more than 200 papers." is kept).
        r"(?:read\s+(?:also|more|next)|also\s+read|more|related(?:\s+\w+)?|see\s+also|watch"
        r"|listen|recommended(?:\s+\w+){0,2}|more\s+from\s+[^:]{1,40}|follow\s+every\s+game)"
        r"\s*:.*",
        # The same link headings standing alone: "RELATED STORIES", "Recommended for you",
        # "Read more", "Read more here.", "More stories". ("UP NEXT" is left alone: in sports
        # stories it heads real content such as the next fixtures.)
        r"(?:related(?:\s+(?:stories|articles|content|coverage|links|reading|topics))?"
        r"|recommended(?:\s+(?:for\s+you|stories|articles|reading|videos))?"
        r"|read\s+more(?:\s+here)?|more\s+(?:stories|articles|news|videos)|watch|listen)\W*",
        # Advertising slots and their leftovers: "Advertisement", "Story continues below
        # advertisement", "Sponsored content", the video-ad feedback widget and its embeds.
        r"(?:advertisement|advertising|sponsored(?:\s+content)?|ad\s+feedback"
        r"|story\s+continues\s+(?:below|after)(?:\s+(?:the\s+)?(?:advertisement|ad|gallery|video|this\s+ad))?"
        r"|\d\.\s+how\s+relevant\s+is\s+this\s+ad\s+to\s+you\?"
        r"|video\s+player\s+was\s+slow\s+to\s+load\s+content\b.*|video\s+ad\s+feedback\b.*)\W*",
        # Cookie and data-consent notices: "We use cookies ...", "Accept cookies",
        # "By continuing to use this site ...", newsletter-form consent boilerplate.
        r"(?:(?:we|this\s+(?:web)?site)\s+uses?\s+cookies\b.*|(?:accept|allow|reject|manage)(?:\s+all)?"
        r"\s+cookies\b.*|cookie\s+(?:policy|settings|preferences)\W*|by\s+continuing\s+to\s+(?:use|browse)\b.*"
        r"|we\s+will\s+use\s+the\s+details\s+you\s+have\s+shared\b.*"
        r"|if\s+you\s+wish\s+to\s+object\s+to\s+the\s+use\s+of\s+your\s+data\b.*)",
        # Newsletter and subscription pitches, optionally after a short lead-in ending in ":",
        # "?", "!" or ".": "Sign up for our newsletter ...", "Subscribe to ...", "Get our free
        # weekly newsletter ...", "NEWSLETTER: ...",
        # "Support local journalism. Subscribe to ... today."
        r"(?:[^:?!.]{0,60}[:?!.]\s*)?(?:sign\s+up|subscribe|get\s+[^.:!?]{0,40}?\bnewsletter)\b.*",
        r"newsletters?\s*[:!].*|would\s+you\s+like\s+to\s+receive\s.*\bnewsletter\W*",
        r"(?:thank\s+you\s+for\s+supporting\s+our\s+journalism|support\s+(?:strong\s+)?local\s+journalism"
        r"|to\s+empower\s+the\s+journalism)\b.*",
        # Share buttons: "Share this article", "Share on Facebook", "Click to share on X
        # (Opens in new window)", "Share", "Tweet", "Email" ("Shares of Meta rose" is kept).
        r"(?:click\s+to\s+(?:share|email|print)\b.*|share\s+(?:this(?:\s+(?:article|story|page|post|video))?"
        r"|on|via|to)(?:\s+(?:facebook|twitter|x|linkedin|whatsapp|email|reddit|pinterest|messenger"
        r"|telegram|flipboard))?\W*(?:\(opens\s+in\s+(?:a\s+)?new\s+window\))?|share|tweet|email|print)\W*",
        # Copyright lines: "Copyright © 2023 ...", "© 2023 Reuters", "(c) 2021 ..." (not a bare
        # "(c)", which starts list items in quoted legal text), and any
        # short line ending in "All rights reserved."
        r"(?:©|\(c\)\s*\d{4}|copyright\s*(?:©|\(c\)|\d{4})).*|.*\ball\s+rights\s+reserved\W*",
        # Social-media follow lines: "Follow us on Twitter", "Follow Jane Doe on Twitter: @jd".
        r"follow\s+(?:us|me|@\w+|[^.:!?]{1,60}?)\s+(?:on|at)\s+(?:twitter|facebook|instagram|x|tiktok"
        r"|linkedin|youtube|threads|bluesky|mastodon|social|https?://)\b.*",
        # Picture credits: "Image: ...", "Photo: Reuters", "Photo credit: ...", "(Photo by ...)",
        # "Photo courtesy of ...", "Getty Images", "AP Photo/Jane Doe".
        r"(?:(?:image|photo|picture|photograph)s?(?:\s+credit)?\s*:.*"
        r"|\(?(?:photo|image|picture)s?\s+(?:by|courtesy(?:\s+of)?|credit)\b.*"
        r"|\(?(?:getty\s+images|ap\s+photo|reuters|afp)(?:/[^)]*)?\)?)",
    )
)

# One alternation of every rule, so each line costs a single regex match.
_ANY_FURNITURE = re.compile("|".join(f"(?:{r.pattern})" for r in FURNITURE_RULES), re.IGNORECASE)
# Lines that look like furniture but carry content are protected.
_PROTECTED = re.compile(r"editor['’]?s?\s+note\b", re.IGNORECASE)


def is_furniture(line: str) -> bool:
    """Whether one line (any surrounding whitespace ignored) is page furniture."""
    line = line.strip()
    return (
        0 < len(line) <= MAX_FURNITURE_CHARS
        and not _PROTECTED.match(line)
        and _ANY_FURNITURE.fullmatch(line) is not None
    )


def drop_furniture(text: str) -> tuple[str, list[str]]:
    """Remove whole lines matching :data:`FURNITURE_RULES`; return the text and the dropped lines."""
    kept: list[str] = []
    dropped: list[str] = []
    for line in text.split("\n"):
        (dropped if is_furniture(line) else kept).append(line)
    if not dropped:
        return text, dropped
    return "\n".join(kept), [line.strip() for line in dropped]


def clean_text(raw: str) -> str:
    """Normalise, drop page furniture, normalise again (to close the gaps)."""
    text, dropped = drop_furniture(normalize(raw))
    return normalize(text) if dropped else text


# --------------------------------------------------------------------------- sentences

# Abbreviations after which a period does not end a sentence (lower case, without the period).
_ABBREVIATIONS = frozenset(
    """
    mr mrs ms messrs mme dr prof sen sens rep reps gov gen col lt sgt capt cmdr adm maj cpl pvt
    supt det insp st ave blvd rd mt ft fr rev hon pres
    jan feb mar apr jun jul aug sep sept oct nov dec
    vs v etc al approx est dept univ inc corp ltd co bros jr sr esq
    e.g i.e u.s u.k u.n u.s.a a.m p.m d.c
    """.split()
)
# Abbreviations that only bind to a following number: "No. 5", "pp. 12", "Fig. 3".
_NUMBER_ABBREVIATIONS = frozenset("no nos vol vols pp p fig figs art ch sec".split())
# A run of terminal punctuation, its closing quotes/brackets, then a space and the next character.
_BOUNDARY = re.compile(r"[.!?…]+[”\"’'»)\]]*(?=[ \t]+(\S))")
_OPENERS = frozenset("\"“‘'«([")
_DOTTED = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")  # U.S, e.g, a.m (final period already cut)
_LINE = re.compile(r"[^\n]+")


def _ends_sentence(text: str, line_start: int, punct_start: int, punct: str, nxt: str) -> bool:
    """Decide whether the punctuation run at ``punct_start`` ends a sentence."""
    if not (nxt in _OPENERS or nxt.isupper() or nxt.isdigit()):
        return False
    if not punct.startswith(".") or punct.startswith(".."):
        return True  # "!", "?", "…", "..."
    word_start = max(text.rfind(" ", line_start, punct_start), text.rfind("\t", line_start, punct_start)) + 1
    word = text[word_start:punct_start].lstrip("\"“‘'«([")
    if not word:
        return True
    lower = word.lower()
    if lower in _ABBREVIATIONS or (lower in _NUMBER_ABBREVIATIONS and nxt.isdigit()):
        return False
    if len(word) == 1 and word.isupper():
        return False  # an initial: "J. K. Rowling"
    return _DOTTED.fullmatch(word) is None


# Double quotation marks: curly ones say which way they face; a straight one opens when none is open.
# A quotation longer than MAX_QUOTATION_CHARS is split inside as before: answers quote sentences of at
# most 400 characters, so a longer one kept whole could never be quoted (over the bench's 4,367 articles,
# keeping every quotation whole made 379 more sentences too long to quote; this limit, 137).
MAX_QUOTATION_CHARS = 400
_QUOTE_MARKS = re.compile("[\"“”«»]")
_OPENING = frozenset("“«")
_CLOSING = frozenset("”»")


def _quotations(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The spans of the quotations that open and close within ``text[start:end]`` (one line), outermost only.

    A quotation left open at the end of its line (news sets a quotation running over several
    paragraphs so), or longer than MAX_QUOTATION_CHARS, is not among them: the line's sentences are
    split inside it as elsewhere, and :func:`balance_quotes` closes what such a piece leaves open.
    """
    spans: list[tuple[int, int]] = []
    opened: int | None = None
    for m in _QUOTE_MARKS.finditer(text, start, end):
        mark = m.group()
        if opened is None and (mark in _OPENING or mark == '"'):
            opened = m.start()
        elif opened is not None and (mark in _CLOSING or mark == '"'):
            if m.end() - opened <= MAX_QUOTATION_CHARS:
                spans.append((opened, m.end()))
            opened = None
    return spans


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences in ``text``; every line break ends a sentence.

    ``text[start:end]`` is a sentence without surrounding whitespace; spans are in order and
    do not overlap. A sentence ends at ``.``, ``!``, ``?`` or ``…`` (plus closing quotes or
    brackets) followed by a space and an upper-case letter, a digit or an opening quote,
    except after common abbreviations, initials and dotted acronyms, and except inside a
    quotation that closes later on the same line: ``"We won. You are legends," she said.`` is
    one sentence, so that a quoted sentence never opens or closes a quotation it does not hold.
    """
    spans: list[tuple[int, int]] = []

    def add(start: int, end: int) -> None:
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            spans.append((start, end))

    for line in _LINE.finditer(text):
        line_start, line_end = line.span()
        seg_start = line_start
        quotations = _quotations(text, line_start, line_end)
        q = 0  # the first quotation not ended before the boundary (both come in order)
        for m in _BOUNDARY.finditer(text, line_start, line_end):
            while q < len(quotations) and quotations[q][1] <= m.end():
                q += 1
            if q < len(quotations) and quotations[q][0] < m.end():
                continue  # inside a quotation that closes further on
            if _ends_sentence(text, line_start, m.start(), m.group(0), m.group(1)[0]):
                add(seg_start, m.end())
                seg_start = m.end()
        add(seg_start, line_end)
    return spans


_PAIRS = {"“": "”", "«": "»", '"': '"'}
_PAIRED = {close: opening for opening, close in _PAIRS.items()}


def _closes(text: str, at: int) -> bool:
    """Whether the straight mark at ``at`` closes a quotation: after a word, before a space, punctuation or the end."""
    return at > 0 and not text[at - 1].isspace() and text[at + 1:at + 2] in ("", " ", ",", ".", ";", ":", "!", "?", ")")


def balance_quotes(sentence: str) -> str:
    """A quoted sentence with the quotation marks it leaves open closed, for showing it.

    A piece of a quotation that runs over several paragraphs (or is too long to keep whole)
    opens a mark it does not close, or closes one it did not open: ``"He is far more than a player.``
    is shown ``"He is far more than a player."``, ``You all are legends," White says.`` as
    ``"You all are legends," White says.``; the words are the article's, the marks say whose they are.
    Citations keep the exact text.
    """
    opened: str | None = None
    lead = ""
    for m in _QUOTE_MARKS.finditer(sentence):
        mark = m.group()
        if opened is not None:
            if mark in _CLOSING or mark == '"':
                opened = None
        elif mark in _OPENING or (mark == '"' and not _closes(sentence, m.start())):
            opened = mark
        elif not lead:
            lead = _PAIRED[mark]  # closes a quotation opened before the sentence
    if lead:
        sentence = lead + sentence
    return sentence + _PAIRS[opened] if opened else sentence


# --------------------------------------------------------------------------- word shingles

_WORD = re.compile(r"\w+")


def asks(sentence: str) -> bool:
    """Whether a sentence is a question ("How did Silicon Valley Bank collapse?"): quoted, it answers nothing."""
    return sentence.rstrip(" \"”’')»").endswith("?")


def shingles(text: str, n: int = 3) -> set[tuple[str, ...]]:
    """The text's lower-cased word n-grams (a shorter text is one shingle)."""
    words = _WORD.findall(text.lower())
    if len(words) < n:
        return {tuple(words)} if words else set()
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def jaccard(a: set, b: set) -> float:
    """The overlap of two sets (0.0 when either is empty)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)
