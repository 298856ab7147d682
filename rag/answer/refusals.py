"""What a refusal says when the nearest articles name what the question asks for.

The decision to refuse is :class:`rag.answer.extractive.ExtractiveAnswerer`'s (its evidence floors);
this only words it. A refusal names the nearest articles. When one of them names, in its title, a
candidate of the kind the question asks for ("A plane crash occurred in which country?" and the
nearest article is "MLK, Biden's documents, Nepal, Ukraine ..."), saying "the corpus does not cover
this" would be false: the refusal names the candidate instead, cited with the sentence that gives it,
and says what keeps it from being an answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from langchain_core.embeddings import Embeddings

from . import extract
from ..core.text import balance_quotes
from ..core.types import Answer, Citation, Passage
from .shorts import CANDIDATE_FLOOR, CLEAR_MARGIN, Candidate, short_answers

NEAREST_TITLES = 3  # the articles a refusal names (as rag.answer.extractive.not_covered does)


def nearest_titles(passages: Sequence[Passage], limit: int = NEAREST_TITLES) -> list[str]:
    """The titles of the nearest articles, best first, each once."""
    return list(dict.fromkeys(p.chunk.title for p in passages if p.chunk.title))[:limit]


def _names(title: str, name: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", title, re.IGNORECASE) is not None


def naming_refusal(question: str, qtype: extract.QuestionType, scored: Sequence[Candidate],
                   passages: Sequence[Passage], missing: Sequence[str], embeddings: Embeddings,
                   window: tuple[date | None, date] | None = None) -> Answer | None:
    """The refusal of ``question`` that names the clear winner among its candidates when one of the
    nearest articles names it in its title, with the sentence of that article that gives it; None
    otherwise (and for a question that asks for no name, date or figure)."""
    if not qtype.factoid:
        return None
    shorts = short_answers(question, qtype, scored, embeddings, window)
    # Only a candidate that wins as clearly as a bold answer must (rag.answer.extractive) is named.
    runner_up = max(shorts[1].score if len(shorts) > 1 else 0.0, CANDIDATE_FLOOR)
    if not shorts or shorts[0].score < CLEAR_MARGIN * runner_up:
        return None
    titles = nearest_titles(passages)
    for _, c, _ in sorted(shorts[0].prose.values(), key=lambda v: -v[0]):
        if c.passage.chunk.title in titles and _names(c.passage.chunk.title, shorts[0].text):
            return _named(question, shorts[0].text, c, passages, missing)
    return None


def _named(question: str, name: str, c: Candidate, passages: Sequence[Passage], missing: Sequence[str]) -> Answer:
    chunk = c.passage.chunk
    gap = f"none of them mentions {', '.join(missing)}" if missing else "none of them says it in so many words"
    sentence = " ".join(balance_quotes(c.text).split())
    text = (f"The articles found do not answer this for certain ({gap}); the nearest names {name} [1]: "
            f"“{sentence}” [1]")
    citation = Citation(n=1, article_id=chunk.article_id, title=chunk.title, source=chunk.source,
                        published=chunk.published, url=chunk.url, quote=c.text, start=chunk.start + c.start,
                        end=chunk.start + c.end, outlets=c.passage.outlets)
    return Answer(question=question, text=text, refused=True, citations=(citation,), mode="extractive",
                  passages=tuple(passages))
