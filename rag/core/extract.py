"""What a question asks for, and the spans of a sentence that could be its answer.

A factoid question's wording says what kind of answer it wants: "who" a name, "when" a
date, "how many" a number, "which team" a name that is a team. :func:`analyse` reads that
(the expected kind and, for "which X" / "what X", the X) from the last question in the text,
so quiz-style questions with a lead-in ("NFL player Damar Hamlin suffered ... . He is a
valued member of which team?") are read at their question. :func:`spans` finds the
candidate answers in a sentence: the names, dates and numbers with their unit that
rag.core.mentions reads (the same the citation check requires), quoted titles, and for "which
seed" the words that qualify "seed" ("sesame seeds").
Rules are about English wording in general, not any data set's. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import mentions
from .places import PLACE_OF
from .text import asks
from .words import MONTHS, NOT_NAMES, NUMBER_WORDS, OUTLETS

NAME = "name"  # a person, organisation or place: a run of capitalised words
DATE = "date"
NUMBER = "number"
THING = "thing"  # anything: a name, a quoted title, or the words that qualify the question's X
KINDS = (NAME, DATE, NUMBER, THING)

# Words for X in "which X" that ask for a date, a number, or a name.
_DATE_NOUNS = frozenset("year years day days date month months decade century season time".split())
_NUMBER_NOUNS = frozenset(
    "number amount percentage percent share age price cost total sum rate count score".split())
_PERSON_NOUNS = frozenset(
    """
    person man woman boy girl actor actress singer rapper player quarterback pitcher golfer driver
    president leader politician pope king queen prince princess star author writer director celebrity
    athlete coach ceo executive official senator governor candidate figure musician artist comedian host
    judge justice journalist billionaire founder minister lawmaker chancellor mayor general
    """.split())
_NAME_NOUNS = _PERSON_NOUNS | frozenset(
    """
    country nation state city town county island region continent capital province territory
    company team firm brand chain network agency organization organisation group band retailer airline
    bank club party university college school league automaker carmaker platform app website newspaper
    channel streamer airport stadium venue studio publisher manufacturer
    """.split())

_WH = re.compile(
    r"\b(?:how\s+(?P<how>many|much|old|long|far|big|tall|high|large|often)"
    r"|(?P<what>which|what)(?:\s+(?:kind|type|sort|form)s?\s+of)?"
    r"|(?P<wh>who|whom|whose|when|where))\b",
    re.IGNORECASE,
)
# A question opening with "why", or "how" not asking for a quantity ("How did the storm ..."), asks
# for a reason or a way; a "who" or "which" later in it opens a clause.
_ASKS_WHY_OR_HOW = re.compile(r"^\W*(why|how)\b(?!\s+(?:many|much|old|long|far|big|tall|high|large|often)\b)",
                              re.IGNORECASE)
_FUNCTION = frozenset(
    """
    a an the of to in on at by for from with as and or but is are was were be been being do does did has
    have had will would can could should may might must that this these those it its their his her they he
    she we you i not no into onto over under about after before during than then there here also just only
    recently reportedly this week last next new who whom whose which what when where why how
    """.split())
# Verbs of questions that no "-ed" shows: "which film won ...", "which bank bought ...".
_IRREGULAR = frozenset(
    """
    won win wins beat beats bought buys sold sells hit hits lost loses ran runs held holds gave gives got gets
    saw sees met meets paid pays spent spends sent sends found finds kept keeps put puts shot struck wrote writes
    """.split())
_WORD = re.compile(r"[A-Za-z][\w'’-]*|\d[\d,.]*")
# Verbs that follow "what" in questions about events rather than things.
_VERBS = frozenset(
    """
    happen happens happened happening cause causes caused led leads lead made makes make prompted prompt
    prompts triggered trigger triggers went go goes came come comes said say says told tell tells brought
    bring took take takes became become changed change changes killed kill left remains remain went
    """.split())


@dataclass(frozen=True)
class QuestionType:
    """What a question asks for."""

    kind: str  # NAME, DATE, NUMBER or THING
    focus: tuple[str, ...] = ()  # X of "which X" / "what X" / "how many X", lower case
    wh: str = ""  # the question word as written ("which", "how many", "who", ...)
    person: bool = False  # the name asked for is a person's ("who", "which actress")
    preposition: str = ""  # the one before the question word: "since" in "Since when ...?"

    @property
    def factoid(self) -> bool:
        """Whether it asks for a name, a date, a number or an X, rather than what happened, why or how."""
        return self.kind != THING or bool(self.focus)

    @property
    def expected(self) -> str:
        """Words for the kind of thing asked for, to compare candidates with ("country", "person")."""
        if self.focus:
            return " ".join(self.focus)
        return {"who": "person", "whom": "person", "where": "place"}.get(self.wh, "")


def _singular(word: str) -> str:
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def question_part(question: str) -> str:
    """The last sentence that asks (ends with "?"), else the whole text."""
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z\"“])", question.strip())
    asking = [p for p in parts if asks(p)]
    return asking[-1] if asking else question


def asked_terms(question: str) -> set[str]:
    """The search terms of the part of the question that asks (of all of it when that part has none)."""
    from .terms import terms

    return set(terms([question_part(question)])[0]) or set(terms([question])[0])


# The question word that opens the asking part, with a preposition before it and the word after it
# ("In which city", "Who did", "How many people"): what :func:`restate` puts an answer in place of.
_OPENING_ASK = re.compile(
    r"^\W*(?:(?:in|on|at|for|by|from|since|to|of|with)\s+)?(?:who(?:m|se)?|what|which|where|when"
    r"|how\s+(?:many|much|long|old|far)|how)\b(?:\s+\w+)?", re.IGNORECASE)


def restate(question: str, answer: str) -> str:
    """The asking part of a question with a candidate answer in place of its question word, as a
    statement to hold against the sentence that gives the candidate ("Which automaker recalled 114,000
    cars?" with "Volkswagen": "Volkswagen recalled 114,000 cars"). Rough on purpose: it is compared by
    meaning, not read."""
    part = question_part(question).strip()
    m = _OPENING_ASK.match(part)
    if not m:
        return f"{answer}: {part}"
    return f"{answer} {part[m.end():].strip()}".strip(" ?")


_BE = r"what(?:['’]s|\s+(?:is|was|are|were|will\s+be))\s+"
# "What is the name of X?", "What was X's name?", "What is X called?": a name, of an X.
_NAME_OF = re.compile(
    rf"^\W*{_BE}(?:the\s+)?(?:\w+\s+)?name\s+(?:of|for)\s+(?P<a>.+)"
    rf"|^\W*{_BE}(?P<b>.+?)['’]s?\s+(?:\w+\s+)?name\W*$"
    rf"|^\W*{_BE}(?P<c>.+?)\s+(?:called|named|titled|entitled|known\s+as)\W*$",
    re.IGNORECASE)


# "Who is Tim Scott?", "Who was Lucile Randon, and why ...": a person the question already names.
_WHO_IS = re.compile(r"^\W*(?i:who(?:['’]s|\s+(?:is|was|are|were)))\s+(?:[A-Z][\w.'’-]*\s*){1,4}(?:[?,]|\s+and\b|$)")


def _named_x(phrase: str) -> tuple[str, ...]:
    """The X of "the name of X": its last words before a clause, without an owner ("SpaceX's rocket,
    which exploded" -> ("rocket",))."""
    words: list[str] = []
    for w in _WORD.findall(phrase.split(",")[0]):
        low = w.lower()
        if low.endswith(("'s", "’s")):
            words = []  # the owner is not the X
            continue
        if low in _FUNCTION or (words and low.endswith(("ed", "ing"))):
            if words:
                break
            continue
        words.append(low)
    return tuple(words[-2:])


def _focus(rest: str) -> list[str]:
    """The X of "which X" / "what X" / "how many X", from the words after the question word."""
    rest = re.sub(r"^\s*of\s+(?:the\s+)?(?:following\s+)?", " ", rest, flags=re.IGNORECASE)
    written = _WORD.findall(rest.replace(".", ""))
    after = [w.lower().strip("'’") for w in written]
    focus: list[str] = []
    for i, w in enumerate(after[:4]):
        base = w[:-2] if w.endswith(("'s", "’s")) else w
        if not focus and base in _VERBS:  # "What happened", "what caused": no X is named
            break
        if base in _FUNCTION or (focus and w.endswith(("ed", "ing")) and base not in _NAME_NOUNS):
            break
        # The X ends at its verb: "which film won the award", "which bank bought Credit Suisse", "which
        # NFL team signed Aaron Rodgers" (a lower-case word before a name is the verb, not the X).
        if focus and base not in _NAME_NOUNS and (base in _VERBS or base in _IRREGULAR or (
                written[i][:1].islower() and written[i + 1:i + 2] and written[i + 1][:1].isupper())):
            break
        focus.append(base)
        if base != w:  # "which country's prime minister": the answer is the country
            break
    return focus


def analyse(question: str) -> QuestionType:
    """The kind of answer ``question`` asks for, from its question word and what follows it."""
    part = question_part(question)
    named = _NAME_OF.match(part)
    if named:
        focus = _named_x(next(g for g in named.groups() if g))
        if focus:
            return QuestionType(NAME, focus, "what", person=_singular(focus[-1]) in _PERSON_NOUNS)
    if _WHO_IS.match(part):  # "Who is Tim Scott?" asks what the sentences say of him, not for a name
        return QuestionType(THING, (), "who")
    reason = _ASKS_WHY_OR_HOW.match(part)
    if reason:  # "Why is a donor who fathered 550 children being sued?": a reason, not the "who" after it
        return QuestionType(THING, (), reason.group(1).lower())
    matches = list(_WH.finditer(part))
    if not matches:
        return QuestionType(THING)
    # A question word opening the sentence is the one asked ("Who did the Spurs select ... when ...");
    # otherwise the last one ("... when it announced it would part ways with which host?").
    opening = re.match(r"^\W*(?:(?:in|on|at|for|from|by|to|with|of|since|until)\s+)?\W*", part, re.IGNORECASE)
    m = matches[0] if matches[0].start() <= opening.end() else matches[-1]
    before = re.search(r"(?:^|\s)(since|until|till|before|after|from|in|on|at|by|for|of|to|with)\s+$",
                       part[:m.start()], re.IGNORECASE)
    prep = before.group(1).lower() if before else ""
    focus = _focus(part[m.end():])
    if m.group("how"):
        how = m.group("how").lower()
        kind = NUMBER if how in ("many", "much", "old", "long", "far", "big", "tall", "high", "large") else THING
        return QuestionType(kind, tuple(focus), f"how {how}", preposition=prep)
    if m.group("wh"):
        wh = m.group("wh").lower()
        kind = {"who": NAME, "whom": NAME, "whose": NAME, "when": DATE, "where": NAME}[wh]
        return QuestionType(kind, (), wh, person=wh in ("who", "whom"), preposition=prep)
    wh = m.group("what").lower()
    if not focus:
        return QuestionType(THING, (), wh, preposition=prep)
    known = [w for w in focus if _singular(w) in _DATE_NOUNS | _NUMBER_NOUNS | _NAME_NOUNS]
    head = known[0] if known else focus[-1]
    singular = _singular(head)
    if head in _DATE_NOUNS or singular in _DATE_NOUNS:
        kind = DATE
    elif head in _NUMBER_NOUNS or singular in _NUMBER_NOUNS:
        kind = NUMBER
    elif head in _NAME_NOUNS or singular in _NAME_NOUNS:
        kind = NAME
    else:
        kind = THING
    return QuestionType(kind, tuple(focus), wh, person=singular in _PERSON_NOUNS, preposition=prep)


# ---------------------------------------------------------------------------------------------- spans

_QUOTED = re.compile(r"[\"“‘]([^\"“”‘’]{2,80}?)[\"”’](?!\w)")


@dataclass(frozen=True)
class Span:
    """A candidate answer inside a sentence: its characters and its kind."""

    start: int
    end: int
    text: str
    kind: str


def key(text: str) -> str:
    """The form candidates are compared in: lower case, no leading article, no final 's."""
    t = " ".join(re.sub(r"[\"“”‘’.,:;!?()]", " ", text.lower()).split())
    t = re.sub(r"^(?:the|a|an)\s+", "", t)
    return re.sub(r"['’]s$", "", t)


ALL_KINDS = frozenset({DATE, NUMBER, NAME, THING})


def kinds_for(qtype: QuestionType) -> frozenset[str]:
    """The span kinds that can fit ``qtype`` (see :func:`fits`): what :func:`spans` need read for it."""
    if qtype.kind == NUMBER:
        return frozenset({DATE, NUMBER})  # dates are read so that "Jan. 10" is not the number 10
    if qtype.kind == DATE:
        return frozenset({DATE})
    if qtype.kind == NAME or (qtype.kind == THING and qtype.focus):
        return frozenset({DATE, NAME, THING})
    return ALL_KINDS


def spans(sentence: str, focus: tuple[str, ...] = (), kinds: frozenset[str] = ALL_KINDS) -> list[Span]:
    """Candidate answers in one sentence: its dates, numbers and names (rag.core.mentions; a month named
    alone answers no "when"), quoted titles and focus qualifiers; with ``kinds`` (:func:`kinds_for`), only
    those the question can take, which is cheaper (numbers cost the most to read)."""
    out = [Span(d.start, d.end, d.text, DATE) for d in mentions.dates(sentence) if not d.month_only]
    taken = [(d.start, d.end) for d in out]
    for n in (mentions.numbers(sentence) if NUMBER in kinds else ()):
        if not n.count or any(a <= n.start < b for a, b in taken):
            continue
        if not any(ch.isdigit() for ch in n.text) and n.text.lower().split()[0] not in NUMBER_WORDS:
            continue
        if n.text.split()[0].isdigit() and re.search(r"(?<![.!?]\s)\b[A-Z][\w&-]*\s$", sentence[:n.start]):
            continue  # "Super Bowl 57", "S&P 500": part of a name, not a quantity
        out.append(Span(n.start, n.end, n.text, NUMBER))
    if kinds & {NAME, THING}:
        for n in mentions.names(sentence, NOT_NAMES | OUTLETS):
            if not any(a <= n.start < b for a, b in taken) and n.text.lower().strip(".") not in MONTHS:
                out.append(Span(n.start, n.end, n.text, NAME))
    if THING in kinds:
        for m in _QUOTED.finditer(sentence):
            title = m.group(1).rstrip(",.;:!? ")  # “No Country for Old Men,” -> No Country for Old Men
            if title:
                out.append(Span(m.start(1), m.start(1) + len(title), title, THING))
        if focus:
            out.extend(_qualifiers(sentence, focus))
    return out


_PEOPLE_WORD = re.compile(r"\b(" + "|".join(sorted((re.escape(w) for w in PLACE_OF), key=len, reverse=True))
                          + r")\b", re.IGNORECASE)


def places(sentence: str) -> list[Span]:
    """Countries named by the word for their people: "German Chancellor Olaf Scholz" names Germany.
    The span is the word; its text is the place."""
    return [Span(m.start(), m.end(), PLACE_OF[m.group(0).lower()], NAME)
            for m in _PEOPLE_WORD.finditer(sentence) if m.group(0)[0].isupper()]


def _qualifiers(sentence: str, focus: tuple[str, ...]) -> list[Span]:
    """The words just before the question's X in the sentence: "sesame seeds" for "which seed"."""
    head = focus[-1]
    stem = head[:-1] if head.endswith("s") and not head.endswith("ss") else head
    out = []
    for m in re.finditer(rf"\b((?:[\w'’-]+\s+){{1,2}})({re.escape(stem)}(?:s|es)?)\b", sentence, re.IGNORECASE):
        words = m.group(1).split()
        while words and words[0].lower() in _FUNCTION:
            words = words[1:]
        if words and all(w.lower() not in _FUNCTION and not w[0].isdigit() for w in words):
            start = m.start(1) + m.group(1).find(words[0])
            end = m.end(2)
            out.append(Span(start, end, sentence[start:end], THING))
    return out


def person_like(text: str) -> bool:
    """Two to four capitalised words without an organisation's or a title's shape: "Michelle Yeoh"."""
    words = text.split()
    return 2 <= len(words) <= 4 and all(w[:1].isupper() and not w.isupper() for w in words)


def fits(span: Span, qtype: QuestionType) -> bool:
    """Whether a candidate is of the kind the question asks for."""
    if qtype.kind == THING:
        # "Which film ...": an X that is not a time or a quantity is not answered by one.
        return not qtype.focus or span.kind not in (DATE, NUMBER)
    if qtype.kind == NUMBER:
        # "How old", "how many": an age or a count, not a share or a sum of money.
        counted = qtype.wh in ("how old", "how many") and re.search(r"[%$£€]|\bper ?cent", span.text)
        return span.kind == NUMBER and not counted
    if qtype.kind == DATE:
        return span.kind == DATE
    if qtype.wh in ("who", "whom") and re.search(r"(?<![\w-])\d", span.text):
        return False  # "Who won?": a person or a body, not "Daytona 500" or "Super Bowl 57"
    if span.kind == THING:  # a quoted title counts as a name when it is short and capitalised
        words = span.text.split()
        return len(words) <= 5 and all(w[:1].isupper() or w.lower() in _FUNCTION for w in words)
    return span.kind == NAME
