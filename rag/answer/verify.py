"""Citation checks for written answers: every claim must be supported by the passage it cites.

A claim (one sentence, or an extractive answer's short answer) is judged against the passages
it cites in two steps:

1. **What it names.** Every person, organisation, place, date and number (with its unit) the
   claim names must be in the cited passage, under one of its usual forms: a surname for a full
   name ("Yeoh" / "Michelle Yeoh", but not "Joe Biden" where the passage only has "Hunter
   Biden"), an acronym for its words ("FDA" / "Food and Drug Administration"), "U.S." / "United
   States", "Jan. 10" / "January 10", "10,000" / "10 000" / "ten thousand", "$5 million" / "5
   million dollars". A name the passage puts in the very place the claim puts another one
   ("Cate Blanchett won best actress" against "Michelle Yeoh won best actress") is a swap, even
   when the passage mentions the other name elsewhere. What the question itself names is the
   user's and need not be repeated by the passage.
2. **What it says.** The claim is compared with the passage sentence by sentence (windows of up
   to :data:`WINDOW` consecutive sentences that hold everything it names): its content words are
   found there (lexical support), or it is close in meaning while sharing enough words (semantic
   support). Quotations must be verbatim.

`python -m rag.bench verify` measures the result on real news (own sentences, the same sentences
with the answer swapped for a wrong one, another outlet's wording). The word and meaning
thresholds are those `python -m rag.bench.calibrate` measured, kept strict on purpose: on the
first half of the evaluation weeks, lowering them to 0.50 / 0.30 accepted a few more of another
outlet's sentences (27% instead of 22%) but also let "The tram line was cancelled" pass against
a passage saying it was approved. A dropped true sentence costs less than a kept invention.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from .context import Numbered, PassageBook
from ..core.instructions import is_instruction
from ..core.places import ALIASES
from ..core.terms import terms
from ..core.text import split_sentences

__all__ = ["Claim", "Verifier", "mentions", "parse"]

# Thresholds (see the module docstring).
LEXICAL_SUPPORT = 0.75
SEMANTIC_SUPPORT = 0.60
SEMANTIC_MIN_LEXICAL = 0.40
WINDOW = 3  # consecutive passage sentences a claim may draw on

_CITE = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_QUOTE = re.compile(r"[\"\u201c]([^\"\u201d]{12,}?)[\"\u201d]")


@dataclass(frozen=True)
class Claim:
    """One sentence of a written answer and the verdict on it."""

    text: str  # the sentence without its citation markers
    cites: tuple[int, ...]
    supported: bool
    reason: str = ""
    lexical: float = 0.0
    semantic: float = 0.0
    evidence: tuple[int, int, int] | None = None  # (n, start, end) of the supporting sentences in passage n


def parse(answer: str) -> list[tuple[str, tuple[int, ...]]]:
    """Sentences of an answer with the passage numbers each cites."""
    out: list[tuple[str, tuple[int, ...]]] = []
    for start, end in split_sentences(answer):
        raw = answer[start:end]
        # Markers opening a sentence close the one before: "A sentence. [1] Another one [2]."
        lead = re.match(rf"\s*(?:{_CITE.pattern}\s*)+", raw)
        if lead and out and lead.end() < len(raw.rstrip()):
            text, cites = out[-1]
            more = tuple(int(n) for group in _CITE.findall(lead.group(0)) for n in re.split(r"[,;]", group))
            out[-1] = (text, tuple(dict.fromkeys(cites + more)))
            raw = raw[lead.end():]
        cites = tuple(int(n) for group in _CITE.findall(raw) for n in re.split(r"[,;]", group))
        text = " ".join(_CITE.sub(" ", raw).split())
        text = re.sub(r"\s+([.,;:!?])", r"\1", text)
        if text.strip(" .") or cites:
            out.append((text, tuple(dict.fromkeys(cites))))
    # A citation standing alone after a sentence belongs to that sentence.
    merged: list[tuple[str, tuple[int, ...]]] = []
    for text, cites in out:
        if not text.strip(" .") and merged:
            prev_text, prev_cites = merged[-1]
            merged[-1] = (prev_text, tuple(dict.fromkeys(prev_cites + cites)))
        else:
            merged.append((text, cites))
    return merged


# --------------------------------------------------------------------------- what a text names

_MONTHS = {m: i + 1 for i, m in enumerate(
    "january february march april may june july august september october november december".split())}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_WEEKDAYS = {d: d for d in "monday tuesday wednesday thursday friday saturday sunday".split()}
_WEEKDAYS.update({d[:3]: d for d in list(_WEEKDAYS)})
_WEEKDAYS.update({"tues": "tuesday", "wed": "wednesday", "thur": "thursday", "thurs": "thursday"})

_POSSESSIVE = re.compile(r"['\u2019]s?$")  # "Pence's Indiana home": a name ends at its possessive
# Words that join the parts of one name ("Bank of England", "Ursula von der Leyen").
_CONNECTORS = frozenset("of the de del della der den di du da van von la le al el bin ibn y".split())
# Acronyms skip these words: "Food and Drug Administration" / "FDA".
_JOINERS = frozenset("of and the for on &".split())
_ACRONYM_RUN = re.compile(r"[A-Z][\w'’-]*(?:\s+(?:(?:of|and|the|for|on|&)\s+)*[A-Z][\w'’-]*)+")
# Titles before a name: "President Biden" names Biden.
_TITLES = frozenset("""
    mr mrs ms miss dr prof president pres vice sen senator rep representative gov governor gen general
    pope king queen prince princess sir dame lord lady judge justice chief minister prime secretary mayor
    ceo chairman chairwoman chair coach captain capt sgt lt col officer det detective former late rev
    saint st father archbishop bishop cardinal ambassador commissioner chancellor speaker leader
    lieutenant sergeant colonel major attorney deputy first gov sen rep gen lt col sgt capt mt jr
""".split())
_SUFFIXES = frozenset({"jr", "sr"})  # "Richard Trumka Jr." is "Richard Trumka"
_STOPWORDS = frozenset("""
    a an and are as at be but by for if in into is it no not of on or such that the their then there these
    they this to was will with were has have had been its he she his her from after before which who whom
    whose what when where while than also said says would could should may might can do does did so
""".split())
# Words that are capitalised only because they open a sentence.
_OPENERS = frozenset("""
    a an the this that these those it its it's he she they we i you his her their our my your there here
    in on at by for from with without after before during since until when while as if but and or so yet
    nor not no yes also then than now today yesterday tomorrow tonight this last next some many most
    more less few several all both each every any other another such what which who whom whose where why
    how according despite although though because however meanwhile instead still even only just about
    over under between among into onto upon through across around against toward towards within
    once twice while earlier later first second third finally overall hundreds thousands millions
    dozens scores amid back-to-back one two three four five six seven eight nine ten eleven twelve
""".split())
_ROMAN = re.compile(r"^(?=[ivxlcdm]+$)m{0,3}(cm|cd|d?c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$")

_WORD = re.compile(r"(?:[A-Za-z]\.){2,}|[^\W\d_](?:[\w&]|['\u2019\-.](?=[^\W_]))*|\d(?:[\d,.]*\d)?", re.UNICODE)


def _key(token: str) -> str:
    """A token as compared: lower case, without dots ("U.S." / "US") or a possessive."""
    if token[:1].isdigit():
        return token.replace(",", "")
    t = token.lower().replace(".", "")
    for suffix in ("'s", "\u2019s"):
        if t.endswith(suffix):
            t = t[: -len(suffix)]
    return t.rstrip("'\u2019")


@dataclass(frozen=True)
class _Token:
    key: str
    cap: bool  # written with a capital (or all capitals)
    start: int
    end: int


def _tokens(text: str) -> list[_Token]:
    out = []
    for m in _WORD.finditer(text):
        w = m.group(0)
        if w[0].isupper() and "-" in w:  # "Oscar-winning", "North Korean-linked": the name is before
            pieces = w.split("-")
            cut = next((i for i, x in enumerate(pieces) if i and x[:1].islower()), len(pieces))
            w = "-".join(pieces[:cut])
        out.append(_Token(_key(w), w[0].isupper(), m.start(), m.start() + len(w)))
    return out


def _sentence_starts(text: str) -> set[int]:
    starts = set()
    for a, _ in split_sentences(text):
        m = re.match(r"[\s\"\u201c\u2018'(\[«-]*", text[a:])
        starts.add(a + (m.end() if m else 0))
    # After a colon or an opening quote a capital is not a name either.
    for m in re.finditer(r"[:;\u2014]\s+[\"\u201c\u2018']?|[\"\u201c\u2018]", text):
        starts.add(m.end())
    return starts


@dataclass(frozen=True)
class Name:
    """A run of capitalised words: a person, organisation, place, or a month or weekday."""

    text: str
    parts: tuple[str, ...]  # keys of its words, titles and joining words removed

    @property
    def kind(self) -> str:
        if len(self.parts) == 1 and (self.parts[0] in _MONTHS or self.parts[0] in _WEEKDAYS):
            return "date"
        return "name"


def _names(text: str) -> list[Name]:
    tokens = _tokens(text)
    starts = _sentence_starts(text)
    out: list[Name] = []
    run: list[_Token] = []

    def close() -> None:
        while run and run[-1].key in _CONNECTORS:
            run.pop()
        # A capital that only opens the sentence: "The", "After", or one word ("Officials said").
        # A one-word name opening a sentence ("Tesla will ...") is left to the word-by-word
        # comparison, which finds a word the passage does not have where it has another.
        if run and run[0].start in starts and (run[0].key in _OPENERS or len(run) == 1
                                                or run[1].key in _CONNECTORS):
            run.pop(0)
        while run and (run[0].key in _CONNECTORS or run[0].key in _OPENERS):
            run.pop(0)
        # "European Commission President Ursula von der Leyen": an organisation, then a person.
        cut = next((i for i in range(1, len(run) - 1) if run[i].key in _TITLES and run[i - 1].key not in _TITLES
                    and run[i + 1].key not in _CONNECTORS), 0)
        if cut:
            rest = run[cut:]
            del run[cut:]
            close()
            run.extend(rest)
        if run:
            parts = [t.key for t in run if t.key not in _CONNECTORS]
            while len(parts) > 1 and parts[0] in _TITLES:
                parts.pop(0)
            # Titles inside what is left are not part of the name.
            parts = [p for i, p in enumerate(parts) if p not in _TITLES or i == len(parts) - 1]
            if parts and not (len(parts) == 1 and parts[0] in _TITLES):
                out.append(Name(text[run[0].start:run[-1].end], tuple(parts)))
        run.clear()

    for i, t in enumerate(tokens):
        gap = text[run[-1].end:t.start] if run else ""
        joined = not run or gap.strip() in ("", "-") or (gap.strip() == "." and run[-1].key in _TITLES)
        if t.cap and joined and not (run and _POSSESSIVE.search(text[run[-1].start:run[-1].end])):
            run.append(t)
        elif run and joined and t.key in _CONNECTORS and not t.cap:
            run.append(t)
        else:
            close()
            if t.cap:
                run.append(t)
    close()
    return out


# Numbers: digits (with thousands separators, decimals, a scale word) or number words.
_SMALL = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split())}
_TENS = {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
_SCALES = {"hundred": 100, "thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "mln": 1e6,
           "billion": 1e9, "bn": 1e9, "b": 1e9, "trillion": 1e12, "tn": 1e12, "dozen": 12}
_NUMBER_WORD = "|".join(sorted([*_SMALL, *_TENS], key=len, reverse=True))
_NUMBER = re.compile(
    r"(?P<cur>[$\u20ac\u00a3\u00a5])?\s?"
    # A number joined to a word before it is part of a name ("Covid-19", "F-35"), not a figure.
    r"(?:(?P<digits>(?<![\w.,])(?<![^\W\d_]-)\d{1,3}(?:(?:,|\u202f| (?=\d{3}\b))\d{3})+(?:\.\d+)?"
    r"|(?<![\w.,])(?<![^\W\d_]-)\d+(?:\.\d+)?)"
    r"(?:st|nd|rd|th)?"
    rf"|(?P<words>\b(?:{_NUMBER_WORD})(?:[\s-](?:{_NUMBER_WORD}))?\b))"
    r"(?P<scale>(?:[\s-]?(?:hundred|thousand|million|billion|trillion|dozen)\b|(?:k|m|mn|mln|bn|b|tn)\b))?"
    r"(?:[\s-]?(?P<unit>%|percent\b|per cent\b|[^\W\d_]+))?",
    re.IGNORECASE,
)
# Units compared when both sides give one; other words after a number ("fans", "jobs") may be reworded.
_UNITS = {
    "%": "percent", "percent": "percent", "per cent": "percent", "percentage": "percent",
    "dollar": "dollar", "dollars": "dollar", "usd": "dollar", "$": "dollar",
    "euro": "euro", "euros": "euro", "eur": "euro", "\u20ac": "euro",
    "pound": "pound", "pounds": "pound", "gbp": "pound", "sterling": "pound", "\u00a3": "pound",
    "yen": "yen", "\u00a5": "yen", "yuan": "yuan", "rupees": "rupee", "rupee": "rupee",
    "second": "second", "seconds": "second", "minute": "minute", "minutes": "minute", "hour": "hour",
    "hours": "hour", "day": "day", "days": "day", "week": "week", "weeks": "week", "month": "month",
    "months": "month", "year": "year", "years": "year", "decade": "decade", "decades": "decade",
    "mile": "mile", "miles": "mile", "km": "km", "kilometre": "km", "kilometres": "km", "kilometer": "km",
    "kilometers": "km", "metre": "metre", "metres": "metre", "meter": "metre", "meters": "metre",
    "feet": "foot", "foot": "foot", "ft": "foot", "inch": "inch", "inches": "inch", "kg": "kg",
    "kilograms": "kg", "kilogram": "kg", "tons": "ton", "tonnes": "ton", "ton": "ton", "tonne": "ton",
    "degrees": "degree", "degree": "degree", "points": "point", "point": "point",
}


@dataclass(frozen=True)
class Figure:
    """A number as a value with the unit after it, when the unit is one the check compares."""

    text: str
    value: float
    unit: str | None
    start: int


def _word_value(words: str) -> float | None:
    parts = re.split(r"[\s-]+", words.lower())
    total = 0
    for p in parts:
        if p in _SMALL:
            total += _SMALL[p]
        elif p in _TENS:
            total += _TENS[p]
        else:
            return None
    return float(total)


def _figures(text: str) -> list[Figure]:
    out = []
    for m in _NUMBER.finditer(text):
        digits, words, scale = m.group("digits"), m.group("words"), (m.group("scale") or "").strip(" -").lower()
        if digits:
            value = float(re.sub(r"[,\u202f ]", "", digits))
        elif words:
            value = _word_value(words)
            # "one of the", "no one": a lone small number word is grammar, not a figure.
            if value is None or (value < 2 and not scale):
                continue
        else:
            continue
        if scale:
            value *= _SCALES.get(scale, 1)
        unit_word = (m.group("unit") or "").lower()
        unit = _UNITS.get(unit_word)
        if m.group("cur"):
            unit = _UNITS[m.group("cur")]
        elif unit is None and unit_word in ("year-old", "years-old"):
            unit = "year"
        out.append(Figure(m.group(0).strip(), value, unit, m.start()))
    return out


@dataclass(frozen=True)
class Day:
    """A month and day ("Jan. 10", "10 January")."""

    text: str
    month: int
    day: int


_MONTH_RE = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
             r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_DAY = re.compile(rf"\b(?P<m1>{_MONTH_RE})\.?\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\b"
                  rf"|\b(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m2>{_MONTH_RE})\b", re.IGNORECASE)


def _days(text: str) -> list[Day]:
    out = []
    for m in _DAY.finditer(text):
        month = (m.group("m1") or m.group("m2")).lower()
        month = "sept" if month == "sept" else month[:3]
        day = int(m.group("d1") or m.group("d2"))
        if 1 <= day <= 31:
            out.append(Day(m.group(0), _MONTHS[month], day))
    return out


def mentions(text: str) -> list[Name | Figure | Day]:
    """What a text names: people, organisations, places, months and weekdays, figures, days."""
    return [*_names(text), *_figures(text), *_days(text)]


# --------------------------------------------------------------------------- finding them in a passage


class _Text:
    """A passage (or a question) prepared for looking up names, figures and days."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.keys = [t.key for t in self.tokens]
        self.capitals = {t.key for t in self.tokens if t.cap}
        self.all_keys = set(self.keys)
        self.names = _names(text)
        self.figures = _figures(text)
        self.days = _days(text)
        self.flat = " " + " ".join(k for k in self.keys if k not in _CONNECTORS) + " "
        acronyms = set()
        for m in _ACRONYM_RUN.finditer(text):
            words = [_key(w) for w in m.group(0).split() if w[:1].isupper() and _key(w) not in _JOINERS]
            initials = "".join(w[0] for w in words if w and not _ROMAN.match(w))
            if len(initials) >= 2:
                acronyms.add(initials)
        self.acronyms = acronyms

    def has_name(self, name: Name) -> bool:
        parts = [p for p in name.parts if p not in _CONNECTORS]
        if not parts:
            return True
        if name.kind == "date":
            p = parts[0]
            want = _MONTHS.get(p) or _WEEKDAYS.get(p)
            return any((_MONTHS.get(k) or _WEEKDAYS.get(k)) == want for k in self.capitals
                       if k in _MONTHS or k in _WEEKDAYS)
        phrase = " ".join(parts)
        if f" {phrase} " in self.flat:
            return True
        if len(parts) == 1 and "-" in phrase and not any(c.isdigit() for c in phrase):
            # "Turkey-Syria": each of the places
            return all(self.has_name(Name(p, (p,))) for p in phrase.split("-") if p)
        for group in ALIASES:
            if phrase in group and any(f" {a} " in self.flat for a in group):
                return True
        if len(parts) == 1:
            p = parts[0]
            if p in self.capitals:
                return True
            # An acronym for the passage's words: "FDA" / "Food and Drug Administration".
            return p in self.acronyms and len(p) >= 2
        initials = "".join(p[0] for p in parts if not _ROMAN.match(p))
        if len(initials) >= 2 and initials in self.capitals:
            return True  # "Food and Drug Administration" / "FDA"
        return self._has_surname(parts)

    def _has_surname(self, parts: list[str]) -> bool:
        """A shorter or longer form of the name: "Yeoh" / "Michelle Yeoh", "the Bills" / "Buffalo Bills".

        The passage's name must end with the same word and one of the two must hold all the
        other's words: "Joe Biden" is not "Hunter Biden", "Oklahoma Highway Patrol" is not
        "California Highway Patrol".
        """
        words = [p for p in parts if not _ROMAN.match(p) and p not in _SUFFIXES]
        if not words:
            return False
        last, mine = words[-1], set(parts) - _SUFFIXES
        for other in self.names:
            theirs = [p for p in other.parts if not _ROMAN.match(p) and p not in _SUFFIXES]
            if theirs and theirs[-1] == last and (set(theirs) <= mine or mine <= set(theirs)):
                return True
        return False

    def has_figure(self, fig: Figure) -> bool:
        same = [f for f in self.figures if abs(f.value - fig.value) <= 1e-9 * max(1.0, abs(fig.value))]
        if not same:
            return False
        return fig.unit is None or any(f.unit in (None, fig.unit) for f in same)

    def has_day(self, day: Day) -> bool:
        return any(d.month == day.month and d.day == day.day for d in self.days)

    def has(self, m: Name | Figure | Day) -> bool:
        if isinstance(m, Name):
            return self.has_name(m)
        if isinstance(m, Figure):
            return self.has_figure(m)
        return self.has_day(m)


def _label(m: Name | Figure | Day) -> str:
    if isinstance(m, Figure):
        return f"the figure {m.text}"
    if isinstance(m, Day):
        return f"the date {m.text}"
    if m.kind == "name":
        return m.text
    return f"the month {m.text}" if m.parts[0] in _MONTHS else f"the day {m.text}"


_EDGE = 2  # words either side that make two places in two sentences the same place


def _slots(text: str) -> list[list[str]]:
    """The keys of each sentence's words, with sentence edges marked."""
    return [["^"] * _EDGE + [t.key for t in _tokens(text[a:b])] + ["$"] * _EDGE
            for a, b in split_sentences(text)]


def _swap(claim: list[str], i: int, j: int, passage: list[list[str]]) -> str | None:
    """What the passage has in the place where the claim has words ``claim[i:j]``, when it differs.

    The place is the ``_EDGE`` words before and after. None when the passage has the claim's own
    words there somewhere, or nothing in that place at all.
    """
    before, after, mine = claim[i - _EDGE:i], claim[j:j + _EDGE], claim[i:j]
    if sum(w not in ("^", "$") for w in before + after) < 2:
        return None
    found = None
    for words in passage:
        for p in range(_EDGE, len(words) - _EDGE):
            if words[p - _EDGE:p] != before:
                continue
            for q in range(p + 1, min(len(words) - _EDGE, p + 8) + 1):
                if words[q:q + _EDGE] == after:
                    theirs = words[p:q]
                    if _same(theirs, mine):
                        return None  # the passage says it in this very place
                    found = found or " ".join(theirs)
                    break
    return found


def _same(a: Sequence[str], b: Sequence[str]) -> bool:
    """Whether two runs of words name the same thing: one holds the other, an alias, an acronym."""
    if set(a) <= set(b) or set(b) <= set(a):
        return True
    pa, pb = " ".join(a), " ".join(b)
    if any(pa in group and pb in group for group in ALIASES):
        return True

    def initials(words: Sequence[str]) -> str:
        return "".join(w[0] for w in words if w and w not in _JOINERS)

    return (len(a) == 1 and a[0] == initials(b)) or (len(b) == 1 and b[0] == initials(a))


def _places(text: str, named: Sequence[Name | Figure | Day], passage: _Text) -> list[tuple[int, int]]:
    """Word spans of the claim to compare place by place: what it names, its capitalised words,
    and the numbers the passage does not have."""
    tokens = _tokens(text)
    spans = []
    for m in named:
        if isinstance(m, Day):
            continue
        start = m.start if isinstance(m, Figure) else text.find(m.text)
        end = start + len(m.text)
        idx = [k for k, t in enumerate(tokens) if t.start < end and t.end > start]
        if start >= 0 and idx:
            spans.append((idx[0], idx[-1] + 1))
    # Every run of capitalised words (a one-word name opening the sentence is not among the
    # names) and the numbers the passage does not have. Common words are not compared place by place: another
    # outlet's "debuted" where the passage has "launched" is a paraphrase, not a swap.
    k = 0
    while k < len(tokens):
        if (tokens[k].cap and tokens[k].key not in _OPENERS) or (
                tokens[k].key[:1].isdigit() and tokens[k].key not in passage.all_keys):
            e = k + 1
            while e < len(tokens) and tokens[e].cap:
                e += 1
            spans.append((k, e))
            k = e
        else:
            k += 1
    return spans


# --------------------------------------------------------------------------- the verifier


@dataclass(frozen=True)
class _Window:
    n: int
    start: int
    end: int
    text: str


class Verifier:
    """Scores each sentence of an answer against the passages it cites."""

    def __init__(self, embeddings: Embeddings, cache: int = 256) -> None:
        self._embeddings = embeddings
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache = cache

    def check(self, answer: str, book: PassageBook, question: str = "") -> list[Claim]:
        """Every sentence of ``answer`` judged against the passages of ``book`` it cites."""
        return [self._claim(text, cites, book, question) for text, cites in parse(answer)]

    def judge(self, claim: str, passage_text: str, question: str = "") -> Claim:
        """One short claim (a sentence, a short answer) judged against one passage's text."""
        return self._judge(" ".join(claim.split()), (), [(1, passage_text)], question)

    def _claim(self, text: str, cites: tuple[int, ...], book: PassageBook, question: str) -> Claim:
        if not cites:
            return Claim(text, cites, False, "no citation")
        shown = [book.get(n) for n in cites]
        if any(s is None for s in shown):
            bad = [n for n, s in zip(cites, shown) if s is None]
            return Claim(text, cites, False, f"cites [{bad[0]}], which it was not shown")
        sources: list[Numbered] = [s for s in shown if s is not None]
        return self._judge(text, cites, [(s.n, s.text) for s in sources], question)

    def _judge(self, text: str, cites: tuple[int, ...], sources: Sequence[tuple[int, str]],
               question: str) -> Claim:
        windows = _windows(sources)
        if not windows:
            return Claim(text, cites, False, "the cited passage has nothing to check against")
        joined = "\n".join(w.text for run in _sentences(sources) for w in run)
        whole = _Text(joined)
        for quoted in _QUOTE.findall(text):
            # Verbatim in its words: the punctuation of a quotation ("... goodwill,\u201d the company said",
            # "I am homosexual, and ...") is the writer's.
            if _spoken(quoted) not in _spoken(joined):
                return Claim(text, cites, False, "a quotation is not verbatim from the cited passage")
        asked = _Text(question) if question else None
        named = [m for m in mentions(text) if not (asked and asked.has(m))]
        for m in named:
            if not whole.has(m):
                return Claim(text, cites, False, f"the cited passage does not name {_label(m)}")
        # A name, figure or word the passage puts another one in place of ("X won best actress").
        keys = ["^"] * _EDGE + [t.key for t in _tokens(text)] + ["$"] * _EDGE
        slots = _slots(joined)
        for i, j in _places(text, named, whole):
            other = _swap(keys, i + _EDGE, j + _EDGE, slots)
            if other:
                mine = " ".join(keys[i + _EDGE:j + _EDGE])
                return Claim(text, cites, False,
                             f"the cited passage says \u201c{other}\u201d where this says \u201c{mine}\u201d")
        # Sentence by sentence: only windows that hold everything the claim names.
        holding = [w for w in windows if all(_Text(w.text).has(m) for m in named)]
        if not holding:
            return Claim(text, cites, False, "no sentence of the cited passage holds what this names")
        claim_terms = set(terms([text])[0])
        given = set(terms([question])[0]) if question else set()  # the user's own words
        window_terms = terms([w.text for w in holding])
        lexical = [(len(claim_terms & (set(t) | given)) / len(claim_terms)) if claim_terms else 1.0
                   for t in window_terms]
        sims = self._similarities(text, [w.text for w in holding])
        best, best_score = 0, -1.0
        for i, (lex, sem) in enumerate(zip(lexical, sims)):
            ok = lex >= LEXICAL_SUPPORT or (sem >= SEMANTIC_SUPPORT and lex >= SEMANTIC_MIN_LEXICAL)
            score = (2.0 if ok else 0.0) + lex + sem - 0.01 * (holding[i].end - holding[i].start) / 100
            if score > best_score:
                best, best_score = i, score
        w, lex, sem = holding[best], lexical[best], float(sims[best])
        supported = lex >= LEXICAL_SUPPORT or (sem >= SEMANTIC_SUPPORT and lex >= SEMANTIC_MIN_LEXICAL)
        reason = "" if supported else "the cited passage does not say this"
        return Claim(text, cites, supported, reason, lex, sem, (w.n, w.start, w.end))

    def _similarities(self, text: str, windows: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys([*windows, text]) if t not in self._vectors]
        if missing:
            for t, v in zip(missing, self._embeddings.embed_documents(missing)):
                self._vectors[t] = np.asarray(v, dtype=np.float32)
        sims = np.asarray([self._vectors[w] @ self._vectors[text] for w in windows], dtype=np.float32)
        for t in (*windows, text):
            self._vectors.move_to_end(t)
        # Forget the oldest only now: one claim may need more windows than the cache keeps.
        while len(self._vectors) > self._cache:
            self._vectors.popitem(last=False)
        return sims


def _flat(text: str) -> str:
    text = text.translate(_QUOTES)
    return " ".join(text.split()).lower()


def _spoken(text: str) -> str:
    """The words of a text, lower case, without punctuation: what a quotation must repeat."""
    return " " + " ".join(re.findall(r"\w+(?:'\w+)*", text.lower().replace("\u2019", "'"))) + " "


_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2032": "'"})


def _sentences(sources: Sequence[tuple[int, str]]) -> list[list[_Window]]:
    """The runs of consecutive sentences of each passage that are not instructions (an instruction
    is never evidence, nor does a window of evidence reach across one)."""
    runs: list[list[_Window]] = []
    for n, text in sources:
        run: list[_Window] = []
        for a, b in split_sentences(text):
            if is_instruction(text[a:b]):
                if run:
                    runs.append(run)
                run = []
            else:
                run.append(_Window(n, a, b, text[a:b]))
        if run:
            runs.append(run)
    return runs


def _windows(sources: Sequence[tuple[int, str]]) -> list[_Window]:
    """Windows of 1 to WINDOW consecutive sentences within a run."""
    texts = dict(sources)
    out = []
    for run in _sentences(sources):
        for i, s in enumerate(run):
            out.append(s)
            for nxt in run[i + 1:i + WINDOW]:
                out.append(_Window(s.n, s.start, nxt.end, texts[s.n][s.start:nxt.end]))
    return out
