"""Citation checks for written answers: every claim must be supported by the passage it cites.

A sentence is supported when it cites passages that were shown, its numbers and quotations
appear in them, and its content words are found there (lexical support) or it is close in
meaning to one of their sentences while sharing enough words (semantic support).
`python -m rag.bench.calibrate` measures the thresholds on the evaluation data; the values
below are stricter than its best trade-off (which let 8% of unsupported pairs through), on
purpose: a dropped true sentence costs less than a kept invention.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from .context import Numbered, PassageBook, instruction_spans, neutralise
from .lexical import terms
from .text import split_sentences

# Thresholds (see the module docstring).
LEXICAL_SUPPORT = 0.75
SEMANTIC_SUPPORT = 0.60
SEMANTIC_MIN_LEXICAL = 0.40

_CITE = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_NUMBER = re.compile(r"(?<![\w.])\d[\d,.]*\d|(?<![\w.])\d(?![\w])")
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
    evidence: tuple[int, int, int] | None = None  # (n, start, end) of the best sentence in passage n


def parse(answer: str) -> list[tuple[str, tuple[int, ...]]]:
    """Sentences of an answer with the passage numbers each cites."""
    out = []
    for start, end in split_sentences(answer):
        raw = answer[start:end]
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


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}


def _flat(text: str) -> str:
    return " ".join(text.split()).lower()


class Verifier:
    """Scores each sentence of an answer against the passages it cites."""

    def __init__(self, embeddings: Embeddings) -> None:
        self._embeddings = embeddings

    def check(self, answer: str, book: PassageBook) -> list[Claim]:
        parsed = parse(answer)
        claims = []
        for text, cites in parsed:
            claims.append(self._claim(text, cites, book))
        return claims

    def _claim(self, text: str, cites: tuple[int, ...], book: PassageBook) -> Claim:
        if not cites:
            return Claim(text, cites, False, "no citation")
        shown = [book.get(n) for n in cites]
        if any(s is None for s in shown):
            bad = [n for n, s in zip(cites, shown) if s is None]
            return Claim(text, cites, False, f"cites [{bad[0]}], which it was not shown")
        sources: list[Numbered] = [s for s in shown if s is not None]
        joined = "\n".join(neutralise(s.text) for s in sources)
        missing_numbers = _numbers(text) - _numbers(joined)
        if missing_numbers:
            return Claim(text, cites, False, f"the number {sorted(missing_numbers)[0]} is not in the cited passage")
        for quoted in _QUOTE.findall(text):
            if _flat(quoted) not in _flat(joined):
                return Claim(text, cites, False, "a quotation is not verbatim from the cited passage")
        sentence_terms = set(terms([text])[0])
        source_terms = set(terms([joined])[0])
        lexical = len(sentence_terms & source_terms) / len(sentence_terms) if sentence_terms else 0.0
        semantic, evidence = self._best_sentence(text, sources)
        supported = lexical >= LEXICAL_SUPPORT or (semantic >= SEMANTIC_SUPPORT and lexical >= SEMANTIC_MIN_LEXICAL)
        reason = "" if supported else "the cited passage does not say this"
        return Claim(text, cites, supported, reason, lexical, semantic, evidence)

    def _best_sentence(self, text: str, sources: Sequence[Numbered]) -> tuple[float, tuple[int, int, int] | None]:
        spans: list[tuple[int, int, int]] = []
        texts: list[str] = []
        for s in sources:
            blocked = set(instruction_spans(s.text))
            for a, b in split_sentences(s.text):
                if (a, b) in blocked:
                    continue
                spans.append((s.n, a, b))
                texts.append(s.text[a:b])
        if not spans:
            return 0.0, None
        vecs = np.asarray(self._embeddings.embed_documents(texts + [text]), dtype=np.float32)
        sims = vecs[:-1] @ vecs[-1]
        best = int(np.argmax(sims))
        return float(sims[best]), spans[best]
