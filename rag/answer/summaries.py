"""Extractive summaries: the most central sentences of an article, or of a topic's best articles.

Every sentence is quoted exactly from an article and cited with the same ``Citation`` and
``Answer`` types as answers. Centrality is the cosine similarity of a sentence's embedding to
the centroid of all the sentences (the sentence closest to "what the text is about"), plus a
small bonus for early sentences, since news puts the gist first. For a topic, similarity to
the topic counts as much as centrality. Near-duplicate sentences (wire copies, reposts) are
chosen once. The LLM answer mode can add generated summaries behind the same service calls.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from langchain_core.embeddings import Embeddings

from ..core.text import asks, balance_quotes, jaccard, shingles
from ..core.instructions import is_instruction
from ..core.sentences import SENTENCE
from ..core.types import Answer, Chunk, Citation, Filters, human_date

log = logging.getLogger(__name__)

MIN_SENTENCES = 3
MAX_SENTENCES = 6
SENTENCES_PER_SUMMARY_SENTENCE = 4  # a 12-sentence article gets a 3-sentence summary, 24+ get 6
MIN_SENTENCE_CHARS = 25  # shorter "sentences" are headings, bylines, captions
MAX_SENTENCE_CHARS = 400
DUPLICATE_JACCARD = 0.5  # word-trigram overlap above which two sentences say the same thing
DUPLICATE_ARTICLE_JACCARD = 0.6  # the same for whole articles (as in rag.search.retrieval)
LEAD_WEIGHT = 0.05
TOPIC_ARTICLES = 5  # a topic is summarised from its best articles, at most this many
TOPIC_WEIGHT = 0.5

NOTHING_TO_SUMMARISE = "The article has no sentences to summarise."
TOPIC_NOT_COVERED = "The corpus does not cover this topic."


def topic_not_covered(filters: Filters) -> str:
    """The refusal of a topic summary or timeline: it names dates only when the filters give some."""
    since, until = filters.since, filters.until
    if since and until:
        span = f" between {human_date(since)} and {human_date(until)}"
    elif since or until:
        span = f" since {human_date(since)}" if since else f" up to {human_date(until)}"
    else:
        return TOPIC_NOT_COVERED
    return f"The corpus does not cover this topic{span}."


@dataclass(frozen=True)
class Sentence:
    """A sentence of an indexed article, with its span in the article text."""

    article_id: str
    title: str
    source: str
    published: date | None
    url: str
    start: int
    end: int
    text: str
    position: int  # index of the sentence in its article
    kind: str = SENTENCE  # rag.core.sentences: only SENTENCE is quoted in summaries and timelines


def sentences_of(chunks: Iterable[Chunk]) -> list[Sentence]:
    """The sentences of one article's chunks, in order, each once (chunks overlap)."""
    spans: dict[tuple[int, int], tuple[str, Chunk, str]] = {}
    for chunk in sorted(chunks, key=lambda c: c.ordinal):
        for s, e, kind in chunk.units():
            spans.setdefault((chunk.start + s, chunk.start + e), (chunk.text[s:e], chunk, kind))
    out: list[Sentence] = []
    last_end = -1
    for (start, end), (text, chunk, kind) in sorted(spans.items()):
        if end <= last_end:
            continue  # inside a sentence already kept (a long sentence cut differently at a chunk edge)
        out.append(Sentence(chunk.article_id, chunk.title, chunk.source, chunk.published, chunk.url,
                            start, end, text, len(out), kind))
        last_end = end
    return out


def distinct_articles(articles: Sequence[Sequence[Sentence]],
                      threshold: float = DUPLICATE_ARTICLE_JACCARD) -> list[Sequence[Sentence]]:
    """Articles in order, leaving out near-copies of an earlier one."""
    kept: list[tuple[Sequence[Sentence], set]] = []
    for sentences in articles:
        sh = shingles(" ".join(s.text for s in sentences))
        if any(jaccard(sh, other) >= threshold for _, other in kept):
            continue
        kept.append((sentences, sh))
    return [s for s, _ in kept]


def summary_length(candidates: int) -> int:
    """How many sentences a summary of ``candidates`` usable sentences gets."""
    wanted = round(candidates / SENTENCES_PER_SUMMARY_SENTENCE)
    return min(candidates, max(MIN_SENTENCES, min(MAX_SENTENCES, wanted)))


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


class ExtractiveSummarizer:
    """Picks 3 to 6 central sentences and cites each."""

    def __init__(self, embeddings: Embeddings) -> None:
        self._embeddings = embeddings

    def summarize(self, subject: str, sentences: Sequence[Sentence], topic: str | None = None) -> Answer:
        """A summary of ``sentences``; with ``topic``, favouring sentences about it."""
        quotable = [s for s in sentences if s.kind == SENTENCE and not is_instruction(s.text) and not asks(s.text)]
        usable = [s for s in quotable if MIN_SENTENCE_CHARS <= len(s.text) <= MAX_SENTENCE_CHARS]
        if not usable:
            usable = [s for s in quotable if s.text.strip()]
        if not usable:
            return Answer(question=subject, text=NOTHING_TO_SUMMARISE, refused=True)
        scores = self._scores(usable, topic)
        chosen = self._choose(usable, scores, summary_length(len(usable)))
        return self._compose(subject, chosen)

    def _scores(self, sentences: Sequence[Sentence], topic: str | None) -> np.ndarray:
        texts = [s.text for s in sentences]
        vectors = _unit(np.asarray(self._embeddings.embed_documents(texts), dtype=np.float32))
        centroid = _unit(vectors.mean(axis=0))
        score = vectors @ centroid
        if topic:
            tvec = _unit(np.asarray(self._embeddings.embed_query(topic), dtype=np.float32))
            score = (1 - TOPIC_WEIGHT) * score + TOPIC_WEIGHT * (vectors @ tvec)
        lead = np.asarray([LEAD_WEIGHT / (1 + s.position) for s in sentences], dtype=np.float32)
        return score + lead

    def _choose(self, sentences: Sequence[Sentence], scores: np.ndarray, count: int) -> list[Sentence]:
        chosen: list[tuple[Sentence, set]] = []
        for i in np.argsort(-scores, kind="stable"):
            s = sentences[int(i)]
            sh = shingles(s.text)
            if any(jaccard(sh, other) > DUPLICATE_JACCARD for _, other in chosen):
                continue
            chosen.append((s, sh))
            if len(chosen) == count:
                break
        # Read in order: by date, then article, then place in the article.
        article_rank = {}
        for s, _ in chosen:
            article_rank.setdefault(s.article_id, len(article_rank))
        return sorted((s for s, _ in chosen),
                      key=lambda s: (s.published or date.max, article_rank[s.article_id], s.position))

    def _compose(self, subject: str, chosen: Sequence[Sentence]) -> Answer:
        parts, citations = [], []
        for n, s in enumerate(chosen, start=1):
            parts.append(f"{_flat(balance_quotes(s.text))} [{n}]")
            citations.append(Citation(n=n, article_id=s.article_id, title=s.title, source=s.source,
                                      published=s.published, url=s.url, quote=s.text,
                                      start=s.start, end=s.end))
        return Answer(question=subject, text=" ".join(parts), refused=False,
                      citations=tuple(citations), mode="extractive")
