"""Relative time in a question ("this week", "yesterday", "in July", "since 2024") as a date window.

Windows are computed from the question's ``as_of`` date (today in Discord, ``--as-of`` in
the CLI, the date a quiz was asked in the bench), never from the machine's clock here.
"This week" is the seven days up to ``as_of``; a calendar word ("this month", "last
year", "in July") is that calendar period, cut at ``as_of``. A month named without a
year is its latest occurrence on or before ``as_of``.

The expression is removed from the text that is searched (its words, "week" or "July",
match articles on any date and only add noise), and the window restricts or boosts the
search as the ``TIME_WINDOWS`` setting says.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from ..core.types import human_date

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTH_NAMES = "|".join(sorted((m for m in _MONTHS if len(m) > 3), key=len, reverse=True))
_UNITS = {"day": 1, "week": 7, "month": 30, "year": 365}
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10,
            "a": 1, "few": 3, "several": 5}


@dataclass(frozen=True)
class Window:
    """A date window a question asks about, with the words that asked for it."""

    since: date | None
    until: date
    phrase: str  # the expression as the question put it
    query: str  # the question without it, for searching

    def label(self) -> str:
        """``this week: 17 Nov – 24 Nov 2026`` or ``since 2024: 1 Jan 2024 – 24 Nov 2026``."""
        end = human_date(self.until)
        if self.since is None:
            return f"{self.phrase}: until {end}"
        if self.since == self.until:
            return f"{self.phrase}: {end}"
        start = human_date(self.since) if self.since.year != self.until.year else self.since.strftime("%-d %b")
        return f"{self.phrase}: {start} – {end}"


def _month_window(year: int, month: int, as_of: date) -> tuple[date, date]:
    last = date(year, month, calendar.monthrange(year, month)[1])
    return date(year, month, 1), min(last, as_of)


def _latest_month(month: int, as_of: date) -> int:
    """The year of the latest ``month`` that began on or before ``as_of``."""
    return as_of.year if month <= as_of.month else as_of.year - 1


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBERS[word]


# Each rule: a pattern and a function of (match, as_of) giving (since, until) or None.
def _rules():
    week_start = lambda d: d - timedelta(days=d.weekday())  # noqa: E731 (Monday)
    return [
        (r"\b(?:today|tonight|this morning|this afternoon|this evening)\b", lambda m, d: (d, d)),
        (r"\byesterday\b", lambda m, d: (d - timedelta(days=1), d - timedelta(days=1))),
        (r"\b(?:this|the past|the last) weekend\b", lambda m, d: (d - timedelta(days=3), d)),
        (r"\b(?:in |over |during )?(?:the )?(?:past|last|previous) (\d+|one|two|three|four|five|six|seven|ten|few|several) "
         r"(day|week|month|year)s?\b",
         lambda m, d: (d - timedelta(days=_number(m[1]) * _UNITS[m[2]]), d)),
        (r"\b(?:this|the past|the last) (?:week|seven days)\b", lambda m, d: (d - timedelta(days=7), d)),
        (r"\blast week\b", lambda m, d: (week_start(d) - timedelta(days=7), week_start(d) - timedelta(days=1))),
        (r"\bthis month\b", lambda m, d: (d.replace(day=1), d)),
        (r"\blast month\b", lambda m, d: _month_window(*(lambda p: (p.year, p.month))(d.replace(day=1) - timedelta(days=1)), d)),
        (r"\bthis year\b", lambda m, d: (date(d.year, 1, 1), d)),
        (r"\blast year\b", lambda m, d: (date(d.year - 1, 1, 1), date(d.year - 1, 12, 31))),
        (rf"\bsince (?:early |late |mid-?)?({_MONTH_NAMES}|may)(?: (\d{{4}}))?\b",
         lambda m, d: (date(int(m[2]) if m[2] else _latest_month(_MONTHS[m[1].lower()], d), _MONTHS[m[1].lower()], 1), d)),
        (r"\bsince (\d{4})\b", lambda m, d: (date(int(m[1]), 1, 1), d) if int(m[1]) <= d.year else None),
        (rf"\b(?:in|during|from) (?:early |late |mid-?)?({_MONTH_NAMES}|may)(?: (\d{{4}}))?\b",
         lambda m, d: _month_window(int(m[2]) if m[2] else _latest_month(_MONTHS[m[1].lower()], d), _MONTHS[m[1].lower()], d)),
        (r"\b(?:in|during) (\d{4})\b",
         lambda m, d: (date(int(m[1]), 1, 1), min(date(int(m[1]), 12, 31), d)) if int(m[1]) <= d.year else None),
    ]


# Words that ask for recent news without naming a period: a 30-day window, the words kept in the query.
_RECENT = re.compile(r"\b(?:recently|lately|latest|newest|most recent)\b", re.IGNORECASE)
RECENT_DAYS = 30


_RULES = [(re.compile(p, re.IGNORECASE), f) for p, f in _rules()]


def _in_name(text: str, m: re.Match) -> bool:
    """Whether the time words are part of a name: "USA TODAY", "Good Morning America Today"."""
    return m[0][:1].isupper() and re.search(r"[A-Z][\w.&'’]*\s+$", text[:m.start()]) is not None


def resolve(question: str, as_of: date) -> Window | None:
    """The window the question's first relative-time expression asks for, or None."""
    best = None
    for pattern, window in _RULES:
        m = next((m for m in pattern.finditer(question) if not _in_name(question, m)), None)
        if m and (best is None or m.start() < best[0].start()):
            try:
                bounds = window(m, as_of)
            except (OverflowError, ValueError):  # it reaches before 1 January of year 1
                bounds = (date.min, as_of)
            if bounds is not None:
                best = (m, bounds)
    if best is None:
        m = _RECENT.search(question)
        if m is None:
            return None
        return Window(as_of - timedelta(days=RECENT_DAYS), as_of, m[0].lower(), question)
    m, (since, until) = best
    until = min(until, as_of)
    if since is not None and since > until:
        return None
    query = " ".join((question[:m.start()] + " " + question[m.end():]).split())
    query = re.sub(r"\s+([?.!,])", r"\1", query).lstrip(" ,;:")
    return Window(since, until, " ".join(m[0].split()), query or question)
