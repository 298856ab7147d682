"""What a refusal says when the nearest articles name what the question asks for.

The decision to refuse is :class:`rag.answer.extractive.ExtractiveAnswerer`'s (its evidence floors);
this only words it. A refusal names the nearest articles. When one of them names, in its title, a
candidate of the kind the question asks for ("A plane crash occurred in which country?" and the
nearest article is "MLK, Biden's documents, Nepal, Ukraine ..."), saying "the corpus does not cover
this" would be false: the refusal names the candidate instead, cited with the sentence that gives it,
and says what keeps it from being an answer. A candidate is named when the sentence that gives it
matches the question as well as a bold answer's must (``SHORT_EVIDENCE``), and it wins clearly (as a
bold answer must) or the title naming it is about what the question asks ("Militants attack
gendarmerie school in Mali's capital, Bamako" for "... in which West African country?").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from langchain_core.embeddings import Embeddings

from ..core import extract
from ..core.terms import terms
from ..core.text import balance_quotes
from ..core.types import Answer, Citation, Passage
from .shorts import CANDIDATE_FLOOR, CLEAR_MARGIN, SHORT_EVIDENCE, Candidate, backing, short_answers

NEAREST_TITLES = 3  # the articles a refusal names (as rag.answer.extractive.not_covered does)
CANDIDATES = 3  # without a clear winner, the best candidates a title about the question may name
TITLE_MATCH = 0.4  # the share of the question's search terms a title about it holds


def nearest_titles(passages: Sequence[Passage], limit: int = NEAREST_TITLES) -> list[str]:
    """The titles of the nearest articles, best first, each once."""
    return list(dict.fromkeys(p.chunk.title for p in passages if p.chunk.title))[:limit]


def _names(title: str, name: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", title, re.IGNORECASE) is not None


def _on_question(question: str, title: str) -> bool:
    """Whether a title is about what the question asks: it shares TITLE_MATCH of the question's search terms."""
    asked, titled = (set(t) for t in terms([question, title]))
    return bool(asked) and len(asked & titled) >= TITLE_MATCH * len(asked)


def naming_refusal(question: str, qtype: extract.QuestionType, scored: Sequence[Candidate],
                   passages: Sequence[Passage], missing: Sequence[str], embeddings: Embeddings,
                   window: tuple[date | None, date] | None = None) -> Answer | None:
    """The refusal of ``question`` that names the candidates one of the nearest articles names in its title
    (see the module docstring): the clear winner among the candidates, or those of the best few a title
    about the question names; cited with the sentence of that article that gives the first. None when
    there are none (and for a question that asks for no name, date or figure)."""
    if not qtype.factoid:
        return None
    shorts = short_answers(question, qtype, scored, embeddings, window)
    runner_up = max(shorts[1].score if len(shorts) > 1 else 0.0, CANDIDATE_FLOOR)
    clear = bool(shorts) and shorts[0].score >= CLEAR_MARGIN * runner_up  # as a bold answer must win
    for title in nearest_titles(passages):
        if not (clear or _on_question(question, title)):
            continue
        named = [s for s in shorts[:1 if clear else CANDIDATES] if _names(title, s.text)]
        if not named or backing(named[0]) < SHORT_EVIDENCE:  # its sentence must match as a bold answer's must
            continue
        ranked = sorted(named[0].prose.values(), key=lambda v: -v[0])
        given = [c for _, c, _ in ranked if c.passage.chunk.title == title]
        if given:
            return _named(question, [s.text for s in named], given[0], passages, missing)
    return None


def _named(question: str, names: Sequence[str], c: Candidate, passages: Sequence[Passage],
           missing: Sequence[str]) -> Answer:
    chunk = c.passage.chunk
    gap = f"none of them mentions {', '.join(missing)}" if missing else "none of them says it in so many words"
    sentence = " ".join(balance_quotes(c.text).split())
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"
    text = (f"The articles found do not answer this for certain ({gap}); the nearest names {listed} [1]: "
            f"“{sentence}” [1]")
    citation = Citation(n=1, article_id=chunk.article_id, title=chunk.title, source=chunk.source,
                        published=chunk.published, url=chunk.url, quote=c.text, start=chunk.start + c.start,
                        end=chunk.start + c.end, outlets=c.passage.outlets)
    return Answer(question=question, text=text, refused=True, citations=(citation,), mode="extractive",
                  passages=tuple(passages))
