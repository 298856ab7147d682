"""What a text mentions: names, numbers with their units, and dates, read one way for every stage.

Short answers take their candidates from these mentions (rag.core.extract), and the citation
check requires a claim's mentions in the passage it cites (rag.answer.verify, through
:class:`Found`); a ranking feature that counts a question's mentions in a passage reads them here
too. One reader, so that an answer, its check and a learned feature never disagree on what a
sentence names.

- :func:`names`: runs of capitalised words ("Michelle Yeoh", "Bank of the West", "Super Bowl 57"),
  without the words that only open a sentence ("In Paris" is Paris), ending at a possessive
  ("Biden's State of the Union" is two names) and at a full stop that ends a sentence; each with
  its words as compared (``parts``: lower case, no dots, titles and joining words left out).
- :func:`numbers`: figures and number words with their scale and what they count ("113 million
  viewers", "$4.25", "137%", "34 felony counts"), each with its value and, when it is one a
  check compares, its unit ("percent", "dollar", "year").
- :func:`dates`: "Jan. 10", "10 January 2023", "March 2023", weekdays, years and decades, and a
  month named alone ("in March").
- :class:`Found`: whether another text mentions the same thing, under one of its usual forms:
  a surname for a full name, an acronym for its words, an alias ("U.S." / "United States"), the
  same value for a figure written another way ("10,000" / "ten thousand").

Rules are about English wording in general, not any data set's. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from .places import ALIASES
from .words import (CONNECTORS, JOINERS, MONTHS, NOT_NAMES, NOT_UNITS, NUMBER_WORDS, SCALES, SMALL_NUMBERS,
                    SUFFIXES, TENS, TITLES, UNITS, WEEKDAYS, Token, is_roman, key, tokens)

__all__ = ["Date", "Found", "Mention", "Name", "Number", "dates", "mentions", "names", "numbers"]


# --------------------------------------------------------------------------- names


@dataclass(frozen=True)
class Name:
    """A person, organisation or place: a run of capitalised words, ``text == source[start:end]``."""

    text: str
    start: int
    end: int

    @cached_property
    def words(self) -> tuple[Token, ...]:
        """Its words (positions relative to ``text``)."""
        return tuple(tokens(self.text))

    @cached_property
    def parts(self) -> tuple[str, ...]:
        """Its words as compared (see :func:`rag.core.words.key`), without joining words and titles
        ("President Joe Biden" is ("joe", "biden")); a title alone stays ("president",)."""
        parts = [t.key for t in self.words if t.key not in CONNECTORS]
        while len(parts) > 1 and parts[0] in TITLES:
            parts.pop(0)
        return tuple(p for i, p in enumerate(parts) if p not in TITLES or i == len(parts) - 1)

    @property
    def title_only(self) -> bool:
        """A title with no name after it: "President", "Gov."."""
        return len(self.parts) == 1 and self.parts[0] in TITLES


_CAP = r"(?:[A-Z][\w'’&.-]*|\d+(?:st|nd|rd|th)?(?!\d|[-–]\d))"  # "Super Bowl 57", not "Eagles 38-35"
_SPACE = r"[^\S\n]+"  # a name does not run across lines ("By Ed Masley" / "Rihanna's setlist")
_CONNECT = rf"(?:{_SPACE}(?:of(?:{_SPACE}the)?|de|del|da|di|du|van|von|der|la|le|&|y)(?={_SPACE}[A-Z]))"
_NAME_RUN = re.compile(rf"(?<![\w'’])(?:[A-Z][\w'’&.-]*)(?:(?:{_CONNECT})*{_SPACE}{_CAP})*")
# Abbreviations that a name goes on after: "Gov. Mike DeWine", "Martin Luther King Jr. Day".
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr st jr sr gov sen rep gen lt col sgt capt cmdr adm maj mt ft no prof rev hon pres supt det "
    "insp inc corp co ltd bros vs".split())
_DAY_MODIFIERS = frozenset("black good super cyber giving ash easter holy fat shrove palm maundy boxing".split())
_TRAILING_ROLES = frozenset("CEO CFO COO CTO MP GOP Inc. spokesperson".split())  # "Twitter CEO" -> "Twitter"
_TRAILING_WORDS = frozenset(("of", "the", "and", "&", "for", "on", "in", "at"))
_FULL_WEEKDAYS = frozenset(WEEKDAYS.values())


def _ends_sentence(word: str) -> bool:
    """Whether a word with a final full stop ends a sentence inside a run of capitalised words
    ("... than Russia. Ukraine won ..."): one without another stop inside that is no abbreviation."""
    bare = word.rstrip(".")
    return "." not in bare and len(bare) > 1 and bare.lower() not in _ABBREVIATIONS


def _cut(words: list[str], ignore: frozenset[str]) -> int:
    """Where a run holds the end of a name: after a possessive ("Biden's State of the Union"), after
    a full stop before a word that opens the next sentence ("in the U.S. This year"), at a role between
    two names ("TikTok CEO Shou Zi Chew") or after an adjective made of a name ("Houston-raised Beyoncé
    Knowles"); 0 for none."""
    return next((i + 1 for i, w in enumerate(words[:-1])
                 if re.search(r"['’]s$", w) or w in _TRAILING_ROLES or re.search(r"-[a-z]", w)
                 or (w.endswith(".") and (words[i + 1].lower() in ignore or _ends_sentence(w)))), 0)


def _trimmed(words: list[str], ignore: frozenset[str]) -> list[str]:
    """A run's words without what only opens a sentence ("In Paris", "No. 3 LSU"), an adjective's
    ending ("Pulitzer Prize-winning"), joining words and roles at its end, or a weekday after a place."""
    while words and (words[0].lower().strip(".") in ignore or words[0][0].isdigit()):
        words = words[1:]
    if words and re.search(r"-[a-z]", words[-1]):
        words[-1] = words[-1][:re.search(r"-[a-z]", words[-1]).start()]
    while words and (words[-1].lower() in _TRAILING_WORDS or words[-1] in _TRAILING_ROLES):
        words = words[:-1]
    if len(words) > 1 and words[-1].lower() in _FULL_WEEKDAYS and words[-2].lower() not in _DAY_MODIFIERS:
        words = words[:-1]  # "in Manhattan Tuesday" -> "Manhattan" (but "Black Friday")
    return words


def names(text: str, ignore: frozenset[str] = NOT_NAMES) -> list[Name]:
    """The names ``text`` mentions, in order (see the module docstring). ``ignore``: the words (lower
    case) that are no name on their own and are left out at a name's start (by default the words that
    only open a sentence; short answers also leave out the outlets that credit a story or a photo)."""
    out = []
    for m in _NAME_RUN.finditer(text):
        words = m.group(0).rstrip(".'’-&").split()
        tail: list[Name] = []
        cut = _cut(words, ignore)
        if cut:  # the rest of the run is read on its own
            rest = m.start()
            for w in words[:cut]:
                rest = text.find(w, rest) + len(w)
            rest = text.find(words[cut], rest)
            tail = [Name(n.text, n.start + rest, n.end + rest) for n in names(text[rest:m.end()], ignore)]
            words = words[:cut]
            if _ends_sentence(words[-1]):
                words[-1] = words[-1].rstrip(".")
        words = _trimmed(words, ignore)
        found = re.sub(r"['’]s$", "", " ".join(words))
        bare = found.lower().strip(".")
        if words and not (len(words) == 1 and (bare in ignore or bare in MONTHS or len(found) < 2)):
            start = text.find(found, m.start())
            out.append(Name(found, start, start + len(found)))
        out.extend(tail)
    return out


# --------------------------------------------------------------------------- numbers


@dataclass(frozen=True)
class Number:
    """A figure or number words with what follows it: "113 million viewers", "$4.25", "12%"."""

    text: str  # as written, with its scale and the words it counts
    start: int
    end: int
    value: float | None  # with its scale: "$5 million" is 5e6; None when it cannot be read
    unit: str | None  # a unit checks compare ("percent", "dollar", "year", ...), else None
    unit_word: str  # the word right after the figure (its scale or unit, "%" for a percentage), lower case
    spelled: bool = False  # written in words ("three"), not digits
    # A quantity with what it counts (an answer to "how many"), or a number inside a compound, an ordinal
    # or a range ("five-year", "13th", "1797-1801"): a figure all the same, for checks.
    count: bool = True


_NUM_WORD = "|".join(NUMBER_WORDS)
_NOT_UNIT = "|".join(re.escape(w) for w in sorted(NOT_UNITS, key=len, reverse=True))
_NUMBER = re.compile(
    rf"(?<![\w.\-–/])(?P<cur>[$£€]\s?)?"
    rf"(?P<figure>\d{{1,3}}(?:(?:,|\u202f| (?=\d{{3}}\b))\d{{3}})+(?:\.\d+)?(?:m|bn|k)?(?!\d)|\d+(?:\.\d+)?(?:m|bn|k)?(?!\d)"
    rf"|(?:{_NUM_WORD})(?:[- ](?:{_NUM_WORD}))?\b)(?![\w.\-]\w)"
    rf"(?:\s?(?P<pct>%)|\s?(?P<percent>percent(?:age points?)?|per cent)\b"
    rf"|(?:\s?(?P<scale>million|billion|trillion|thousand|hundred)\b)?"
    rf"(?:\s+(?!(?:{_NOT_UNIT})\b)(?P<unit>(?-i:[a-z][\w-]+))(?:\s+(?!(?:{_NOT_UNIT})\b)(?-i:[a-z][\w-]+s)\b)?)?)",
    re.IGNORECASE,
)
_SUFFIXES = ("bn", "m", "k")


def _value(figure: str) -> tuple[float | None, str]:
    """A figure's value and the suffix that scales it ("4.5bn" -> 4.5, "bn")."""
    low = figure.lower()
    for suffix in _SUFFIXES:
        if low.endswith(suffix) and low[:1].isdigit():
            return float(re.sub(r"[,\u202f ]", "", low[:-len(suffix)])), suffix
    if low[:1].isdigit():
        return float(re.sub(r"[,\u202f ]", "", low)), ""
    total = 0
    for word in re.split(r"[\s-]+", low):
        if word in SMALL_NUMBERS:
            total += SMALL_NUMBERS[word]
        elif word in TENS:
            total += TENS[word]
        elif word in SCALES:  # "hundred", "dozen" read as a number word
            total = (total or 1) * SCALES[word]
        else:
            return None, ""
    return float(total), ""


# Numbers the pattern above leaves out because a word or a number is joined to them: "13th", "five-year",
# "1797-1801", "$5bn". Not one joined to a word before it ("Covid-19", "F-35"): that is part of a name.
_SMALL_OR_TENS = "|".join(sorted([*SMALL_NUMBERS, *TENS], key=len, reverse=True))
_JOINED = re.compile(
    r"(?P<cur>[$\u20ac\u00a3\u00a5])?\s?"
    r"(?:(?P<digits>(?<![\w.,])(?<![^\W\d_]-)\d{1,3}(?:(?:,|\u202f| (?=\d{3}\b))\d{3})+(?:\.\d+)?"
    r"|(?<![\w.,])(?<![^\W\d_]-)\d+(?:\.\d+)?)"
    r"(?:st|nd|rd|th)?"
    rf"|(?P<words>\b(?:{_SMALL_OR_TENS})(?:[\s-](?:{_SMALL_OR_TENS}))?\b))"
    r"(?P<scale>(?:[\s-]?(?:hundred|thousand|million|billion|trillion|dozen)\b|(?:k|m|mn|mln|bn|b|tn)\b))?"
    r"(?:[\s-]?(?P<unit>%|percent\b|per cent\b|[^\W\d_]+))?",
    re.IGNORECASE,
)


def numbers(text: str) -> list[Number]:
    """The numbers ``text`` mentions, in order (see the module docstring)."""
    out = [_counted(m) for m in _NUMBER.finditer(text)]
    taken = [(n.start, n.end) for n in out]
    for m in _JOINED.finditer(text):
        number = _joined(m)
        if number is not None and not any(a < number.end and number.start < b for a, b in taken):
            out.append(number)
    return sorted(out, key=lambda n: n.start)


def _counted(m: re.Match) -> Number:
    written = m.group(0).strip()
    value, suffix = _value(m.group("figure"))
    scale = m.group("scale") or suffix
    if value is not None and scale:
        value *= SCALES[scale.lower()]
    unit_word = (m.group("scale") or suffix or m.group("unit") or "").lower()
    if m.group("pct") or m.group("percent"):
        unit, unit_word = "percent", "%"
    elif m.group("cur"):
        unit = UNITS[m.group("cur").strip()]
    else:
        unit = UNITS.get((m.group("unit") or "").lower().split("-")[0])
    return Number(written, m.start(), m.start() + len(written), value, unit, unit_word,
                  spelled=not m.group("figure")[:1].isdigit())


def _joined(m: re.Match) -> Number | None:
    if not (m.group("digits") or m.group("words")):
        return None
    written = m.group(0).strip()
    start = m.start() + len(m.group(0)) - len(m.group(0).lstrip())
    figure = m.group("digits") or m.group("words")
    value, _ = _value(re.sub(r"(?<=\d)(?:st|nd|rd|th)$", "", figure))
    scale = (m.group("scale") or "").strip(" -").lower()
    if value is not None and scale:
        value *= SCALES[scale]
    unit_word = (m.group("unit") or "").lower()
    unit = UNITS[m.group("cur")] if m.group("cur") else UNITS.get(unit_word)
    return Number(written, start, start + len(written), value, unit, scale or unit_word,
                  spelled=bool(m.group("words")), count=False)


# --------------------------------------------------------------------------- dates


@dataclass(frozen=True)
class Date:
    """A day, a month or a year as written: "Jan. 10", "10 January 2023", "March", "Tuesday", "1990s"."""

    text: str
    start: int
    end: int
    month: int | None = None
    day: int | None = None
    year: int | None = None
    weekday: str = ""  # "tuesday"
    month_only: bool = False  # a month named alone ("in March"): no answer to "when", but a claim's month all the same


_MONTH_RE = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?"
             r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_WEEKDAY_RE = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_DATE = re.compile(
    rf"\b(?:(?P<m1>{_MONTH_RE})\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y1>\d{{4}}))?"
    rf"|(?P<d2>\d{{1,2}})\s+(?P<m2>{_MONTH_RE})(?:\s+(?P<y2>\d{{4}}))?"
    rf"|(?P<m3>{_MONTH_RE})\s+(?P<y3>\d{{4}})|(?P<weekday>{_WEEKDAY_RE})"
    rf"|(?P<y4>(?:1[89]|20)\d\d)(?:s)?)\b"
)
# A month named alone, capitalised and whole ("in March"; not "May" the verb opening a question).
_MONTH_ALONE = re.compile(r"\b(?:January|February|March|April|May|June|July|August|September|October|November"
                          r"|December)\b")


def _month(word: str) -> int:
    word = word.lower().rstrip(".")
    return MONTHS["sept" if word.startswith("sept") else word[:3]]


def dates(text: str) -> list[Date]:
    """The dates ``text`` mentions, in order (see the module docstring)."""
    out = []
    for m in _DATE.finditer(text):
        g = m.groupdict()
        month = next((g[k] for k in ("m1", "m2", "m3") if g[k]), None)
        day = next((int(g[k]) for k in ("d1", "d2") if g[k]), None)
        year = next((int(g[k]) for k in ("y1", "y2", "y3", "y4") if g[k]), None)
        if day is not None and not 1 <= day <= 31:
            day = None
        out.append(Date(m.group(0), m.start(), m.end(), _month(month) if month else None, day, year,
                        (g["weekday"] or "").lower()))
    taken = [(d.start, d.end) for d in out]
    for m in _MONTH_ALONE.finditer(text):
        if not any(a <= m.start() < b for a, b in taken):
            out.append(Date(m.group(0), m.start(), m.end(), _month(m.group(0)), month_only=True))
    return sorted(out, key=lambda d: d.start)


Mention = Name | Number | Date


def mentions(text: str) -> list[Mention]:
    """Every name, number and date ``text`` mentions: names first, then numbers, then dates."""
    return [*names(text), *numbers(text), *dates(text)]


# --------------------------------------------------------------------------- finding them elsewhere

_ACRONYM_RUN = re.compile(r"[A-Z][\w'’-]*(?:\s+(?:(?:of|and|the|for|on|&)\s+)*[A-Z][\w'’-]*)+")


class Found:
    """A text (a passage, a question) prepared for looking up another text's mentions in it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokens(text)
        self.keys = [t.key for t in self.tokens]
        self.capitals = {t.key for t in self.tokens if t.cap}
        self.all_keys = set(self.keys)
        self.flat = " " + " ".join(k for k in self.keys if k not in CONNECTORS) + " "

    # The text's own mentions are read when a lookup first needs them (numbers cost the most).

    @cached_property
    def names(self) -> list[Name]:
        return names(self.text)

    @cached_property
    def numbers(self) -> list[Number]:
        return numbers(self.text)

    @cached_property
    def dates(self) -> list[Date]:
        return dates(self.text)

    @cached_property
    def acronyms(self) -> set[str]:
        out = set()
        for m in _ACRONYM_RUN.finditer(self.text):
            words = [key(w) for w in m.group(0).split() if w[:1].isupper() and key(w) not in JOINERS]
            initials = "".join(w[0] for w in words if w and not is_roman(w))
            if len(initials) >= 2:
                out.add(initials)
        return out

    def has(self, m: Mention) -> bool:
        """Whether this text mentions what ``m`` mentions, in one of its usual forms."""
        if isinstance(m, Name):
            return re.search(rf"(?<!\w){re.escape(m.text)}(?!\w)", self.text) is not None or self.has_name(m.parts)
        if isinstance(m, Number):
            return self.has_number(m)
        return self.has_date(m)

    def has_name(self, parts: Sequence[str]) -> bool:
        """A name by its parts: in full, by an alias, an acronym for its words or its words for an
        acronym, or a shorter or longer form of it (a surname)."""
        parts = [p for p in parts if p not in CONNECTORS]
        if not parts:
            return True
        phrase = " ".join(parts)
        if f" {phrase} " in self.flat:
            return True
        if len(parts) == 1 and "-" in phrase and not any(c.isdigit() for c in phrase):
            return all(self.has_name([p]) for p in phrase.split("-") if p)  # "Turkey-Syria": each place
        if any(phrase in group and any(f" {a} " in self.flat for a in group) for group in ALIASES):
            return True
        if len(parts) == 1:
            # As a name of its own, or an acronym for the text's words: "FDA" / "Food and Drug Administration".
            return parts[0] in self.capitals or (parts[0] in self.acronyms and len(parts[0]) >= 2)
        initials = "".join(p[0] for p in parts if not is_roman(p))
        if len(initials) >= 2 and initials in self.capitals:
            return True  # "Food and Drug Administration" / "FDA"
        return self._has_surname(parts)

    def _has_surname(self, parts: list[str]) -> bool:
        """A shorter or longer form of the name: "Yeoh" / "Michelle Yeoh", "the Bills" / "Buffalo Bills".

        The text's name must end with the same word and one of the two must hold all the other's
        words: "Joe Biden" is not "Hunter Biden", "Oklahoma Highway Patrol" is not "California Highway Patrol".
        """
        words = [p for p in parts if not is_roman(p) and p not in SUFFIXES]
        if not words:
            return False
        last, mine = words[-1], set(parts) - SUFFIXES
        for other in self.names:
            theirs = [p for p in other.parts if not is_roman(p) and p not in SUFFIXES]
            if theirs and theirs[-1] == last and (set(theirs) <= mine or mine <= set(theirs)):
                return True
        return False

    def has_number(self, number: Number) -> bool:
        """The same value, and the same unit when both give one."""
        if number.value is None:
            return True
        same = [n for n in self.numbers if n.value is not None
                and abs(n.value - number.value) <= 1e-9 * max(1.0, abs(number.value))]
        return bool(same) and (number.unit is None or any(n.unit in (None, number.unit) for n in same))

    def has_date(self, date: Date) -> bool:
        """The same day of the same month; a month or a weekday capitalised anywhere; a year as a number."""
        if date.day is not None and date.month is not None:
            return any(d.month == date.month and d.day == date.day for d in self.dates)
        if date.month is not None:
            return any(MONTHS.get(k) == date.month for k in self.capitals)
        if date.weekday:
            return any(WEEKDAYS.get(k) == date.weekday for k in self.capitals)
        return date.year is None or any(n.value == date.year for n in self.numbers)
