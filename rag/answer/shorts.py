"""Short answers: the candidates of the kind a question asks for in the scored sentences, and their scores.

A candidate (a name, a date, a number with its unit, "an X" for "which X"; rag.core.extract reads
them with rag.core.mentions) that the question does not already contain is scored in each sentence
that gives it by how well the sentence matches the question and how close it stands to the
question's words; an article counts once, at its best sentence, and the articles' scores are summed
with falling weights (the redundancy of Brill et al., "An Analysis of the AskMSR Question-Answering
System", 2002: the answer several sources agree on). For "which X" the best candidates are weighed by
how well each fits the X. :class:`rag.answer.extractive.ExtractiveAnswerer` decides whether the best
one wins clearly enough to open the answer in bold.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from langchain_core.embeddings import Embeddings

from ..core import extract
from ..core.sentences import SENTENCE
from ..core.terms import stemmer as _stemmer, terms
from ..core.types import Passage
from .named import mentions_name

QUESTION = "question"  # a sentence that asks: it may back a short answer, never be quoted

# Short answers. A candidate's support in one sentence is the sentence's score times a factor for
# how close it stands to the question's words; an article counts once, at its best sentence, and
# the articles' supports are summed with falling weights (1, 1/2, 1/3 ...). These were chosen on
# the first half of the evaluation weeks (`rag.bench --weeks first-half`) and checked on the other.
PROXIMITY_WORDS = 8  # a candidate this many words from the nearest question word gets half the bonus
PROXIMITY_WEIGHT = 0.4
UNIT_BONUS = 0.2  # "how many states": a number followed by "states"
PREPOSITION_BONUS = 0.3  # "Since when": a date right after "since"
PERSON_BONUS = 0.15  # "who": a name shaped like a person's ("Michelle Yeoh", not a film title)
WINDOW_BONUS = 1.0
TITLE_BONUS = 0.5  # a candidate its passage's headline names (chosen on the first half of the weeks)
QUESTION_SHARE = 0.5  # a candidate with more of its words in the question restates it
# "Which country": how much a candidate's fit to the X (cosine of their embeddings, "country" and
# "New Zealand" against "Jacinda Ardern") counts; only the best TYPE_CHECKED candidates are embedded.
TYPE_WEIGHT = 1.0
TYPE_CHECKED = 12
CLEAR_MARGIN = 1.5  # the winner's score over the runner-up's for a short answer
# ... and the sentence that backs it best must match the question at least this well (its score
# without the recency part): a clear winner among passages that are off the question ("FAA" for a
# story about striking nurses) is named, not claimed in bold. Chosen on the first half of
# the weeks: of its 61 bold answers, 0.60 takes away 5 wrong ones and 2 right ones (second half:
# 6 wrong and 1 right of 66); the answer still names the candidate.
SHORT_EVIDENCE = 0.60
MAX_CANDIDATES_PER_SENTENCE = 12
COUNTRY_NOUNS = frozenset({"country", "nation", "countries", "nations"})
# Sentences scoring under this are not searched for candidates (independent of MIN_EVIDENCE, the
# refusal threshold, which is calibrated on its own).
CANDIDATE_FLOOR = 0.45


@dataclass(frozen=True)
class Candidate:
    """A sentence (or a short line) of a passage, scored against the question."""

    passage: Passage
    rank: int
    start: int  # span in the chunk text
    end: int
    text: str
    score: float = 0.0
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)
    kind: str = SENTENCE  # SHORT lines and QUESTIONs back a short answer only
    context: str = ""  # the heading above a short line
    recency: float = 0.0  # the part of the score that is the article's age, not what it says
    overlap: float = 0.0  # the share of the question's search terms it has (part of the score)


@dataclass
class Short:
    """A candidate short answer, with its best occurrence per article."""

    key: str
    text: str
    best: dict[str, tuple[float, Candidate, extract.Span]] = field(default_factory=dict)
    # Its best occurrence in a sentence of prose per article (the quotable one, where ``best`` may be
    # a short line).
    prose: dict[str, tuple[float, Candidate, extract.Span]] = field(default_factory=dict)
    weight: float = 1.0  # how well it fits the kind of thing asked for (see _by_type)

    @property
    def score(self) -> float:
        ranked = sorted((v[0] for v in self.best.values()), reverse=True)
        return self.weight * sum(s / (1 + i) for i, s in enumerate(ranked))

    def occurrences(self) -> list[tuple[float, Candidate, extract.Span]]:
        return sorted(self.best.values(), key=lambda v: -v[0])

    def add(self, article_id: str, occurrence: tuple[float, Candidate, extract.Span]) -> None:
        """An occurrence in an article: the article's best one counts for the score."""
        for kept in (self.best, self.prose) if occurrence[1].kind == SENTENCE else (self.best,):
            if occurrence[0] > kept.get(article_id, (0.0,))[0]:
                kept[article_id] = occurrence

    def shown(self) -> list[Candidate]:
        """Its best occurrence per article that may be quoted (a sentence or a short line, not a
        question the article asks), best first."""
        out = []
        for aid, (score, c, _span) in self.best.items():
            if c.kind == QUESTION:
                if aid not in self.prose:
                    continue
                score, c, _span = self.prose[aid]
            out.append((score, c))
        return [c for _, c in sorted(out, key=lambda v: -v[0])]

    def quotable(self) -> Candidate | None:
        """Its best occurrence in a sentence of prose, if any."""
        return max(self.prose.values(), key=lambda v: v[0], default=(0.0, None))[1]


def short_answers(question: str, qtype: extract.QuestionType, scored: Sequence[Candidate],
                  embeddings: Embeddings, window: tuple[date | None, date] | None = None) -> list[Short]:
    """Candidate short answers of the kind the question asks for, best first."""
    asked = _words(question)
    qterms = extract.asked_terms(question)
    focus = {_stem(w) for w in qtype.focus}
    found: dict[str, Short] = {}
    prose = "\n".join({c.passage.chunk.text for c in scored}) if qtype.kind == extract.NAME else ""
    floor = CANDIDATE_FLOOR
    for c in scored:
        if c.score < floor:
            break
        spans = extract.spans(c.text, qtype.focus)[:MAX_CANDIDATES_PER_SENTENCE]
        if set(qtype.focus) & COUNTRY_NOUNS:  # "which country": "German Chancellor Olaf Scholz" names Germany
            named = extract.places(c.text)
            spans = [s for s in spans if all(p.start != s.start for p in named)] + named
        if not spans:
            continue
        positions = term_positions(c.text, qterms)
        for span in spans:
            if not extract.fits(span, qtype):
                continue
            k = extract.key(span.text)
            words = k.split()
            if qtype.kind == extract.NAME and common_word(c.text, span, prose):
                continue
            told = words[:1] if span.kind == extract.NUMBER else words  # "34 felony counts": the 34 is new
            if not words or sum(w in asked or _stem(w) in asked for w in told) > QUESTION_SHARE * len(told):
                continue  # the question's own words are not its answer
            near = distance(c.text, span, positions)
            support = c.score * (1 - PROXIMITY_WEIGHT + PROXIMITY_WEIGHT / (1 + near / PROXIMITY_WORDS))
            if qtype.kind == extract.NUMBER and focus and focus & {_stem(w) for w in words[1:]}:
                support *= 1 + UNIT_BONUS
            if qtype.preposition and re.search(rf"\b{qtype.preposition}\s+(?:the\s+)?$",
                                               c.text[:span.start], re.IGNORECASE):
                support *= 1 + PREPOSITION_BONUS
            if in_window(c.passage, window):
                support *= 1 + WINDOW_BONUS
            if f" {k} " in f" {extract.key(c.passage.chunk.title)} ":
                support *= 1 + TITLE_BONUS  # the headline names it
            if qtype.person and extract.person_like(span.text):
                support *= 1 + PERSON_BONUS
            short = found.setdefault(k, Short(k, span.text))
            short.add(c.passage.chunk.article_id, (support, c, span))
    shorts = sorted(merge_aliases(found.values()), key=lambda s: -s.score)
    if qtype.expected and qtype.kind in (extract.NAME, extract.THING) and len(shorts) > 1:
        shorts = by_type(qtype.expected, shorts, embeddings)
    return shorts


def by_type(focus: str, shorts: list[Short], embeddings: Embeddings) -> list[Short]:
    """Candidates re-weighted by how well each fits the question's X, best first."""
    top = shorts[:TYPE_CHECKED]
    vectors = np.asarray(embeddings.embed_documents([focus] + [s.text for s in top]), dtype=np.float32)
    fits = vectors[1:] @ vectors[0]
    for s, fit in zip(top, fits):
        s.weight = 1 + TYPE_WEIGHT * float(fit)
    return sorted(top, key=lambda s: -s.score) + shorts[TYPE_CHECKED:]


def in_window(passage: Passage, window: tuple[date | None, date] | None) -> bool:
    """Whether the passage's article is dated inside the (since, until) window."""
    published = passage.chunk.published
    return window is not None and published is not None and in_window_date(published, window)


def in_window_date(published: date, window: tuple[date | None, date]) -> bool:
    since, until = window
    return (since is None or published >= since) and published <= until


@functools.lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    """The word's Snowball stem, as the lexical index stems (so "Globes" and "globe" meet)."""
    return _stemmer().stemWord(word.lower().strip("'’."))


def _words(text: str) -> set[str]:
    """The text's words and their stems, lower case, without a possessive ("Sunak’s" -> "sunak")."""
    words = {re.sub(r"['’]s$", "", w.lower().strip("'’.")) for w in re.findall(r"[\w'’.-]+", text)}
    return words | {_stem(w) for w in words}


def stemmed_words(sentence: str) -> list[tuple[re.Match, str]]:
    """The sentence's words with their search term (stemmed, as the lexical index has it; "" for a
    word that is no term)."""
    words = list(re.finditer(r"\w[\w'’-]*", sentence))
    stems = terms([m.group(0) for m in words]) if words else []
    return [(m, st[0] if st else "") for m, st in zip(words, stems)]


def term_positions(sentence: str, qterms: set[str], words: list[tuple[re.Match, str]] | None = None) -> list[int]:
    """Character offsets of the sentence's words that are (stemmed) question terms (``words``: its
    :func:`stemmed_words`, when already read)."""
    return [m.start() for m, st in (stemmed_words(sentence) if words is None else words) if st and st in qterms]


def distance(sentence: str, span: extract.Span, positions: list[int]) -> float:
    """Words between a candidate and the nearest question word in its sentence (20 when none)."""
    gaps = []
    for p in positions:
        if span.start <= p < span.end:
            continue  # a question word inside the candidate itself
        gap = sentence[span.end:p] if p >= span.end else sentence[p:span.start]
        gaps.append(len(gap.split()))
    return float(min(gaps, default=20))


def about(short: Short, mentioned: Sequence[tuple[str, list[str]]]) -> bool:
    """Whether the articles that give a candidate mention what the question names (``mentioned``: the
    names of :func:`split_names` some passage mentions): "Where was the Serbia school shooting?" is not
    answered in bold from an article about a shooting in Michigan."""
    where = [c.passage for _, c, _ in short.best.values()]
    return all(mentions_name(n, where) for n in mentioned)


def backing(short: Short) -> float:
    """How well the sentence that backs a candidate best matches the question (without recency)."""
    return max((c.score - c.recency for _, c, _ in short.best.values()), default=0.0)


def full_name(name: str, where: Sequence[Candidate]) -> str:
    """A one-word name in the full form the supporting passages give it ("Bucks" -> "Milwaukee Bucks")."""
    if len(name.split()) != 1 or not name[:1].isupper():
        return name
    counts: dict[str, int] = {}
    for c in where:
        for text in (c.passage.chunk.title, c.passage.chunk.text):
            for span in extract.spans(text):
                words = span.text.split()
                if span.kind == extract.NAME and 1 < len(words) <= 4 and name in words:
                    counts[span.text] = counts.get(span.text, 0) + 1
    return max(counts, key=lambda k: (counts[k], -len(k))) if counts else name


def common_word(sentence: str, span: extract.Span, prose: str) -> bool:
    """Whether a one-word candidate is only capitalised because it opens its sentence ("Potentially this
    strike could go beyond three days", "“Being on the podium ...”"): the passages also write it in
    lower case. An acronym ("US", "WHO") is a name; a label in capitals ("WINNERS: Every driver ...") is not."""
    word = span.text
    return (" " not in word and not (word.isupper() and len(word) <= 4) and not sentence[:span.start].strip(" \"“‘'(")
            and re.search(rf"\b{re.escape(word.lower())}\b", prose) is not None)


def merge_aliases(shorts) -> list[Short]:
    """Fold a candidate into a longer one that contains all its words ("Yeoh" into "Michelle Yeoh")."""
    items = sorted(shorts, key=lambda s: -len(s.key.split()))
    kept: list[Short] = []
    for s in items:
        words = set(s.key.split())
        host = next((k for k in kept if len(k.key.split()) > len(words) and words <= set(k.key.split())), None)
        if host is None:
            kept.append(s)
            continue
        for aid, occ in [*s.best.items(), *s.prose.items()]:
            host.add(aid, occ)
    return kept
