"""Timelines: what the corpus reports about a topic, one dated and cited line per article, oldest first.

The topic is searched like a topic summary (a wide hybrid search, then only passages whose
similarity to the topic reaches ``settings.min_relevance``). Near-identical articles (wire
copies, reposts) become one event: those the search already collapsed passage by passage,
and those whose whole texts overlap as much as :func:`rag.answer.summaries.distinct_articles`
requires; such an event lists every outlet that ran it. Each event is the one sentence of its
article(s) that best matches the topic, scored as extractive answers score sentences, dated by
the published date of the article it quotes, and cited like an answer. Undated articles come
last, marked "undated".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from ..core.settings import Settings
from ..index.chunking import article_of
from .extractive import ExtractiveAnswerer
from .named import on_topic
from ..core.text import balance_quotes, jaccard, shingles
from .generative import Search
from .summaries import DUPLICATE_ARTICLE_JACCARD, TOPIC_NOT_COVERED, Sentence, topic_not_covered
from ..core.types import Answer, Citation, Filters, Passage, human_date

log = logging.getLogger(__name__)

TIMELINE_EVENTS = 12  # at most this many events, the most relevant ones
SEARCH_FACTOR = 4  # passages searched per event wanted (one article often has several)
PASSAGES_PER_ARTICLE = 3  # an article's best passages hold its best sentence about the topic
UNDATED = "undated"


@dataclass(frozen=True)
class TimelineEvent:
    """One line of a timeline: a quoted sentence, its citation, and every outlet that ran the story."""

    published: date | None
    sentence: str
    citation: Citation
    outlets: tuple[str, ...]  # the cited article's outlet first, then its copies'
    article_ids: tuple[str, ...]  # the cited article first, then its copies

    @property
    def day(self) -> str:
        return human_date(self.published) if self.published else UNDATED

    def line(self) -> str:
        """``2 Apr 2024 — sentence [n]``, with the outlets when several ran it."""
        text = f"{self.day} — {' '.join(balance_quotes(self.sentence).split())} [{self.citation.n}]"
        return text + (f" ({', '.join(self.outlets)})" if len(self.article_ids) > 1 else "")


@dataclass(frozen=True)
class Timeline:
    """A topic's events in date order (undated last), or a refusal when the corpus has nothing on it."""

    topic: str
    events: tuple[TimelineEvent, ...]
    refusal: str = TOPIC_NOT_COVERED  # what it says with no events (dates only when the filters gave some)

    @property
    def refused(self) -> bool:
        return not self.events

    @property
    def text(self) -> str:
        return "\n".join(e.line() for e in self.events) if self.events else self.refusal

    @property
    def citations(self) -> tuple[Citation, ...]:
        return tuple(e.citation for e in self.events)

    def as_answer(self) -> Answer:
        """The timeline as an answer, for the code that shows, remembers and rates answers."""
        return Answer(question=self.topic, text=self.text, refused=self.refused,
                      citations=self.citations, mode="extractive")

    def to_dict(self) -> dict:
        return {
            "topic": self.topic,
            "refused": self.refused,
            "text": self.text,
            "events": [{"date": e.published.isoformat() if e.published else None, "sentence": e.sentence,
                        "n": e.citation.n, "outlets": list(e.outlets), "article_ids": list(e.article_ids)}
                       for e in self.events],
            "citations": [c.to_dict() for c in self.citations],
        }


def build_timeline(q: str, filters: Filters, search: Search, article_sentences: Callable[[str], Sequence[Sentence]],
                   extractive: ExtractiveAnswerer, settings: Settings, limit: int = TIMELINE_EVENTS) -> Timeline:
    """The timeline of the (checked) topic ``q`` within ``filters``: at most ``limit`` events, oldest first.

    ``search(query, filters, k)`` finds the passages; ``article_sentences(article_id)`` reads an
    article back, to merge the copies of a story; ``extractive`` scores the sentences.
    """
    k = max(settings.candidates, limit * SEARCH_FACTOR)
    found = on_topic(q, [p for p in search(q, filters, k) if (p.dense or 0.0) >= settings.min_relevance])
    passages = _best_per_article(found)
    if not passages:
        return Timeline(q, (), topic_not_covered(filters))
    group, outlets = _story_groups(article_sentences, passages)
    # The best sentence of each group: candidates come best first.
    best = {}
    for candidate in extractive.evidence(q, passages):
        best.setdefault(group[candidate.passage.chunk.article_id], candidate)
    chosen = sorted(best.values(), key=lambda c: -c.score)[:limit]
    chosen.sort(key=lambda c: (c.passage.chunk.published is None, c.passage.chunk.published or date.min))
    members: dict[int, list[str]] = {}
    for aid, g in group.items():
        members.setdefault(g, []).append(aid)
    events = []
    for n, c in enumerate(chosen, start=1):
        chunk = c.passage.chunk
        ids = (chunk.article_id, *(a for a in members[group[chunk.article_id]] if a != chunk.article_id))
        events.append(TimelineEvent(
            published=chunk.published, sentence=c.text, outlets=tuple(dict.fromkeys(outlets[a] for a in ids)),
            article_ids=ids,
            citation=Citation(n=n, article_id=chunk.article_id, title=chunk.title, source=chunk.source,
                              published=chunk.published, url=chunk.url, quote=c.text,
                              start=chunk.start + c.start, end=chunk.start + c.end),
        ))
    log.info("timeline of %r: %d events from %d passages", q, len(events), len(passages))
    return Timeline(q, tuple(events))


def _best_per_article(passages: Sequence[Passage]) -> list[Passage]:
    """The passages in rank order, at most PASSAGES_PER_ARTICLE of each article (its best ones)."""
    seen: dict[str, int] = {}
    kept = []
    for p in passages:
        n = seen.get(p.chunk.article_id, 0)
        if n < PASSAGES_PER_ARTICLE:
            kept.append(p)
            seen[p.chunk.article_id] = n + 1
    return kept


def _story_groups(article_sentences: Callable[[str], Sequence[Sentence]],
                  passages: Sequence[Passage]) -> tuple[dict[str, int], dict[str, str]]:
    """Article id -> story number (near-identical articles share one), and article id -> outlet."""
    group: dict[str, int] = {}
    # Copies the search already collapsed into a passage belong with that passage's article.
    for p in passages:
        g = group.setdefault(p.chunk.article_id, len(group))
        for cid in p.also_in:
            group.setdefault(article_of(cid), g)
    # Then whole articles that overlap as much as duplicate articles do in summaries.
    sentences = {aid: article_sentences(aid) for aid in group}
    outlets = {aid: (ss[0].source if ss else "") or "unknown outlet" for aid, ss in sentences.items()}
    texts = {aid: shingles(" ".join(s.text for s in ss)) for aid, ss in sentences.items()}
    ids = list(group)
    for i, a in enumerate(ids):
        for b in ids[:i]:
            if group[a] != group[b] and jaccard(texts[a], texts[b]) >= DUPLICATE_ARTICLE_JACCARD:
                old, new = group[a], group[b]
                for x in ids:
                    if group[x] == old:
                        group[x] = new
    return group, outlets
