"""Extractive answers: the retrieved sentences that best answer the question, each cited."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

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


@dataclass(frozen=True)
class _Candidate:
    passage: Passage
    rank: int
    start: int  # span in the chunk text
    end: int
    text: str
    score: float = 0.0


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
        return self._compose(question, self._choose(scored), passages)

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
            scored.append(_Candidate(c.passage, c.rank, c.start, c.end, c.text, score))
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
