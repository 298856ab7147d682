"""Citation checks for written answers: every claim must be supported by the passage it cites.

A claim (one sentence, or an extractive answer's short answer) is judged against the passages
it cites in two steps:

1. **What it names.** Every person, organisation, place, date and number (with its unit) the
   claim names (read by rag.core.mentions, as short answers read their candidates) must be in the
   cited passage, under one of its usual forms (:class:`rag.core.mentions.Found`): a surname for a full
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
from ..core.mentions import Date, Found, Mention, Name, Number, mentions
from ..core.places import ALIASES
from ..core.terms import terms
from ..core.text import split_sentences
from ..core.words import CONNECTORS, JOINERS, NOT_NAMES, tokens

__all__ = ["Claim", "Verifier", "named", "parse"]

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


# --------------------------------------------------------------------------- what a claim names


def _sentence_starts(text: str) -> set[int]:
    starts = set()
    for a, _ in split_sentences(text):
        m = re.match(r"[\s\"\u201c\u2018'(\[«-]*", text[a:])
        starts.add(a + (m.end() if m else 0))
    # After a colon or an opening quote a capital is not a name either.
    for m in re.finditer(r"[:;\u2014]\s+[\"\u201c\u2018']?|[\"\u201c\u2018]", text):
        starts.add(m.end())
    return starts


def _after_opening_word(name: Name) -> Name:
    """A name opening a sentence with a common noun before a joining word ("Cases of Covid-19", "Shares
    of First Republic Bank"): the name after it; any other name as it is."""
    words = name.words
    i = 1
    while i < len(words) and words[i].key in CONNECTORS:
        i += 1
    if i == 1 or i == len(words):
        return name
    return Name(name.text[words[i].start:], name.start + words[i].start, name.end)


def _claimed(name: Name, starts: set[int]) -> Name | None:
    """The name as a claim makes it, or None. At a sentence's start a name of one word (numbers aside:
    "Tesla", "Aged 81") is left to the word-by-word comparison, which finds a word the passage does
    not have where it has another; a title alone names no one."""
    if name.start in starts:
        if sum(not w.key[:1].isdigit() for w in name.words) < 2:
            return None
        name = _after_opening_word(name)
    return None if name.title_only else name


def named(text: str) -> list[Mention]:
    """What a claim names that the passage it cites must name too: its mentions (rag.core.mentions)
    less the names of :func:`_claimed`, a name inside a date ("Feb. 10" is checked as a date), a lone
    "one", a year (a number already), and a month or weekday opening a sentence."""
    starts = _sentence_starts(text)
    found = mentions(text)
    days = [(m.start, m.end) for m in found if isinstance(m, Date)]
    out: list[Mention] = []
    for m in found:
        if isinstance(m, Name):
            m = None if any(a <= m.start < b for a, b in days) else _claimed(m, starts)
            if m is None:
                continue
        elif isinstance(m, Number):
            if m.value is None or (m.spelled and m.value < 2):  # "one of the", "no one": grammar
                continue
        elif (m.month is None and not m.weekday) or (m.start in starts and (m.month_only or m.weekday)):
            continue
        out.append(m)
    return out


def _label(m: Mention) -> str:
    if isinstance(m, Number):
        return f"the figure {m.text}"
    if isinstance(m, Date):
        if m.day is not None or m.month is None:
            return f"the date {m.text}" if m.day is not None else f"the day {m.text}"
        return f"the month {m.text}"
    return m.text


_EDGE = 2  # words either side that make two places in two sentences the same place


def _slots(text: str) -> list[list[str]]:
    """The keys of each sentence's words, with sentence edges marked."""
    return [["^"] * _EDGE + [t.key for t in tokens(text[a:b])] + ["$"] * _EDGE
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
        return "".join(w[0] for w in words if w and w not in JOINERS)

    return (len(a) == 1 and a[0] == initials(b)) or (len(b) == 1 and b[0] == initials(a))


def _places(text: str, claimed: Sequence[Mention], passage: Found) -> list[tuple[int, int]]:
    """Word spans of the claim to compare place by place: what it names, its capitalised words,
    and the numbers the passage does not have."""
    words = tokens(text)
    spans = []
    for m in claimed:
        if isinstance(m, Date):
            continue
        idx = [k for k, t in enumerate(words) if t.start < m.end and t.end > m.start]
        if idx:
            spans.append((idx[0], idx[-1] + 1))
    # Every run of capitalised words (a one-word name opening the sentence is not among the
    # names) and the numbers the passage does not have. Common words are not compared place by place: another
    # outlet's "debuted" where the passage has "launched" is a paraphrase, not a swap.
    k = 0
    while k < len(words):
        if (words[k].cap and words[k].key not in NOT_NAMES) or (
                words[k].key[:1].isdigit() and words[k].key not in passage.all_keys):
            e = k + 1
            while e < len(words) and words[e].cap:
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
        whole = Found(joined)
        for quoted in _QUOTE.findall(text):
            # Verbatim in its words: the punctuation of a quotation ("... goodwill,\u201d the company said",
            # "I am homosexual, and ...") is the writer's.
            if _spoken(quoted) not in _spoken(joined):
                return Claim(text, cites, False, "a quotation is not verbatim from the cited passage")
        asked = Found(question) if question else None
        claimed = [m for m in named(text) if not (asked and asked.has(m))]
        for m in claimed:
            if not whole.has(m):
                return Claim(text, cites, False, f"the cited passage does not name {_label(m)}")
        # A name, figure or word the passage puts another one in place of ("X won best actress").
        keys = ["^"] * _EDGE + [t.key for t in tokens(text)] + ["$"] * _EDGE
        slots = _slots(joined)
        for i, j in _places(text, claimed, whole):
            other = _swap(keys, i + _EDGE, j + _EDGE, slots)
            if other:
                mine = " ".join(keys[i + _EDGE:j + _EDGE])
                return Claim(text, cites, False,
                             f"the cited passage says \u201c{other}\u201d where this says \u201c{mine}\u201d")
        # Sentence by sentence: only windows that hold everything the claim names.
        holding = [w for w in windows if all(Found(w.text).has(m) for m in claimed)]
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
