"""Extractive answers: a short answer found in the passages, then the sentences that back it, cited.

Sentences of the retrieved passages are scored against the question (embedding similarity,
word overlap, passage rank). The question's type (rag.answer.extract) says what an answer must be:
a name, a date, a number with its unit, or "an X" for "which X". Candidates of that kind that
the question does not already contain are collected from the best sentences (and from short
lines, such as a list under a heading: "Actress in a comedy or musical" / "Michelle Yeoh, ...")
and scored by how well their sentences match the question and how close they stand to the
question's words, summed over the articles that give them (the redundancy of Brill et al.,
"An Analysis of the AskMSR Question-Answering System", 2002: the answer that several sources
agree on). A clear winner opens the answer in bold, with its citation and the sentences that
support it; without one, the answer says the sources do not settle it and quotes what comes
closest. Only sentences marked quotable at indexing (rag.core.sentences) are quoted.
"""

from __future__ import annotations

import functools
import logging
import re
from datetime import date
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from langchain_core.embeddings import Embeddings

from . import extract
from ..core import mentions
from ..core.terms import stemmer as _stemmer, terms
from ..core.text import asks, jaccard, shingles
from ..core.instructions import is_instruction
from ..core.sentences import INSTRUCTION, SENTENCE, SHORT
from ..core.types import Answer, Citation, Passage, human_date

log = logging.getLogger(__name__)

MAX_SENTENCES = 3
MAX_CHARS = 600
NOT_COVERED = "The corpus does not cover this: no indexed article answers the question."
QUESTION = "question"  # a sentence that asks: it may back a short answer, never be quoted

# Weights of the sentence score: similarity first, word overlap as the tie-breaker of names and
# numbers, a little credit for the passage's rank. Set by hand; `rag.bench` measures the effect.
LEXICAL_WEIGHT = 0.35
RANK_WEIGHT = 0.05
MIN_SENTENCE_CHARS = 25
MAX_SENTENCE_CHARS = 400
# A sentence joins the answer only if it scores close to the best one.
KEEP_RATIO = 0.8
# Two outlets disagree on a figure when sentences this similar (cosine of their embeddings)
# give different numbers for the same thing ("42 people" / "57 people"). Set by hand: a
# reworded report of one fact scores about 0.8-0.95 with this model, two different facts of
# one story mostly below 0.7.
DISAGREE_SIMILARITY = 0.75
_DIGITS = re.compile(r"\d[\d,]*(?:\.\d+)?")


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
SUPPORT_SENTENCES = 2
NAMED_CANDIDATES = 3  # without a clear winner, the answer names this many candidates
HINTED_CANDIDATES = 5  # candidates listed for a model writing the answer
MAX_CANDIDATES_PER_SENTENCE = 12
COUNTRY_NOUNS = frozenset({"country", "nation", "countries", "nations"})
# A question naming something no retrieved passage mentions is refused unless its best sentence
# scores at least this (MIN_EVIDENCE, 0.55 by default, is the floor for every question). Chosen with
# `python -m rag.bench calibrate` on even weeks (a higher bar refuses more unanswerable questions
# there but not on odd weeks); with the floors below, false refusals / unanswerable questions
# refused are 1.1% / 33.3% on even weeks and 3.2% / 43.5% on odd weeks.
MISSING_NAME_EVIDENCE = 0.75
# "What is happening in Valdoria?" matches no one sentence as well as a question of fact matches
# its answer: questions that are not factoid need MIN_EVIDENCE less this. On the calibration data
# (even weeks) it refuses as many; on odd weeks one unanswerable question fewer (45.7% -> 43.5%).
BROAD_QUESTION_MARGIN = 0.10
# Sentences scoring under this are not searched for candidates (independent of MIN_EVIDENCE, the
# refusal threshold, which is calibrated on its own).
CANDIDATE_FLOOR = 0.45
# Sentences of newer articles score more, by AGE_WEIGHT halved every AGE_HALF_LIFE days before the
# question's date (chosen on the first half of the weeks, like the weights above).
AGE_WEIGHT = 0.2
AGE_HALF_LIFE = 30.0


@dataclass(frozen=True)
class _Candidate:
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


@dataclass
class _Short:
    """A candidate short answer, with its best occurrence per article."""

    key: str
    text: str
    best: dict[str, tuple[float, _Candidate, extract.Span]] = field(default_factory=dict)
    # Its best occurrence in a sentence of prose per article (the quotable one, where ``best`` may be
    # a short line).
    prose: dict[str, tuple[float, _Candidate, extract.Span]] = field(default_factory=dict)
    weight: float = 1.0  # how well it fits the kind of thing asked for (see _by_type)

    @property
    def score(self) -> float:
        ranked = sorted((v[0] for v in self.best.values()), reverse=True)
        return self.weight * sum(s / (1 + i) for i, s in enumerate(ranked))

    def occurrences(self) -> list[tuple[float, _Candidate, extract.Span]]:
        return sorted(self.best.values(), key=lambda v: -v[0])

    def add(self, article_id: str, occurrence: tuple[float, _Candidate, extract.Span]) -> None:
        """An occurrence in an article: the article's best one counts for the score."""
        for kept in (self.best, self.prose) if occurrence[1].kind == SENTENCE else (self.best,):
            if occurrence[0] > kept.get(article_id, (0.0,))[0]:
                kept[article_id] = occurrence

    def shown(self) -> list[_Candidate]:
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

    def quotable(self) -> _Candidate | None:
        """Its best occurrence in a sentence of prose, if any."""
        return max(self.prose.values(), key=lambda v: v[0], default=(0.0, None))[1]


def figures(text: str) -> dict[str, set[str]]:
    """Figures in a sentence by the word that follows them (rag.core.mentions): {"people": {"42"}, "%": {"3.5"}}."""
    out: dict[str, set[str]] = {}
    for n in mentions.numbers(text):
        if n.count and not n.spelled and n.unit_word:
            out.setdefault(n.unit_word, set()).add(_DIGITS.search(n.text).group(0).replace(",", ""))
    return out


def disagreement(a: str, b: str) -> str | None:
    """The unit two sentences give different figures for, if they do."""
    fa, fb = figures(a), figures(b)
    for unit in fa.keys() & fb.keys():
        if not fa[unit] & fb[unit]:
            return unit
    return None


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# Capitalised adjectives of nations and peoples ("European", "Canadian", "British", "Chinese").
_ADJECTIVE = re.compile(r"(?:ean|ian|ish|ese)$")


def named(question: str, opening: bool = False) -> list[tuple[str, list[str]]]:
    """The names a question (or a topic) gives, each with its words of three letters or more.

    A capitalised word opening a sentence of the question is not taken for a name ("Huge crowds")
    unless ``opening`` (a topic's first word is mostly its name: "Kessel river bridge"), nor the
    word for a people ("European", "British")."""
    starts = set() if opening else {m.end() for m in re.finditer(r"(?:^|[.!?:]\s+)[\"“‘']?", question)}
    out: list[tuple[str, list[str]]] = []
    for span in extract.spans(question):
        if span.kind != extract.NAME or any(span.text == n for n, _ in out):
            continue
        words = [w for w in re.findall(r"\w+", span.text.lower()) if len(w) > 2]  # not "U", "S"
        if not words or (len(words) == 1 and (span.start in starts or _ADJECTIVE.search(words[0]))):
            continue
        out.append((span.text, words))
    return out


def mentions_name(name: tuple[str, list[str]], passages: Sequence[Passage]) -> bool:
    """Whether the passages (text or title) mention a name of :func:`named`, in full or word by word."""
    seen = " ".join(f"{p.chunk.title}\n{p.chunk.text}" for p in passages).lower()
    return name[0].lower() in seen or set(name[1]) <= set(re.findall(r"\w+", seen))


def on_topic(topic: str, passages: Sequence[Passage]) -> list[Passage]:
    """The passages that mention every name the topic gives which any of them mentions: a timeline
    of "East Palestine train derailment" leaves out another town's derailment. When the topic gives
    names and none of the passages mentions any of them, none is on the topic ("Tyre Nichols" found
    only stories close in meaning)."""
    given = named(topic, opening=True)
    names = [n for n in given if mentions_name(n, passages)]
    if given and not names:
        return []
    return [p for p in passages if all(mentions_name(n, [p]) for n in names)]


def split_names(question: str, passages: Sequence[Passage]) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """The names the question gives (:func:`named`) that the passages mention, and the ones no passage
    (text or title) mentions, in full or word by word."""
    mentioned, missing = [], []
    for n in named(question):
        if mentions_name(n, passages):
            mentioned.append(n)
        else:
            missing.append(n[0])
    return mentioned, missing


def missing_names(question: str, passages: Sequence[Passage]) -> list[str]:
    """Names the question gives that no passage (text or title) mentions, in full or word by word."""
    return split_names(question, passages)[1]


def not_covered(passages: Sequence[Passage], limit: int = 3, missing: Sequence[str] = ()) -> str:
    """The refusal, saying what the search did find and what to try next."""
    titles = list(dict.fromkeys(p.chunk.title for p in passages if p.chunk.title))[:limit]
    if not titles:
        return NOT_COVERED
    found = "; ".join(f"“{_flat(t)}”" for t in titles)
    gap = (f"none of them mentions {', '.join(missing)}" if missing
           else "they do not answer the question")
    return (f"The corpus does not cover this: the nearest articles are {found}, and {gap}. "
            "Try another date range, or a topic summary (/summary topic in Discord).")


def outside_window(answer: Answer, window: tuple[date | None, date] | None) -> Answer:
    """The answer, with a notice when none of the articles it quotes is dated in the time the
    question asks about ("this week"): older stories on the subject may not answer it."""
    if window is None or not answer.citations or any(
            c.published and _in_window_date(c.published, window) for c in answer.citations):
        return answer
    since, until = window
    span = human_date(until) if since is None or since == until else f"{human_date(since)} – {human_date(until)}"
    return answer.with_notice(f"none of the quoted articles is dated {span}, the time the question asks about")


def refusal(question: str, reason: str = NOT_COVERED) -> Answer:
    return Answer(question=question, text=reason, refused=True)


class ExtractiveAnswerer:
    """Answers from the passages' own words: a short answer when one wins clearly, and its support.

    ``min_evidence`` is the score the best sentence must reach (cosine similarity to the
    question plus weighted word overlap); below it the corpus "does not cover" the question.
    """

    def __init__(self, embeddings: Embeddings, min_evidence: float) -> None:
        self._embeddings = embeddings
        self._min_evidence = min_evidence

    def evidence(self, question: str, passages: Sequence[Passage], short_lines: bool = False,
                 latest: date | None = None) -> list[_Candidate]:
        """Quotable sentences of the passages (and, with ``short_lines``, their short lines), best first;
        with ``latest``, sentences of articles dated near it count more."""
        candidates = self._candidates(passages, short_lines)
        return self._score(question, candidates, latest) if candidates else []

    def covers(self, scored: Sequence[_Candidate]) -> bool:
        """Whether scored evidence (from :meth:`evidence`) holds a sentence close enough to answer."""
        best = next((c for c in scored if c.kind == SENTENCE), None)
        return best is not None and best.score >= self._min_evidence

    def answer(self, question: str, passages: Sequence[Passage],
               window: tuple[date | None, date] | None = None, latest: date | None = None) -> Answer:
        """The answer from ``passages``; ``window`` is the (since, until) the question's own time
        words ask about ("this week"): candidates from articles dated in it count more. With
        ``latest`` (the end of that window, or the day the question is asked), of sentences that
        say much the same the newer article's comes first: news questions mean the latest story."""
        scored = self.evidence(question, passages, short_lines=True, latest=latest)
        sentences = [c for c in scored if c.kind == SENTENCE]
        mentioned, missing = split_names(question, passages)
        # Whether the corpus covers the question is judged on what the sentences say, not their age.
        best = max((c.score - c.recency for c in sentences), default=0.0)
        qtype = extract.analyse(question)
        floor = self._min_evidence - (0.0 if qtype.factoid else BROAD_QUESTION_MARGIN)
        if best < floor or (missing and best < MISSING_NAME_EVIDENCE):
            return refusal(question, not_covered(passages, missing=missing))
        if not qtype.factoid:  # "What happened ...?", "Why ...?": the sentences that say it best
            return outside_window(self._sentences_only(question, sentences, passages), window)
        shorts = self._shorts(question, qtype, scored, window)
        # A clear winner beats the runner-up by CLEAR_MARGIN; a lone candidate must beat the floor so.
        runner_up = max(shorts[1].score if len(shorts) > 1 else 0.0, CANDIDATE_FLOOR)
        if shorts and shorts[0].score >= CLEAR_MARGIN * runner_up and shorts[0].shown() and \
                _backing(shorts[0]) >= SHORT_EVIDENCE and _about(shorts[0], mentioned):
            answer = self._with_short(question, shorts[0], sentences, passages)
        else:
            answer = self._without_short(question, shorts, sentences, passages)
        return outside_window(answer, window)

    def hints(self, question: str, scored: Sequence[_Candidate]) -> str:
        """For a written answer: what the question asks for and the candidates the scored evidence
        (:meth:`evidence` with short lines) gives."""
        qtype = extract.analyse(question)
        if not qtype.factoid:
            return ""
        names = [s.text for s in self._shorts(question, qtype, scored)[:HINTED_CANDIDATES]]
        kind = {extract.NAME: "a name", extract.DATE: "a date", extract.NUMBER: "a number"}.get(qtype.kind, "")
        asked = " ".join(x for x in (kind, f"({qtype.expected})" if qtype.expected else "") if x) or qtype.expected
        line = f"The question asks for {asked}."
        if names:
            line += " Candidates the passages give, most supported first: " + "; ".join(names) + "."
        return line + "\n"

    # --- short answers -------------------------------------------------------------------------

    def _shorts(self, question: str, qtype: extract.QuestionType, scored: Sequence[_Candidate],
                window: tuple[date | None, date] | None = None) -> list[_Short]:
        """Candidate short answers of the kind the question asks for, best first."""
        asked = _words(question)
        qterms = set(terms([extract.question_part(question)])[0]) or set(terms([question])[0])
        focus = {_stem(w) for w in qtype.focus}
        found: dict[str, _Short] = {}
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
            positions = _term_positions(c.text, qterms)
            for span in spans:
                if not extract.fits(span, qtype):
                    continue
                k = extract.key(span.text)
                words = k.split()
                if qtype.kind == extract.NAME and _common_word(c.text, span, prose):
                    continue
                told = words[:1] if span.kind == extract.NUMBER else words  # "34 felony counts": the 34 is new
                if not words or sum(w in asked or _stem(w) in asked for w in told) > QUESTION_SHARE * len(told):
                    continue  # the question's own words are not its answer
                near = _distance(c.text, span, positions)
                support = c.score * (1 - PROXIMITY_WEIGHT + PROXIMITY_WEIGHT / (1 + near / PROXIMITY_WORDS))
                if qtype.kind == extract.NUMBER and focus and focus & {_stem(w) for w in words[1:]}:
                    support *= 1 + UNIT_BONUS
                if qtype.preposition and re.search(rf"\b{qtype.preposition}\s+(?:the\s+)?$",
                                                   c.text[:span.start], re.IGNORECASE):
                    support *= 1 + PREPOSITION_BONUS
                if _in_window(c.passage, window):
                    support *= 1 + WINDOW_BONUS
                if f" {k} " in f" {extract.key(c.passage.chunk.title)} ":
                    support *= 1 + TITLE_BONUS  # the headline names it
                if qtype.person and extract.person_like(span.text):
                    support *= 1 + PERSON_BONUS
                short = found.setdefault(k, _Short(k, span.text))
                short.add(c.passage.chunk.article_id, (support, c, span))
        shorts = sorted(_merge_aliases(found.values()), key=lambda s: -s.score)
        if qtype.expected and qtype.kind in (extract.NAME, extract.THING) and len(shorts) > 1:
            shorts = self._by_type(qtype.expected, shorts)
        return shorts

    def _by_type(self, focus: str, shorts: list[_Short]) -> list[_Short]:
        """Candidates re-weighted by how well each fits the question's X, best first."""
        top = shorts[:TYPE_CHECKED]
        vectors = np.asarray(self._embeddings.embed_documents([focus] + [s.text for s in top]), dtype=np.float32)
        fits = vectors[1:] @ vectors[0]
        for s, fit in zip(top, fits):
            s.weight = 1 + TYPE_WEIGHT * float(fit)
        return sorted(top, key=lambda s: -s.score) + shorts[TYPE_CHECKED:]

    def _with_short(self, question: str, short: _Short, sentences: list[_Candidate],
                    passages: Sequence[Passage]) -> Answer:
        """``**short** [n] — the one or two sentences that support it``."""
        support: list[_Candidate] = []
        for c in short.shown():
            if len(support) == SUPPORT_SENTENCES:
                break
            if any(jaccard(shingles(c.text), shingles(o.text)) > 0.5 for o in support):
                continue
            support.append(c)
        shown = _full_name(short.text, [c for _, c, _ in short.occurrences()])
        rival, notice = self._rival(support[0], sentences) if support[0].kind == SENTENCE else (None, "")
        if rival is not None:
            support = [support[0], rival]
        return self._compose(question, support, passages, short=shown, notice=notice)

    def _without_short(self, question: str, shorts: list[_Short], sentences: list[_Candidate],
                       passages: Sequence[Passage]) -> Answer:
        """No clear winner: the candidates the passages name, and what they say closest to the question."""
        # Candidates are named with a sentence of prose that gives them (never a bare list line).
        named = [s for s in shorts if s.quotable() is not None][:NAMED_CANDIDATES]
        # A sentence that gives a candidate leads; one that only restates the question does not.
        picks = [s.quotable() for s in named] + sentences
        chosen, notice = self._with_rival(self._choose([c for c in picks if c.kind == SENTENCE], ranked=False),
                                          sentences)
        return self._compose(question, chosen, passages, named=named, notice=notice)

    def _sentences_only(self, question: str, sentences: list[_Candidate], passages: Sequence[Passage]) -> Answer:
        chosen, notice = self._with_rival(self._choose(sentences), sentences)
        return self._compose(question, chosen, passages, notice=notice)

    def _with_rival(self, chosen: list[_Candidate], sentences: list[_Candidate]) -> tuple[list[_Candidate], str]:
        """The chosen sentences with another outlet's differing figure second, and the notice saying so."""
        rival, notice = self._rival(chosen[0], sentences)
        if rival is not None and all(rival is not c for c in chosen):
            chosen = [chosen[0], rival, *chosen[1:MAX_SENTENCES - 1]]
        return chosen, notice

    # --- sentences -----------------------------------------------------------------------------

    def _rival(self, best: _Candidate, scored: list[_Candidate]) -> tuple[_Candidate | None, str]:
        """A sentence from another outlet that gives a different figure for what the best one says."""
        if not figures(best.text) or best.vector is None:
            return None, ""
        own = {best.passage.chunk.source, *best.passage.outlets}
        for c in scored:
            if c.score < self._min_evidence or c.passage.chunk.source in own or c.vector is None:
                continue
            if float(np.dot(c.vector, best.vector)) < DISAGREE_SIMILARITY:
                continue
            unit = disagreement(best.text, c.text)
            if unit:
                a = ", ".join(sorted(figures(best.text)[unit]))
                b = ", ".join(sorted(figures(c.text)[unit]))
                unit_text = "" if unit == "%" else f" {unit}"
                return c, (f"outlets disagree: {best.passage.chunk.source or 'one source'} reports {a}{unit_text}, "
                           f"{c.passage.chunk.source or 'another'} {b}{unit_text}")
        return None, ""

    def _candidates(self, passages: Sequence[Passage], short_lines: bool = False) -> list[_Candidate]:
        out = []
        for rank, p in enumerate(passages):
            text = p.chunk.text
            heading = ""
            for s, e, kind in p.chunk.units():
                sentence = text[s:e]
                if kind in (SENTENCE, SHORT) and is_instruction(sentence):
                    kind = INSTRUCTION  # also for indexes marked by an older detector
                if kind == SENTENCE and MIN_SENTENCE_CHARS <= len(sentence) <= MAX_SENTENCE_CHARS:
                    if not asks(sentence):
                        out.append(_Candidate(p, rank, s, e, sentence))
                    elif short_lines:  # "Where had he been hiding for 30 years?": support, never a quote
                        out.append(_Candidate(p, rank, s, e, sentence, kind=QUESTION))
                elif kind == SHORT and short_lines and len(sentence) <= MAX_SENTENCE_CHARS:
                    item = heading if len(sentence.split()) <= LIST_WORDS else ""  # a list's line, not a bulleted sentence
                    out.append(_Candidate(p, rank, s, e, sentence, kind=SHORT, context=item))
                # A heading ("Actress in a comedy or musical") is the context of the lines under it.
                if kind == SHORT and _is_heading(sentence):
                    heading = sentence
                elif kind != SHORT:
                    heading = ""
        return out

    def _score(self, question: str, candidates: list[_Candidate], latest: date | None = None) -> list[_Candidate]:
        texts = [f"{c.context}: {c.text}" if c.context else c.text for c in candidates]
        vectors = np.asarray(self._embeddings.embed_documents(texts + [question]), dtype=np.float32)
        qvec, svecs = vectors[-1], vectors[:-1]
        sims = svecs @ qvec
        qterms = set(terms([question])[0])
        sterms = terms(texts)
        scored = []
        for i, (c, sim, st) in enumerate(zip(candidates, sims, sterms)):
            overlap = len(qterms & set(st)) / len(qterms) if qterms else 0.0
            score = float(sim) + LEXICAL_WEIGHT * overlap + RANK_WEIGHT / (1 + c.rank)
            published = c.passage.chunk.published
            recency = 0.0
            if latest is not None and published is not None:
                recency = AGE_WEIGHT * 0.5 ** (max(0, (latest - published).days) / AGE_HALF_LIFE)
            scored.append(replace(c, score=score + recency, vector=svecs[i], recency=recency))
        return sorted(scored, key=lambda c: -c.score)

    def _choose(self, scored: list[_Candidate], ranked: bool = True) -> list[_Candidate]:
        """Sentences in order, at most MAX_SENTENCES and MAX_CHARS, no near-repeats; with ``ranked``,
        only those scoring close to the best."""
        if not scored:
            return []
        best = scored[0].score
        chosen: list[_Candidate] = []
        used = 0
        for c in scored:
            if len(chosen) == MAX_SENTENCES or (ranked and c.score < best * KEEP_RATIO):
                break
            if any(c is o for o in chosen):
                continue
            size = len(_flat(c.text)) + 5  # room for " [n]"
            if used + size > MAX_CHARS:
                continue
            sh = shingles(c.text)
            if any(jaccard(sh, shingles(o.text)) > 0.5 for o in chosen):
                continue
            chosen.append(c)
            used += size
        return chosen

    def _compose(self, question: str, chosen: list[_Candidate], passages: Sequence[Passage],
                 short: str = "", named: Sequence[_Short] = (), notice: str = "") -> Answer:
        """The answer text with one number per article, and a citation for every quoted sentence."""
        numbers: dict[str, int] = {}

        def n_of(c: _Candidate) -> int:
            return numbers.setdefault(c.passage.chunk.article_id, len(numbers) + 1)

        parts, citations = [], []
        lead = f"**{_flat(short)}** [{n_of(chosen[0])}] —" if short else ""
        for c in chosen:
            n = n_of(c)
            label = f"{_flat(c.context)}: " if c.kind == SHORT and c.context else ""
            parts.append(f"{label}“{_flat(c.text)}” [{n}]" if short else f"{_flat(c.text)} [{n}]")
            citations.append(_cite(c, n))
        for s in named:  # a candidate named without its sentence quoted still cites that sentence
            c = s.quotable()
            if c.passage.chunk.article_id not in {x.article_id for x in citations}:
                citations.append(_cite(c, n_of(c)))
        if short:
            text = " ".join([lead, *parts])
        elif named:
            names = [f"{_flat(s.text)} [{n_of(s.quotable())}]" for s in named]
            mentioned = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
            text = f"The sources do not settle this; they mention {mentioned}. " + " ".join(parts)
        else:
            text = " ".join(parts)
        return Answer(question=question, text=text, refused=False, citations=tuple(citations),
                      mode="extractive", passages=tuple(passages), notice=notice, short=_flat(short))


def _in_window(passage: Passage, window: tuple[date | None, date] | None) -> bool:
    """Whether the passage's article is dated inside the (since, until) window."""
    published = passage.chunk.published
    return window is not None and published is not None and _in_window_date(published, window)


def _in_window_date(published: date, window: tuple[date | None, date]) -> bool:
    since, until = window
    return (since is None or published >= since) and published <= until


def _cite(c: _Candidate, n: int) -> Citation:
    """The citation of a quoted sentence, its span in the article."""
    chunk = c.passage.chunk
    return Citation(n=n, article_id=chunk.article_id, title=chunk.title, source=chunk.source,
                    published=chunk.published, url=chunk.url, quote=c.text,
                    start=chunk.start + c.start, end=chunk.start + c.end, outlets=c.passage.outlets)


# A heading over a list, and the list's lines, are at most this many words ("Best performance by an actress
# in a motion picture – musical or comedy" is 12); a longer line without a full stop is a sentence.
LIST_WORDS = 12
_HEADING_WORDS = frozenset("a an the of in on at by for or and to with from".split())


def _is_heading(line: str) -> bool:
    """A short line that heads a list ("Actress in a comedy or musical", "TELEVISION"), not an item of it."""
    if len(line.split()) > LIST_WORDS:  # "CDC data shows the omicron subvariant BA.5 has become ...": a sentence
        return False
    if line.isupper():
        return True
    if any(q in line for q in "\"“”") or line[:1] in "•-–—*►0123456789":
        return False
    return any(w in _HEADING_WORDS for w in line.split()[1:])


@functools.lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    """The word's Snowball stem, as the lexical index stems (so "Globes" and "globe" meet)."""
    return _stemmer().stemWord(word.lower().strip("'’."))


def _words(text: str) -> set[str]:
    """The text's words and their stems, lower case, without a possessive ("Sunak’s" -> "sunak")."""
    words = {re.sub(r"['’]s$", "", w.lower().strip("'’.")) for w in re.findall(r"[\w'’.-]+", text)}
    return words | {_stem(w) for w in words}


def _term_positions(sentence: str, qterms: set[str]) -> list[int]:
    """Character offsets of the sentence's words that are (stemmed) question terms."""
    words = list(re.finditer(r"\w[\w'’-]*", sentence))
    stems = terms([m.group(0) for m in words]) if words else []
    return [m.start() for m, st in zip(words, stems) if st and st[0] in qterms]


def _distance(sentence: str, span: extract.Span, positions: list[int]) -> float:
    """Words between a candidate and the nearest question word in its sentence (20 when none)."""
    gaps = []
    for p in positions:
        if span.start <= p < span.end:
            continue  # a question word inside the candidate itself
        gap = sentence[span.end:p] if p >= span.end else sentence[p:span.start]
        gaps.append(len(gap.split()))
    return float(min(gaps, default=20))


def _about(short: _Short, mentioned: Sequence[tuple[str, list[str]]]) -> bool:
    """Whether the articles that give a candidate mention what the question names (``mentioned``: the
    names of :func:`split_names` some passage mentions): "Where was the Serbia school shooting?" is not
    answered in bold from an article about a shooting in Michigan."""
    where = [c.passage for _, c, _ in short.best.values()]
    return all(mentions_name(n, where) for n in mentioned)


def _backing(short: _Short) -> float:
    """How well the sentence that backs a candidate best matches the question (without recency)."""
    return max((c.score - c.recency for _, c, _ in short.best.values()), default=0.0)


def _full_name(name: str, where: Sequence[_Candidate]) -> str:
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


def _common_word(sentence: str, span: extract.Span, prose: str) -> bool:
    """Whether a one-word candidate is only capitalised because it opens its sentence ("Potentially this
    strike could go beyond three days", "“Being on the podium ...”"): the passages also write it in
    lower case. An acronym ("US", "WHO") is a name; a label in capitals ("WINNERS: Every driver ...") is not."""
    word = span.text
    return (" " not in word and not (word.isupper() and len(word) <= 4) and not sentence[:span.start].strip(" \"“‘'(")
            and re.search(rf"\b{re.escape(word.lower())}\b", prose) is not None)


def _merge_aliases(shorts) -> list[_Short]:
    """Fold a candidate into a longer one that contains all its words ("Yeoh" into "Michelle Yeoh")."""
    items = sorted(shorts, key=lambda s: -len(s.key.split()))
    kept: list[_Short] = []
    for s in items:
        words = set(s.key.split())
        host = next((k for k in kept if len(k.key.split()) > len(words) and words <= set(k.key.split())), None)
        if host is None:
            kept.append(s)
            continue
        for aid, occ in [*s.best.items(), *s.prose.items()]:
            host.add(aid, occ)
    return kept
