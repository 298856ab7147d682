"""Extractive answers: a short answer found in the passages, then the sentences that back it, cited.

Sentences of the retrieved passages are scored against the question (embedding similarity,
word overlap, passage rank). The question's type (rag.core.extract) says what an answer must be:
a name, a date, a number with its unit, or "an X" for "which X". Candidates of that kind are
collected from the best sentences (and from short lines, such as a list under a heading:
"Actress in a comedy or musical" / "Michelle Yeoh, ...") and scored over the articles that give
them (rag.answer.shorts). A clear winner opens the answer in bold, with its citation and the
sentences that support it; without one, the answer says the sources do not settle it and quotes
what comes closest. Only sentences marked quotable at indexing (rag.core.sentences) are quoted.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
from langchain_core.embeddings import Embeddings

from ..core import extract
from ..core import mentions
from ..core.instructions import is_instruction
from ..core.sentences import INSTRUCTION, SENTENCE, SHORT
from ..core.terms import terms
from ..core.text import asks, balance_quotes, jaccard, shingles
from ..core.types import Answer, Citation, Passage, human_date
from .judge import AnswerJudge
from .named import split_names
from .refusals import nearest_titles, naming_refusal
from .shorts import (CANDIDATE_FLOOR, CLEAR_MARGIN, QUESTION, SHORT_EVIDENCE, Candidate, Short, about, backing,
                     full_name, in_window_date, short_answers)

log = logging.getLogger(__name__)

MAX_SENTENCES = 3
MAX_CHARS = 600
NOT_COVERED = "The corpus does not cover this: no indexed article answers the question."
# How the hand-set rules open an answer without a clear winner: the names the sources mention.
UNSETTLED = "The sources do not settle this; they mention"

# Weights of the sentence score: similarity first, word overlap as the tie-breaker of names and
# numbers, a little credit for the passage's rank. Set by hand; `rag.bench` measures the effect.
LEXICAL_WEIGHT = 0.35
RANK_WEIGHT = 0.05
MIN_SENTENCE_CHARS = 25
MAX_SENTENCE_CHARS = 400
# A sentence joins the answer only if it scores close to the best one.
KEEP_RATIO = 0.8
# A sentence the judge finds at least this likely to give the answer is quoted in its order (on the training
# weeks, 28% of such sentences hold the answer, 3% of the others); chosen on the bench's first half (0.05, 0.1, 0.2).
QUOTE_PROBABILITY = 0.1
# Two outlets disagree on a figure when sentences this similar (cosine of their embeddings)
# give different numbers for the same thing ("42 people" / "57 people"). Set by hand: a
# reworded report of one fact scores about 0.8-0.95 with this model, two different facts of
# one story mostly below 0.7.
DISAGREE_SIMILARITY = 0.75
_DIGITS = re.compile(r"\d[\d,]*(?:\.\d+)?")
SUPPORT_SENTENCES = 2
NAMED_CANDIDATES = 3  # without a clear winner, the answer names this many candidates
HINTED_CANDIDATES = 5  # candidates listed for a model writing the answer
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
# Sentences of newer articles score more, by AGE_WEIGHT halved every AGE_HALF_LIFE days before the
# question's date (chosen on the first half of the weeks, like the weights above).
AGE_WEIGHT = 0.2
AGE_HALF_LIFE = 30.0


def best_match(sentences: Sequence[Candidate]) -> float:
    """How well the best scored sentence matches the question, without the credit for its age: whether
    the corpus covers a question is judged on what the sentences say."""
    return max((c.score - c.recency for c in sentences), default=0.0)


def weak_evidence(best: float, factoid: bool, missing: bool, min_evidence: float) -> bool:
    """The hand-set floor: the best sentence (:func:`best_match`) is under MIN_EVIDENCE (less
    BROAD_QUESTION_MARGIN for a question that is not factoid), or under MISSING_NAME_EVIDENCE when
    a name the question gives is in no passage."""
    floor = min_evidence - (0.0 if factoid else BROAD_QUESTION_MARGIN)
    return best < floor or (missing and best < MISSING_NAME_EVIDENCE)


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


def not_covered(passages: Sequence[Passage], limit: int = 3, missing: Sequence[str] = ()) -> str:
    """The refusal, saying what the search did find (what to try next is the surface's to say: each
    names its own commands, and dates only when the user gave some)."""
    titles = nearest_titles(passages, limit)
    if not titles:
        return NOT_COVERED
    found = "; ".join(f"“{_flat(t)}”" for t in titles)
    gap = (f"none of them mentions {', '.join(missing)}" if missing
           else "they do not answer the question")
    return f"The corpus does not cover this: the nearest articles are {found}, and {gap}."


def outside_window(answer: Answer, window: tuple[date | None, date] | None) -> Answer:
    """The answer, with a notice when none of the articles it quotes is dated in the time the
    question asks about ("this week"): older stories on the subject may not answer it."""
    if window is None or not answer.citations or any(
            c.published and in_window_date(c.published, window) for c in answer.citations):
        return answer
    since, until = window
    span = human_date(until) if since is None or since == until else f"{human_date(since)} – {human_date(until)}"
    return answer.with_notice(f"none of the quoted articles is dated {span}, the time the question asks about")


def refusal(question: str, reason: str = NOT_COVERED) -> Answer:
    return Answer(question=question, text=reason, refused=True)


@dataclass(frozen=True)
class Reading:
    """What the answerer reads of a question and its passages before it decides anything (and what the
    answer judge's training reads of each training question: rag.learn.answers)."""

    qtype: extract.QuestionType
    scored: list[Candidate]  # the sentences and short lines, scored against the question, best first
    sentences: list[Candidate]  # the quotable sentences among them
    mentioned: list[tuple[str, list[str]]]  # the question's names some passage mentions
    missing: list[str]  # ... and those none does


# Passages the extractive answer reads (at least; TOP_K when larger): the answerable bench questions have the
# answer in the ranked first 8 for 84.8% and in the first 12 for 87.1% (docs/models.md). The answer judge
# learns from what it reads, so changing this means retraining it (`python -m rag.learn answers`).
READ_PASSAGES = 12


def passages_read(top_k: int) -> int:
    """How many ranked passages the extractive answer reads with TOP_K = ``top_k``: answering, the answer
    judge's training rows and the refusal calibration all read this many, so the judge sees what it learned from."""
    return max(top_k, READ_PASSAGES)


class ExtractiveAnswerer:
    """Answers from the passages' own words: a short answer when one wins clearly, and its support.

    ``min_evidence`` is the score the best sentence must reach (cosine similarity to the
    question plus weighted word overlap); below it the corpus "does not cover" the question.
    """

    def __init__(self, embeddings: Embeddings, min_evidence: float, judge: AnswerJudge | None = None) -> None:
        self._embeddings = embeddings
        self._min_evidence = min_evidence
        self._judge = judge  # the learned judgement (rag.answer.judge); None: the hand-set rules

    def evidence(self, question: str, passages: Sequence[Passage], short_lines: bool = False,
                 latest: date | None = None) -> list[Candidate]:
        """Quotable sentences of the passages (and, with ``short_lines``, their short lines), best first;
        with ``latest``, sentences of articles dated near it count more."""
        candidates = self._candidates(passages, short_lines)
        return self._score(question, candidates, latest) if candidates else []

    def covers(self, scored: Sequence[Candidate]) -> bool:
        """Whether scored evidence (from :meth:`evidence`) holds a sentence close enough to answer."""
        best = next((c for c in scored if c.kind == SENTENCE), None)
        return best is not None and best.score >= self._min_evidence

    def read(self, question: str, passages: Sequence[Passage], latest: date | None = None) -> Reading:
        """The question's kind, the passages' scored evidence (short lines too; with ``latest``, newer
        articles' sentences count more) and which of the question's names they mention."""
        scored = self.evidence(question, passages, short_lines=True, latest=latest)
        mentioned, missing = split_names(question, passages)
        return Reading(extract.analyse(question), scored, [c for c in scored if c.kind == SENTENCE], mentioned, missing)

    def answer(self, question: str, passages: Sequence[Passage],
               window: tuple[date | None, date] | None = None, latest: date | None = None) -> Answer:
        """The answer from ``passages``; ``window`` is the (since, until) the question's own time
        words ask about ("this week"): candidates from articles dated in it count more. With
        ``latest`` (the end of that window, or the day the question is asked), of sentences that
        say much the same the newer article's comes first: news questions mean the latest story."""
        reading = self.read(question, passages, latest)
        qtype, scored, sentences, mentioned, missing = (reading.qtype, reading.scored, reading.sentences,
                                                        reading.mentioned, reading.missing)
        weak = weak_evidence(best_match(sentences), qtype.factoid, bool(missing), self._min_evidence)
        # The judge learned from quiz questions, which ask for a name, a date, a figure or an X: a question
        # that asks what someone said or what happened is answered by the hand-set rules, and refused by the
        # learned refusal (REFUSAL=learned, when it learned from such questions) or else by the hand-set floor.
        if qtype.factoid and self._judge is not None and self._judge.available():
            judged = self._judged(question, qtype, scored, sentences, passages, mentioned, missing, window, weak)
            return outside_window(judged, window)
        if self._judge is not None and self._judge.refuses:
            p = self._judge.answered(question, qtype, sentences, passages, len(missing), len(mentioned) + len(missing),
                                     window)
            weak = weak if p is None else p < self._judge.refuse
        if weak:
            # Worded to name a candidate when a nearest article names one in its title (rag.answer.refusals).
            return naming_refusal(question, qtype, scored, passages, missing, self._embeddings, window) or \
                refusal(question, not_covered(passages, missing=missing))
        if not qtype.factoid:  # "What happened ...?", "Why ...?": the sentences that say it best
            return outside_window(self._sentences_only(question, sentences, passages), window)
        shorts = short_answers(question, qtype, scored, self._embeddings, window)
        # A clear winner beats the runner-up by CLEAR_MARGIN; a lone candidate must beat the floor so.
        runner_up = max(shorts[1].score if len(shorts) > 1 else 0.0, CANDIDATE_FLOOR)
        if shorts and shorts[0].score >= CLEAR_MARGIN * runner_up and shorts[0].shown() and \
                backing(shorts[0]) >= SHORT_EVIDENCE and about(shorts[0], mentioned):
            answer = self._with_short(question, shorts[0], sentences, passages)
        else:
            answer = self._without_short(question, shorts, sentences, passages)
        return outside_window(answer, window)

    def _judged(self, question: str, qtype: extract.QuestionType, scored: list[Candidate],
                sentences: list[Candidate], passages: Sequence[Passage], mentioned, missing: list[str],
                window: tuple[date | None, date] | None, weak: bool) -> Answer:
        """The answer as the learned judge reads the passages: refused when they do not answer (by the
        learned refusal with REFUSAL=learned, else when the evidence is ``weak`` by the hand-set floor); the
        most probable candidate in bold when it is probable enough, named as likely (not in bold) when
        it is less so; the sentences the judge finds likeliest to give the answer quoted (never a list of names)."""
        shorts = short_answers(question, qtype, scored, self._embeddings, window)
        judged = self._judge.judge(question, qtype, shorts, sentences, passages, len(missing),
                                   len(mentioned) + len(missing), window, self._embeddings)
        if not sentences or (judged.answers < self._judge.refuse if self._judge.refuses else weak):
            return naming_refusal(question, qtype, scored, passages, missing, self._embeddings, window) or \
                refusal(question, not_covered(passages, missing=missing))
        if not judged.probabilities:
            return self._sentences_only(question, sentences, passages)
        order = sorted(range(len(judged.probabilities)), key=lambda i: -judged.probabilities[i])
        top = shorts[order[0]]
        if judged.probabilities[order[0]] >= self._judge.bold and top.shown():
            return self._with_short(question, top, sentences, passages)
        # Not sure enough to claim it: the sentences likeliest to give the answer (the sentence model), led by
        # the one that gives the likeliest candidate when that is probable enough to be named as likely (not
        # claimed in bold). Never a list of names.
        lead = top.quotable() if judged.probabilities[order[0]] >= self._judge.likely else None
        chosen, notice = self._with_rival(
            self._choose([*([lead] if lead is not None else []), *by_judgement(sentences, judged.sentences)],
                         ranked=False), sentences)
        likely = full_name(top.text, [c for _, c, _ in top.occurrences()]) if lead is not None and chosen and \
            chosen[0] is lead else ""
        return self._compose(question, chosen, passages, short=likely, notice=notice, hedged=True)

    def hints(self, question: str, scored: Sequence[Candidate]) -> str:
        """For a written answer: what the question asks for and the candidates the scored evidence
        (:meth:`evidence` with short lines) gives."""
        qtype = extract.analyse(question)
        if not qtype.factoid:
            return ""
        names = [s.text for s in short_answers(question, qtype, scored, self._embeddings)[:HINTED_CANDIDATES]]
        kind = {extract.NAME: "a name", extract.DATE: "a date", extract.NUMBER: "a number"}.get(qtype.kind, "")
        asked = " ".join(x for x in (kind, f"({qtype.expected})" if qtype.expected else "") if x) or qtype.expected
        line = f"The question asks for {asked}."
        if names:
            line += " Candidates the passages give, most supported first: " + "; ".join(names) + "."
        return line + "\n"

    # --- short answers -------------------------------------------------------------------------

    def _with_short(self, question: str, short: Short, sentences: list[Candidate],
                    passages: Sequence[Passage]) -> Answer:
        """``**short** [n] — the one or two sentences that support it``."""
        support: list[Candidate] = []
        for c in short.shown():
            if len(support) == SUPPORT_SENTENCES:
                break
            if any(jaccard(shingles(c.text), shingles(o.text)) > 0.5 for o in support):
                continue
            support.append(c)
        shown = full_name(short.text, [c for _, c, _ in short.occurrences()])
        rival, notice = self._rival(support[0], sentences) if support[0].kind == SENTENCE else (None, "")
        if rival is not None:
            support = [support[0], rival]
        return self._compose(question, support, passages, short=shown, notice=notice)

    def _without_short(self, question: str, shorts: list[Short], sentences: list[Candidate],
                       passages: Sequence[Passage]) -> Answer:
        """No clear winner: the candidates the passages name, and what they say closest to the question."""
        # Candidates are named with a sentence of prose that gives them (never a bare list line).
        named = [s for s in shorts if s.quotable() is not None][:NAMED_CANDIDATES]
        # A sentence that gives a candidate leads; one that only restates the question does not.
        picks = [s.quotable() for s in named] + sentences
        chosen, notice = self._with_rival(self._choose([c for c in picks if c.kind == SENTENCE], ranked=False),
                                          sentences)
        return self._compose(question, chosen, passages, named=named, notice=notice)

    def _sentences_only(self, question: str, sentences: list[Candidate], passages: Sequence[Passage]) -> Answer:
        chosen, notice = self._with_rival(self._choose(sentences), sentences)
        return self._compose(question, chosen, passages, notice=notice)

    def _with_rival(self, chosen: list[Candidate], sentences: list[Candidate]) -> tuple[list[Candidate], str]:
        """The chosen sentences with another outlet's differing figure second, and the notice saying so."""
        rival, notice = self._rival(chosen[0], sentences)
        if rival is not None and all(rival is not c for c in chosen):
            chosen = [chosen[0], rival, *chosen[1:MAX_SENTENCES - 1]]
        return chosen, notice

    # --- sentences -----------------------------------------------------------------------------

    def _rival(self, best: Candidate, scored: list[Candidate]) -> tuple[Candidate | None, str]:
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

    def _candidates(self, passages: Sequence[Passage], short_lines: bool = False) -> list[Candidate]:
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
                        out.append(Candidate(p, rank, s, e, sentence))
                    elif short_lines:  # "Where had he been hiding for 30 years?": support, never a quote
                        out.append(Candidate(p, rank, s, e, sentence, kind=QUESTION))
                elif kind == SHORT and short_lines and len(sentence) <= MAX_SENTENCE_CHARS:
                    item = heading if len(sentence.split()) <= LIST_WORDS else ""  # a list's line, not a bulleted sentence
                    out.append(Candidate(p, rank, s, e, sentence, kind=SHORT, context=item))
                # A heading ("Actress in a comedy or musical") is the context of the lines under it.
                if kind == SHORT and _is_heading(sentence):
                    heading = sentence
                elif kind != SHORT:
                    heading = ""
        return out

    def _score(self, question: str, candidates: list[Candidate], latest: date | None = None) -> list[Candidate]:
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
            scored.append(replace(c, score=score + recency, vector=svecs[i], recency=recency, overlap=overlap))
        return sorted(scored, key=lambda c: -c.score)

    def _choose(self, scored: list[Candidate], ranked: bool = True) -> list[Candidate]:
        """Sentences in order, at most MAX_SENTENCES and MAX_CHARS, no near-repeats; with ``ranked``,
        only those scoring close to the best."""
        if not scored:
            return []
        best = scored[0].score
        chosen: list[Candidate] = []
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

    def _compose(self, question: str, chosen: list[Candidate], passages: Sequence[Passage],
                 short: str = "", named: Sequence[Short] = (), notice: str = "", hedged: bool = False) -> Answer:
        """The answer text with one number per article, and a citation for every quoted sentence."""
        numbers: dict[str, int] = {}

        def n_of(c: Candidate) -> int:
            return numbers.setdefault(c.passage.chunk.article_id, len(numbers) + 1)

        parts, citations = [], []
        lead = ((f"Likely {_flat(short)} [{n_of(chosen[0])}] —" if hedged else f"**{_flat(short)}** [{n_of(chosen[0])}] —")
                if short else "")
        for c in chosen:
            n = n_of(c)
            label = f"{_flat(c.context)}: " if c.kind == SHORT and c.context else ""
            quoted = _flat(balance_quotes(c.text))  # a piece of a longer quotation, its marks closed
            parts.append(f"{label}“{quoted}” [{n}]" if short else f"{quoted} [{n}]")
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
            text = f"{UNSETTLED} {mentioned}. " + " ".join(parts)
        else:
            text = " ".join(parts)
        return Answer(question=question, text=text, refused=False, citations=tuple(citations),
                      mode="extractive", passages=tuple(passages), notice=notice, short="" if hedged else _flat(short))


def by_judgement(sentences: Sequence[Candidate], probabilities: Sequence[float]) -> list[Candidate]:
    """The sentences to quote, best first: those the judge finds at least QUOTE_PROBABILITY likely to give
    the answer, in the order of its probabilities; then, as the hand-set rules quote, the others that score
    within KEEP_RATIO of the best sentence (``sentences`` are in the hand-set order, the judge's probabilities
    are of the first ones)."""
    likely = sorted((i for i, p in enumerate(probabilities) if p >= QUOTE_PROBABILITY), key=lambda i: -probabilities[i])
    best = sentences[0].score if sentences else 0.0
    taken = set(likely)
    return [*(sentences[i] for i in likely),
            *(c for i, c in enumerate(sentences) if i not in taken and c.score >= best * KEEP_RATIO)]


def _cite(c: Candidate, n: int) -> Citation:
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


