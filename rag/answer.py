"""Extractive answers: the retrieved sentences that best answer the question, each cited."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from langchain_core.embeddings import Embeddings

from .lexical import terms
from .retrieval import jaccard, shingles
from .text import split_sentences
from .types import Answer, Citation, Passage

log = logging.getLogger(__name__)

MAX_SENTENCES = 3
MAX_CHARS = 600
NOT_COVERED = "The corpus does not cover this: no indexed article answers the question."

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
_NOT_UNITS = frozenset("the a an and or of in on to at for by from with was were is are as after "
                       "before when while that this".split())  # "in 2024 the ..." gives no figure
_FIGURE = re.compile(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)\s*(%|percent|per cent|[^\W\d_]+)", re.IGNORECASE)


@dataclass(frozen=True)
class _Candidate:
    passage: Passage
    rank: int
    start: int  # span in the chunk text
    end: int
    text: str
    score: float = 0.0
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)


def figures(text: str) -> dict[str, set[str]]:
    """Numbers in a sentence by the word that follows them: {"people": {"42"}, "%": {"3.5"}}."""
    out: dict[str, set[str]] = {}
    for value, unit in _FIGURE.findall(text):
        unit = "%" if unit.lower() in ("%", "percent", "per cent") else unit.lower()
        if unit in _NOT_UNITS:
            continue
        out.setdefault(unit, set()).add(value.replace(",", ""))
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


def refusal(question: str, reason: str = NOT_COVERED) -> Answer:
    return Answer(question=question, text=reason, refused=True)


class ExtractiveAnswerer:
    """Picks at most three sentences (600 characters) from the passages and cites each.

    ``min_evidence`` is the score the best sentence must reach (cosine similarity to the
    question plus weighted word overlap); below it the corpus "does not cover" the question.
    """

    def __init__(self, embeddings: Embeddings, min_evidence: float) -> None:
        self._embeddings = embeddings
        self._min_evidence = min_evidence

    def evidence(self, question: str, passages: Sequence[Passage]) -> list[_Candidate]:
        """Sentences of the passages, best answer first."""
        candidates = self._candidates(passages)
        return self._score(question, candidates) if candidates else []

    def covered(self, question: str, passages: Sequence[Passage]) -> bool:
        """Whether the passages hold a sentence close enough to the question to answer it."""
        scored = self.evidence(question, passages)
        return bool(scored) and scored[0].score >= self._min_evidence

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer:
        scored = self.evidence(question, passages)
        if not scored or scored[0].score < self._min_evidence:
            return refusal(question)
        chosen = self._choose(scored)
        rival, notice = self._rival(chosen[0], scored)
        if rival is not None and all(rival is not c for c in chosen):
            chosen = [chosen[0], rival, *chosen[1:MAX_SENTENCES - 1]]
        answer = self._compose(question, chosen, passages)
        return replace(answer, notice=notice) if notice else answer

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

    def _candidates(self, passages: Sequence[Passage]) -> list[_Candidate]:
        out = []
        for rank, p in enumerate(passages):
            text = p.chunk.text
            for s, e in split_sentences(text):
                sentence = text[s:e]
                if MIN_SENTENCE_CHARS <= len(sentence) <= MAX_SENTENCE_CHARS:
                    out.append(_Candidate(p, rank, s, e, sentence))
        return out

    def _score(self, question: str, candidates: list[_Candidate]) -> list[_Candidate]:
        vectors = np.asarray(
            self._embeddings.embed_documents([c.text for c in candidates] + [question]), dtype=np.float32
        )
        qvec, svecs = vectors[-1], vectors[:-1]
        sims = svecs @ qvec
        qterms = set(terms([question])[0])
        sterms = terms([c.text for c in candidates])
        scored = []
        for c, sim, st in zip(candidates, sims, sterms):
            overlap = len(qterms & set(st)) / len(qterms) if qterms else 0.0
            score = float(sim) + LEXICAL_WEIGHT * overlap + RANK_WEIGHT / (1 + c.rank)
            scored.append(_Candidate(c.passage, c.rank, c.start, c.end, c.text, score, svecs[len(scored)]))
        return sorted(scored, key=lambda c: -c.score)

    def _choose(self, scored: list[_Candidate]) -> list[_Candidate]:
        if not scored:
            return []
        best = scored[0].score
        chosen: list[_Candidate] = []
        used = 0
        for c in scored:
            if len(chosen) == MAX_SENTENCES or c.score < best * KEEP_RATIO:
                break
            size = len(_flat(c.text)) + 5  # room for " [n]"
            if used + size > MAX_CHARS:
                continue
            sh = shingles(c.text)
            if any(jaccard(sh, shingles(o.text)) > 0.5 for o in chosen):
                continue
            chosen.append(c)
            used += size
        return chosen

    def _compose(self, question: str, chosen: list[_Candidate], passages: Sequence[Passage]) -> Answer:
        parts, citations = [], []
        for n, c in enumerate(chosen, start=1):
            chunk = c.passage.chunk
            parts.append(f"{_flat(c.text)} [{n}]")
            citations.append(Citation(
                n=n, article_id=chunk.article_id, title=chunk.title, source=chunk.source,
                published=chunk.published, url=chunk.url, quote=c.text,
                start=chunk.start + c.start, end=chunk.start + c.end, outlets=c.passage.outlets,
            ))
        return Answer(question=question, text=" ".join(parts), refused=False,
                      citations=tuple(citations), mode="extractive", passages=tuple(passages))
