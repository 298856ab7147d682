"""Relative time in questions becomes a date window, and answers say how current they are."""

from __future__ import annotations

from datetime import date

import pytest

from rag.service import RagService
from rag.search.timeframe import resolve
from rag.core.types import Filters

AS_OF = date(2026, 11, 24)  # a Tuesday


@pytest.mark.parametrize("question, since, until, query", [
    ("What happened in Bamako this week?", date(2026, 11, 17), AS_OF, "What happened in Bamako?"),
    ("Who won the vote yesterday?", date(2026, 11, 23), date(2026, 11, 23), "Who won the vote?"),
    ("What did the mayor say today?", AS_OF, AS_OF, "What did the mayor say?"),
    ("Which bills passed last week?", date(2026, 11, 16), date(2026, 11, 22), "Which bills passed?"),
    ("What did the council decide last month?", date(2026, 10, 1), date(2026, 10, 31), "What did the council decide?"),
    ("What did the court rule in July?", date(2026, 7, 1), date(2026, 7, 31), "What did the court rule?"),
    ("Who was elected in December?", date(2025, 12, 1), date(2025, 12, 31), "Who was elected?"),
    ("What happened in May 2025?", date(2025, 5, 1), date(2025, 5, 31), "What happened?"),
    ("Has inflation fallen since 2024?", date(2024, 1, 1), AS_OF, "Has inflation fallen?"),
    ("Has the river flooded since March?", date(2026, 3, 1), AS_OF, "Has the river flooded?"),
    ("What happened in Mali over the past two weeks?", date(2026, 11, 10), AS_OF, "What happened in Mali?"),
    ("How many strikes this year?", date(2026, 1, 1), AS_OF, "How many strikes?"),
    ("What did the ministry announce in 2025?", date(2025, 1, 1), date(2025, 12, 31), "What did the ministry announce?"),
    ("What is the latest on the strike?", date(2026, 10, 25), AS_OF, "What is the latest on the strike?"),
])
def test_relative_time_becomes_a_window(question, since, until, query):
    window = resolve(question, AS_OF)
    assert window is not None
    assert (window.since, window.until, window.query) == (since, until, query)


@pytest.mark.parametrize("question", [
    "Which team won the cup?", "May the minister resign?", "What happened during 2027?",
    "What is the capital of Valdoria?", "Why did the Fourth of July parade move?",
    "Which comic strip did the USA TODAY Network drop?",  # part of a name, not a time
])
def test_questions_without_relative_time_have_no_window(question):
    assert resolve(question, AS_OF) is None


def test_the_window_label_says_which_dates():
    assert resolve("What happened this week?", AS_OF).label() == "this week: 17 Nov – 24 Nov 2026"
    assert resolve("And yesterday?", AS_OF).label() == "yesterday: 23 Nov 2026"
    assert resolve("Since 2024?", AS_OF).label() == "Since 2024: 1 Jan 2024 – 24 Nov 2026"


# The fictional corpus of conftest: tram (2 Mar 2024), drought (5 Mar), cup (9 Mar), Lumetra (12 and 13 Mar).

@pytest.fixture
def filtering(indexed, settings, embeddings) -> RagService:
    """The indexed corpus answered with TIME_WINDOWS=filter."""
    return RagService(settings.replace(time_windows="filter"), embeddings=embeddings)


def test_boost_is_the_default():
    from rag.core.settings import Settings

    assert Settings().time_windows == "boost" and Settings.from_env({}).time_windows == "boost"


def test_this_week_answers_from_this_weeks_articles(filtering):
    indexed = filtering
    answer = indexed.ask("What did Lumetra announce this week?", Filters(as_of=date(2024, 3, 14)))
    assert not answer.refused and answer.citations
    assert all(date(2024, 3, 7) <= c.published <= date(2024, 3, 14) for c in answer.citations)
    assert answer.window == "this week: 7 Mar – 14 Mar 2024"
    assert answer.as_of == date(2024, 3, 14) and answer.newest == max(c.published for c in answer.citations)
    assert answer.currency().startswith("as of 14 Mar 2024 · newest source ")
    assert answer.to_dict()["window"] == answer.window


def test_the_window_keeps_other_weeks_out(filtering):
    indexed = filtering
    """The tram line was approved on 2 March: a week later 'this week' no longer finds it."""
    found, window = indexed.retrieve("What did the Riverton council approve this week?",
                                     Filters(as_of=date(2024, 3, 14)), k=5)
    assert window is not None and found
    assert all(p.chunk.published >= date(2024, 3, 7) for p in found)
    found, _ = indexed.retrieve("What did the Riverton council approve this week?",
                                Filters(as_of=date(2024, 3, 4)), k=5)
    assert found[0].chunk.title == "Riverton council approves new tram line"


@pytest.mark.parametrize("mode", ["filter", "boost"])
def test_an_empty_window_searches_every_date_and_says_so(indexed, settings, embeddings, mode):
    service = RagService(settings.replace(time_windows=mode), embeddings=embeddings)
    answer = service.ask("What did the Riverton council approve last year?", Filters(as_of=date(2024, 3, 14)))
    assert answer.window == ""
    assert "nothing indexed is dated last year: 1 Jan – 31 Dec 2023" in answer.notice
    assert not answer.refused and answer.citations[0].title == "Riverton council approves new tram line"


def test_windows_can_be_turned_off_or_used_as_a_boost(indexed, settings, embeddings):
    question, filters = "What did the Riverton council approve this week?", Filters(as_of=date(2024, 3, 14))
    off = RagService(settings.replace(time_windows="off"), embeddings=embeddings)
    found, window = off.retrieve(question, filters, k=5)
    assert window is None and found[0].chunk.title == "Riverton council approves new tram line"
    # The boost orders the fused candidates (the learned ranking stage, off here, then reorders them
    # on its own features, among them whether a passage is dated inside the window).
    boost = RagService(settings.replace(time_windows="boost", reranker="none"), embeddings=embeddings)
    found, window = boost.retrieve(question, filters, k=8)
    days = [p.chunk.published for p in found]
    assert window is not None and date(2024, 3, 2) in days  # older articles are not excluded ...
    assert days[0] >= date(2024, 3, 7)  # ... but this week's come first
    ranked, window = RagService(settings.replace(time_windows="boost"), embeddings=embeddings).retrieve(
        question, filters, k=8)
    days = [p.chunk.published for p in ranked]
    assert window is not None and date(2024, 3, 2) in days and max(days) >= date(2024, 3, 7)


def test_questions_default_to_today(indexed):
    answer = indexed.ask("What did the Riverton council approve?")
    assert answer.as_of is not None and answer.as_of >= date(2026, 1, 1)


@pytest.mark.parametrize("question", ["What happened this week?", "Anything in the past three years?",
                                      "What happened yesterday?", "News from last year?"])
def test_a_window_reaching_before_year_one_starts_at_year_one(question):
    window = resolve(question, date.min)
    assert window is not None and window.since == date.min and window.until == date.min
