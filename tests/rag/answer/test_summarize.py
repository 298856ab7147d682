"""Extractive summaries on the real index: 3 to 6 central sentences, each quoted exactly and cited."""

from __future__ import annotations

from datetime import date

import pytest

from rag.core.errors import NotFound
from rag.sources.ingest import load_corpus
from rag.core.text import jaccard, shingles
from rag.service import RagService
from rag.core.settings import Settings
from rag.answer.summaries import (TOPIC_NOT_COVERED, Sentence, distinct_articles, sentences_of, summary_length,
                                 topic_not_covered)
from rag.core.types import Chunk, Filters

from tests.conftest import ARTICLES, LONG_ARTICLE, write_corpus

CORPUS = {**ARTICLES, **LONG_ARTICLE}


@pytest.fixture(scope="module")
def summaries(tmp_path_factory, embeddings) -> RagService:
    root = tmp_path_factory.mktemp("summaries")
    service = RagService(Settings().replace(corpus_dir=root / "corpus", data_dir=root / "data"),
                         embeddings=embeddings)
    write_corpus(service.settings.corpus_dir, CORPUS)
    service.reindex()
    return service


@pytest.fixture(scope="module")
def texts(summaries) -> dict[str, str]:
    articles, _ = load_corpus(summaries.settings.corpus_dir)
    return {a.id: a.text for a in articles}


def article_id(service: RagService, title: str) -> str:
    [found] = [a for a in service.find_articles(title) if a.title == title]
    return found.id


def chunk(text: str, start: int, end: int, ordinal: int) -> Chunk:
    return Chunk(f"a:h:{ordinal}", "a", "h", ordinal, start, end, text[start:end], "T")


def test_sentences_of_overlapping_chunks_come_once_with_article_spans():
    text = "Alpha is first. Beta is second. Gamma is third. Delta is fourth."
    chunks = [chunk(text, 32, len(text), 1), chunk(text, 0, 31, 0), chunk(text, 16, 47, 2)]
    sentences = sentences_of(chunks)
    assert [s.text for s in sentences] == ["Alpha is first.", "Beta is second.", "Gamma is third.",
                                           "Delta is fourth."]
    assert all(text[s.start:s.end] == s.text for s in sentences)
    assert [s.position for s in sentences] == [0, 1, 2, 3]


@pytest.mark.parametrize("candidates,length", [
    (1, 1), (2, 2), (3, 3), (8, 3), (14, 4), (20, 5), (24, 6), (200, 6),
])
def test_summary_length(candidates, length):
    assert summary_length(candidates) == length


def test_near_copies_of_an_article_are_dropped():
    def sentences(aid: str, text: str) -> list[Sentence]:
        return [Sentence(aid, "T", "", None, "", 0, len(text), text, 0)]

    story = "Lumetra will build a battery factory outside Valdoria, creating 1,200 jobs, its chief said."
    kept = distinct_articles([sentences("a", story), sentences("b", story), sentences("c", "Rain is forecast.")])
    assert [s[0].article_id for s in kept] == ["a", "c"]


@pytest.mark.integration
def test_an_article_summary_is_three_to_six_central_sentences_in_order(summaries, texts):
    aid = article_id(summaries, "Port Aldine approves a deep-water terminal")
    summary = summaries.summarize_article(aid)
    assert not summary.refused and summary.question == "Port Aldine approves a deep-water terminal"
    assert 3 <= len(summary.citations) <= 6
    for c in summary.citations:
        assert texts[aid][c.start:c.end] == c.quote and f"[{c.n}]" in summary.text
        assert c.article_id == aid and c.url == "https://herald.example/terminal"
    assert [c.start for c in summary.citations] == sorted(c.start for c in summary.citations)
    assert "640 million euros" in summary.text  # the gist, not the tangents


@pytest.mark.integration
def test_a_short_article_is_summarised_by_the_sentences_it_has(summaries):
    summary = summaries.summarize_article(article_id(summaries, "Riverton Rovers win the cup final"))
    assert len(summary.citations) == 2


@pytest.mark.integration
def test_a_topic_summary_draws_on_the_best_articles_in_the_range_without_repeats(summaries):
    summary = summaries.summarize_topic("Lumetra battery factory", Filters(since=date(2024, 3, 10)))
    assert not summary.refused and summary.citations
    assert all(c.published >= date(2024, 3, 10) for c in summary.citations)
    quotes = [c.quote for c in summary.citations]
    # The wire copy says the same word for word: each of its sentences is used once at most.
    assert all(jaccard(shingles(a), shingles(b)) <= 0.5 for i, a in enumerate(quotes) for b in quotes[i + 1:])
    assert any("1,200 jobs" in q for q in quotes)


@pytest.mark.integration
def test_a_topic_outside_the_range_or_the_corpus_is_not_covered(summaries):
    early = summaries.summarize_topic("Lumetra battery factory", Filters(until=date(2024, 3, 5)))
    assert early.refused and early.text == "The corpus does not cover this topic up to 5 Mar 2024."
    nowhere = summaries.summarize_topic("volcanic eruptions in Iceland")
    assert nowhere.refused and nowhere.text == TOPIC_NOT_COVERED == "The corpus does not cover this topic."


@pytest.mark.integration
def test_an_unknown_article_is_not_found(summaries):
    with pytest.raises(NotFound):
        summaries.summarize_article("0000000000000000")


@pytest.mark.integration
def test_finding_and_resolving_articles_by_title(summaries):
    assert [a.title for a in summaries.find_articles("tram")] == ["Riverton council approves new tram line"]
    assert [a.title for a in summaries.find_articles("lumetra")] == [  # titles starting with it, then newest
        "Lumetra plans battery plant near Valdoria", "Lumetra to open battery factory with 1,200 jobs"]
    assert len(summaries.find_articles("", limit=3)) == 3
    tram = article_id(summaries, "Riverton council approves new tram line")
    assert summaries.resolve_article(tram) == tram
    assert summaries.resolve_article("riverton council approves new tram line") == tram
    assert summaries.resolve_article("cup final") == article_id(summaries, "Riverton Rovers win the cup final")
    with pytest.raises(NotFound):
        summaries.resolve_article("Lumetra")  # two articles match


@pytest.mark.parametrize("filters,text", [
    (Filters(), "The corpus does not cover this topic."),
    (Filters(as_of=date(2024, 3, 9)), "The corpus does not cover this topic."),  # the day asked is no range
    (Filters(since=date(2024, 3, 1)), "The corpus does not cover this topic since 1 Mar 2024."),
    (Filters(since=date(2024, 3, 1), until=date(2024, 3, 31)),
     "The corpus does not cover this topic between 1 Mar 2024 and 31 Mar 2024."),
])
def test_a_topic_refusal_names_dates_only_when_some_were_given(filters, text):
    assert topic_not_covered(filters) == text
