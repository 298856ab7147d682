"""What a question asks for, and the spans of a sentence that could be its answer.

A factoid question's wording says what kind of answer it wants: "who" a name, "when" a
date, "how many" a number, "which team" a name that is a team. :func:`analyse` reads that
(the expected kind and, for "which X" / "what X", the X) from the last question in the text,
so quiz-style questions with a lead-in ("NFL player Damar Hamlin suffered ... . He is a
valued member of which team?") are read at their question. :func:`spans` finds the
candidate answers in a sentence: names (runs of capitalised words), dates, numbers with their
unit, quoted titles, and for "which seed" the words that qualify "seed" ("sesame seeds").
Rules are about English wording in general, not any data set's. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.places import PLACE_OF
from ..core.text import asks

NAME = "name"  # a person, organisation or place: a run of capitalised words
DATE = "date"
NUMBER = "number"
THING = "thing"  # anything: a name, a quoted title, or the words that qualify the question's X
KINDS = (NAME, DATE, NUMBER, THING)

_MONTHS = ("january february march april may june july august september october november december "
           "jan feb mar apr jun jul aug sep sept oct nov dec").split()
_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
_NUMBER_WORDS = ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
                 "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
                 "hundred dozen").split()

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
    rest = re.sub(r"^\s*of\s+(?:the\s+)?(?:following\s+)?", " ", part[m.end():], flags=re.IGNORECASE)
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

_CAP = r"(?:[A-Z][\w'’&.-]*|\d+(?:st|nd|rd|th)?(?!\d|[-–]\d))"  # "Super Bowl 57", not "Eagles 38-35"
_SPACE = r"[^\S\n]+"  # a name does not run across lines ("By Ed Masley" / "Rihanna's setlist")
_CONNECT = rf"(?:{_SPACE}(?:of(?:{_SPACE}the)?|de|del|da|di|du|van|von|der|la|le|&|y)(?={_SPACE}[A-Z]))"
_NAME_RUN = re.compile(rf"(?<![\w'’])(?:[A-Z][\w'’&.-]*)(?:(?:{_CONNECT})*{_SPACE}{_CAP})*")
_QUOTED = re.compile(r"[\"“‘]([^\"“”‘’]{2,80}?)[\"”’](?!\w)")
_MONTH_RE = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
_DATE_RE = re.compile(
    rf"\b(?:{_MONTH_RE}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?|\d{{1,2}}\s+{_MONTH_RE}(?:\s+\d{{4}})?"
    rf"|{_MONTH_RE}\s+\d{{4}}|(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
    rf"|(?:1[89]|20)\d\d(?:s)?)\b"
)
_NUM_WORD = "|".join(_NUMBER_WORDS)
# Words after a number that are not its unit ("37 when elected", "12 of them").
_NOT_UNITS = frozenset(
    """
    of the and or to in on at by for a an is was were are p a.m p.m each single other more less than about
    per so too as from with that this who which when while where whom whose between after before since
    until because but if into over under during it its his her their he she they we you has have had be
    been will would can could should may might must not also just only still then there here
    """.split())
_NOT_UNIT = "|".join(re.escape(w) for w in sorted(_NOT_UNITS, key=len, reverse=True))
_NUMBER_RE = re.compile(
    rf"(?<![\w.\-–/])(?:[$£€]\s?)?(?:\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?(?:m|bn|k)?|\d+(?:\.\d+)?(?:m|bn|k)?|(?:{_NUM_WORD})(?:[- ](?:{_NUM_WORD}))?)(?![\w.\-]\w)"
    rf"(?:\s?%|\s?(?:percent(?:age points?)?|per cent)\b"
    rf"|(?:\s?(?:million|billion|trillion|thousand|hundred)\b)?"
    rf"(?:\s+(?!(?:{_NOT_UNIT})\b)(?-i:[a-z][\w-]+)(?:\s+(?!(?:{_NOT_UNIT})\b)(?-i:[a-z][\w-]+s)\b)?)?)",
    re.IGNORECASE,
)
# Capitalised words that open sentences or are common enough not to be a name on their own.
_NOT_NAMES = frozenset(
    """
    the a an in on at for with by from to of and but or so as if when while after before since until
    he she it they we i you his her its their our my your this that these those there here what which who
    why how where some many more most other others all any each every both no not one two three last
    next first second third also however meanwhile still yet now then today yesterday tomorrow monday
    tuesday wednesday thursday friday saturday sunday january february march april may june july august
    september october november december mr mrs ms dr according during despite although though because
    according people officials police read more related watch listen photo image video getty images ap
    afp reuters cnn usa today advertisement editor note share click sign subscribe even just only already
    like unlike among including amid about above below between both either neither nor such whether
    instead perhaps maybe indeed thus hence yes well earlier later once twice again almost nearly roughly
    some several few much many most every each another what's here's there's it's that's
    none nobody nothing everyone everybody someone somebody anyone following
    did does do is are was were has have had will would can could should shall may might must
    """.split())


_OPENERS = frozenset("the a an this that these those it he she they we in on at for but and so as if when".split())
_AFTER_STOP = _OPENERS | _NOT_NAMES  # words that, after "U.S.", open the next sentence
_DAY_MODIFIERS = frozenset("black good super cyber giving ash easter holy fat shrove palm maundy boxing".split())
_TRAILING_ROLES = frozenset("CEO CFO COO CTO MP GOP Inc. spokesperson".split())  # "Twitter CEO" -> "Twitter"


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


# Abbreviations that a name goes on after: "Gov. Mike DeWine", "Martin Luther King Jr. Day".
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr st jr sr gov sen rep gen lt col sgt capt cmdr adm maj mt ft no prof rev hon pres supt det "
    "insp inc corp co ltd bros vs".split())


def _ends_sentence(word: str) -> bool:
    """Whether a word with a final full stop ends a sentence inside a run of capitalised words
    ("... than Russia. Ukraine won ..."): one without another stop inside that is no abbreviation."""
    bare = word.rstrip(".")
    return "." not in bare and len(bare) > 1 and bare.lower() not in _ABBREVIATIONS


def _names(sentence: str) -> list[Span]:
    out = []
    for m in _NAME_RUN.finditer(sentence):
        text = m.group(0).rstrip(".'’-&")
        words = text.split()
        # A name ends at its possessive ("Biden's State of the Union") and before a word that opens
        # the next sentence ("in the U.S. This year"); the rest of the run is read on its own.
        tail: list[Span] = []
        cut = next((i + 1 for i, w in enumerate(words[:-1])
                    if re.search(r"['’]s$", w) or (w.endswith(".") and (words[i + 1].lower() in _AFTER_STOP
                                                                        or _ends_sentence(w)))), 0)
        if cut:
            rest = m.start()
            for w in words[:cut]:
                rest = sentence.find(w, rest) + len(w)
            rest = sentence.find(words[cut], rest)
            tail = [Span(t.start + rest, t.end + rest, t.text, t.kind) for t in _names(sentence[rest:m.end()])]
            words = words[:cut]
            if _ends_sentence(words[-1]):
                words[-1] = words[-1].rstrip(".")
        while words and (words[0].lower().strip(".") in _NOT_NAMES or words[0][0].isdigit()):
            words = words[1:]  # "In Paris" -> "Paris", "No. 3 LSU" -> "LSU"
        if words and re.search(r"-[a-z]", words[-1]):  # "Pulitzer Prize-winning" -> "Pulitzer Prize"
            words[-1] = words[-1][:re.search(r"-[a-z]", words[-1]).start()]
        while words and (words[-1].lower() in ("of", "the", "and", "&", "for", "on", "in", "at")
                         or words[-1] in _TRAILING_ROLES):
            words = words[:-1]
        if len(words) > 1 and words[-1].lower() in _WEEKDAYS and words[-2].lower() not in _DAY_MODIFIERS:
            words = words[:-1]  # "in Manhattan Tuesday" -> "Manhattan" (but "Black Friday")
        text = re.sub(r"['’]s$", "", " ".join(words))
        if words and not (len(words) == 1 and (text.lower().strip(".") in _NOT_NAMES or len(text) < 2)):
            start = sentence.find(text, m.start())
            out.append(Span(start, start + len(text), text, NAME))
        out.extend(tail)
    return out


def spans(sentence: str, focus: tuple[str, ...] = ()) -> list[Span]:
    """Candidate answers in one sentence: names, dates, numbers, quoted titles and focus qualifiers."""
    out: list[Span] = []
    dates = [Span(m.start(), m.end(), m.group(0), DATE) for m in _DATE_RE.finditer(sentence)]
    out.extend(dates)
    taken = [(d.start, d.end) for d in dates]
    for m in _NUMBER_RE.finditer(sentence):
        if any(a <= m.start() < b for a, b in taken):
            continue
        text = m.group(0).strip()
        if not any(ch.isdigit() for ch in text) and text.lower().split()[0] not in _NUMBER_WORDS:
            continue
        if text.split()[0].isdigit() and re.search(r"(?<![.!?]\s)\b[A-Z][\w&-]*\s$", sentence[:m.start()]):
            continue  # "Super Bowl 57", "S&P 500": part of a name, not a quantity
        out.append(Span(m.start(), m.start() + len(text), text, NUMBER))
    for n in _names(sentence):
        if not any(a <= n.start < b for a, b in taken) and n.text.lower().strip(".") not in _MONTHS:
            out.append(n)
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
