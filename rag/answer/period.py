"""Open questions about a period ("What happened this week?"): the period's biggest stories, or that it is quiet.

A question whose words, once its time words are set aside (rag.search.timeframe), ask for nothing
but the news ("What happened?", "What's new?", "What were the biggest stories?") is not searched:
it is answered from the articles dated in the period. They are grouped into stories: articles whose
first passages are close in meaning (their stored vectors, the title embedded with each) while their
titles share a name, and copies of one text (closer still, whatever their titles). The stories most outlets carried
come first (then those with the most articles, then the newest), each told by the lead sentence of
its article nearest the story's centre and cited, with every outlet that ran it. A period whose
articles are all on stories of their own is said to be quiet, and its newest articles are listed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from ..core.instructions import is_instruction
from ..core.mentions import names
from ..core.sentences import SENTENCE
from ..core.text import asks, balance_quotes
from ..core.types import Answer, ArticleRef, Chunk, Citation, Passage, human_date

STORIES = 5  # the biggest stories an answer lists
QUIET_ARTICLES = 3  # the newest articles a quiet period's answer lists
# Two articles are one story when their first passages are this close (cosine of the stored
# vectors) and their titles share a name. Chosen on a week of January and the month of March 2023 of
# the bench: articles of one story scored 0.50-0.87 (the Oscars, the NCAA tournament, the Mafia boss's
# arrest); of the 25 pairs between 0.55 and 0.6 whose titles share a name, 22 are of one story (the
# others: two stories each about one royal couple or about Donald Trump); the pairs above 0.6 whose
# titles share none are not (a digest and a story in it, two pages of one site's template).
SAME_STORY = 0.55
WIRE_COPY = 0.9  # this close, two articles are copies of one text: no shared name is asked for
MIN_LEAD_CHARS = 40  # a shorter first sentence is a dateline or a label, not the story's lead
MAX_LEAD_CHARS = 400
# The words an open question about a period may use besides its time words.
OPEN_WORDS = frozenset("""
    what what's whats happened happening happen has have had did does do is are was were s the in on at a an
    any anything new news big biggest top main major key important notable stories story headlines headline
    events event going there been me us tell give summary summarise summarize recap of world latest recent
    recently lately newest most this that around so far
""".split())
_SITE_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—-]{1,40}$")


def is_open(query: str) -> bool:
    """Whether a question, its time words removed, asks for nothing but the news ("What happened?")."""
    words = re.findall(r"[a-z]+(?:['’][a-z]+)?", query.lower().replace("’", "'"))
    return bool(words) and all(w in OPEN_WORDS for w in words)


@dataclass(frozen=True)
class Story:
    """Articles on one story: the one that tells it (nearest the story's centre) first."""

    articles: tuple[ArticleRef, ...]

    @property
    def outlets(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a.source or "unknown outlet" for a in self.articles))

    @property
    def newest(self) -> date:
        return max((a.published for a in self.articles if a.published), default=date.min)


def _title_names(title: str) -> list[set[str]]:
    return [set(n.parts) for n in names(_SITE_SUFFIX.sub("", title)) if not n.title_only]


def _share_a_name(a: list[set[str]], b: list[set[str]]) -> bool:
    return any(x <= y or y <= x for x in a for y in b if x and y)


def stories(articles: Sequence[ArticleRef], vectors: Mapping[str, np.ndarray]) -> list[Story]:
    """The articles grouped into stories, biggest first (see the module docstring); ``vectors``: each
    article's first passage's stored vector."""
    ids = [a.id for a in articles if a.id in vectors]
    parent = {a.id: a.id for a in articles}

    def root(aid: str) -> str:
        while parent[aid] != aid:
            parent[aid] = parent[parent[aid]]
            aid = parent[aid]
        return aid

    if ids:
        matrix = np.asarray([vectors[aid] for aid in ids], dtype=np.float32)
        matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)
        close = matrix @ matrix.T
        titles = {a.id: a.title for a in articles}
        named: dict[str, list[set[str]]] = {}
        for i, j in zip(*np.nonzero(np.triu(close, 1) >= SAME_STORY)):
            a, b = ids[i], ids[j]
            if close[i, j] < WIRE_COPY:
                na = named.setdefault(a, _title_names(titles[a]))
                nb = named.setdefault(b, _title_names(titles[b]))
                if not _share_a_name(na, nb):
                    continue
            parent[root(a)] = root(b)
    members: dict[str, list[ArticleRef]] = {}
    for a in articles:
        members.setdefault(root(a.id), []).append(a)
    out = [Story(tuple(_central(m, vectors))) for m in members.values()]
    return sorted(out, key=lambda s: (-len(s.outlets), -len(s.articles), -s.newest.toordinal()))


def _central(articles: list[ArticleRef], vectors: Mapping[str, np.ndarray]) -> list[ArticleRef]:
    """The articles of a story, the one nearest its centre first (then the newest)."""
    unit = {a.id: vectors[a.id] / (np.linalg.norm(vectors[a.id]) or 1.0) for a in articles if a.id in vectors}
    centre = np.mean(list(unit.values()), axis=0) if unit else None

    def nearness(a: ArticleRef) -> float:
        return float(unit[a.id] @ centre) if centre is not None and a.id in unit else -1.0

    return sorted(articles, key=lambda a: (-nearness(a), -(a.published or date.min).toordinal()))


def lead(chunk: Chunk) -> tuple[int, int] | None:
    """The span (in the chunk) of the article's lead: its first quotable sentence long enough to say something."""
    for s, e, kind in chunk.units():
        text = chunk.text[s:e]
        if kind == SENTENCE and MIN_LEAD_CHARS <= len(text) <= MAX_LEAD_CHARS and not asks(text) \
                and not is_instruction(text):
            return s, e
    return None


def _told(story: Story, leads: Mapping[str, tuple[Chunk, np.ndarray]]) -> tuple[Chunk, tuple[int, int]] | None:
    """The passage and lead sentence that tell a story: of its most central article that has one."""
    for a in story.articles:
        if a.id in leads and (span := lead(leads[a.id][0])) is not None:
            return leads[a.id][0], span
    return None


def _cite(n: int, chunk: Chunk, span: tuple[int, int], outlets: Sequence[str]) -> Citation:
    s, e = span
    return Citation(n=n, article_id=chunk.article_id, title=chunk.title, source=chunk.source,
                    published=chunk.published, url=chunk.url, quote=chunk.text[s:e], start=chunk.start + s,
                    end=chunk.start + e, outlets=tuple(o for o in outlets if o != chunk.source))


def _carried(story: Story) -> str:
    """`` (3 outlets: AP, CNN, Reuters)``, `` (2 articles)`` or ""."""
    if len(story.outlets) > 1:
        return f" ({len(story.outlets)} outlets: {', '.join(story.outlets)})"
    return f" ({len(story.articles)} articles)" if len(story.articles) > 1 else ""


def _noun(phrase: str) -> str:
    """What a period is called: "this week" -> "week", "yesterday" -> "day"."""
    return next((w for w in ("week", "month", "year", "weekend") if w in phrase.split()),
                "day" if phrase in ("today", "yesterday", "tonight") else "time")


def period_answer(question: str, phrase: str, span: str, articles: Sequence[ArticleRef],
                  leads: Mapping[str, tuple[Chunk, np.ndarray]], newest: date | None = None) -> Answer:
    """The answer to an open question about a period (``phrase`` "this week", ``span`` "12 Jan – 19 Jan
    2023") from the ``articles`` dated in it; ``leads``: each one's first passage and its vector;
    ``newest``: the newest article of the whole index, named when the period has none."""
    when = f"{phrase} ({span})"
    if not articles:
        after = f"; the newest article indexed is from {human_date(newest)}" if newest else ""
        return Answer(question=question, text=f"Nothing indexed is dated {when}{after}.", refused=True)
    found = stories(articles, {aid: v for aid, (_, v) in leads.items()})
    big = [s for s in found if len(s.articles) > 1][:STORIES]
    if big:
        head = f"The biggest stories of {when}, by how many outlets and articles carried them:"
        chosen = [(s, _carried(s)) for s in big]
    else:
        count = f"{len(articles)} article{'s' if len(articles) != 1 else ''}"
        head = f"A quiet {_noun(phrase)}: {when} has {count}, each on a story of its own. The newest:"
        chosen = [(s, "") for s in sorted(found, key=lambda s: -s.newest.toordinal())[:QUIET_ARTICLES]]
    lines, citations, passages = [head], [], []
    for story, carried in chosen:
        told = _told(story, leads)
        if told is None:
            continue
        chunk, span = told
        n = len(citations) + 1
        citations.append(_cite(n, chunk, span, story.outlets))
        passages.append(Passage(chunk, 1.0))
        sentence = " ".join(balance_quotes(chunk.text[span[0]:span[1]]).split())
        lines.append(f"• {sentence} [{n}]{carried}")
    return Answer(question=question, text="\n".join(lines), refused=False, citations=tuple(citations),
                  mode="extractive", passages=tuple(passages))
