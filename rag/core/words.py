"""The word lists and the word splitting that reading mentions rests on (rag.core.mentions).

One list for each purpose, English in general: the months and weekdays, the number words and
scales, the units a check compares, the words that join or title a name, the words that only open
a sentence, and the words after a number that are not what it counts.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# Months and their abbreviations, to the month's number ("sept" too); weekdays to their full name.
MONTHS = {m: i + 1 for i, m in enumerate(
    "january february march april may june july august september october november december".split())}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9
WEEKDAYS = {d: d for d in "monday tuesday wednesday thursday friday saturday sunday".split()}
WEEKDAYS.update({d[:3]: d for d in list(WEEKDAYS)})
WEEKDAYS.update({"tues": "tuesday", "wed": "wednesday", "thur": "thursday", "thurs": "thursday"})

# Numbers written in words, in the order a figure's pattern tries them ("four" fails before "fourteen" is tried).
NUMBER_WORDS = ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
                "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
                "hundred dozen").split()
SMALL_NUMBERS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split())}
TENS = {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
SCALES = {"hundred": 100, "thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "mln": 1e6,
          "billion": 1e9, "bn": 1e9, "b": 1e9, "trillion": 1e12, "tn": 1e12, "dozen": 12}

# Units compared when both sides give one; other words after a number ("fans", "jobs") may be reworded.
UNITS = {
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
# Words after a number that are not what it counts ("37 when elected", "12 of them").
NOT_UNITS = frozenset(
    """
    of the and or to in on at by for a an is was were are p a.m p.m each single other more less than about
    per so too as from with that this who which when while where whom whose between after before since
    until because but if into over under during it its his her their he she they we you has have had be
    been will would can could should may might must not also just only still then there here
    """.split())

# Words that join the parts of one name ("Bank of England", "Ursula von der Leyen").
CONNECTORS = frozenset("of the de del della der den di du da van von la le al el bin ibn y".split())
# Acronyms skip these words: "Food and Drug Administration" / "FDA".
JOINERS = frozenset("of and the for on &".split())
# Titles before a name: "President Biden" names Biden.
TITLES = frozenset("""
    mr mrs ms miss dr prof president pres vice sen senator rep representative gov governor gen general
    pope king queen prince princess sir dame lord lady judge justice chief minister prime secretary mayor
    ceo chairman chairwoman chair coach captain capt sgt lt col officer det detective former late rev
    saint st father archbishop bishop cardinal ambassador commissioner chancellor speaker leader
    lieutenant sergeant colonel major attorney deputy first mt jr
""".split())
SUFFIXES = frozenset({"jr", "sr"})  # "Richard Trumka Jr." is "Richard Trumka"
# Capitalised words that open sentences, or are common enough not to be a name on their own.
NOT_NAMES = frozenset(
    """
    the a an in on at for with by from to of and but or so as if when while after before since until
    he she it they we i you his her its their our my your this that these those there here what which who
    why how where some many more most other others all any each every both no not one two three last
    next first second third also however meanwhile still yet now then today yesterday tomorrow monday
    tuesday wednesday thursday friday saturday sunday january february march april may june july august
    september october november december mr mrs ms dr according during despite although though because
    according people officials police read more related watch listen photo image video
    today advertisement editor note share click sign subscribe even just only already
    like unlike among including amid about above below between both either neither nor such whether
    instead perhaps maybe indeed thus hence yes well earlier later once twice again almost nearly roughly
    some several few much many most every each another what's here's there's it's that's
    none nobody nothing everyone everybody someone somebody anyone following
    did does do is are was were has have had will would can could should shall may might must
    """.split())

# Outlets and picture agencies: names, but in a story they credit it or a photo, and answer nothing.
OUTLETS = frozenset("getty images ap afp reuters cnn usa".split())

_ROMAN = re.compile(r"^(?=[ivxlcdm]+$)m{0,3}(cm|cd|d?c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$")
_WORD = re.compile(r"(?:[A-Za-z]\.){2,}|[^\W\d_](?:[\w&]|['\u2019\-.](?=[^\W_]))*|\d(?:[\d,.]*\d)?", re.UNICODE)


def is_roman(word: str) -> bool:
    """A Roman numeral in lower case ("ii", "xvi"): a name's ordinal, not a word of it."""
    return bool(_ROMAN.match(word))


def key(token: str) -> str:
    """A word as compared: lower case, without dots ("U.S." / "US") or a possessive; a number without commas."""
    if token[:1].isdigit():
        return token.replace(",", "")
    t = token.lower().replace(".", "")
    for suffix in ("'s", "\u2019s"):
        if t.endswith(suffix):
            t = t[: -len(suffix)]
    return t.rstrip("'\u2019")


class Token(NamedTuple):
    """A word of a text: its key, whether it is capitalised, and where it is (a tuple: texts have
    thousands, and a tuple is made several times faster than a frozen dataclass)."""

    key: str
    cap: bool  # written with a capital (or all capitals)
    start: int
    end: int


def tokens(text: str) -> list[Token]:
    """The words and numbers of a text; a capitalised word with a hyphen keeps only its name part
    ("Oscar-winning" is Oscar, "Covid-19" stays whole)."""
    out = []
    for m in _WORD.finditer(text):
        w = m.group(0)
        if w[0].isupper() and "-" in w:
            pieces = w.split("-")
            cut = next((i for i, x in enumerate(pieces) if i and x[:1].islower()), len(pieces))
            w = "-".join(pieces[:cut])
        out.append(Token(key(w), w[0].isupper(), m.start(), m.start() + len(w)))
    return out
