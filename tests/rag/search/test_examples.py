"""The examples the bot shows, drawn from the indexed articles: what the newest week is about."""

from __future__ import annotations

from datetime import date

from rag.core.types import ArticleRef
from rag.search.examples import NEUTRAL_QUESTION, Examples, examples


def ref(title: str, published: str | None, source: str = "usatoday.com") -> ArticleRef:
    return ArticleRef(title[:8], title, source, date.fromisoformat(published) if published else None)


WEEK = [
    ref("Microsoft layoffs: 10,000 employees affected", "2023-01-18"),
    ref("New Zealand Prime Minister Jacinda Ardern resigned. What that means", "2023-01-19"),
    ref("Why is prime minister Jacinda Ardern resigning?", "2023-01-19"),
    ref("Microsoft layoffs, Ukraine chopper crash: The Short List", "2023-01-18"),
    ref("Matteo Messina Denaro: the most-wanted Mafia boss | The Week UK", "2023-01-16", "theweek.co.uk"),
    ref("Ten Things You Need to Know Today | The Week UK", "2023-01-16", "theweek.co.uk"),
    ref("Italy arrests Sicilian Mafia boss Matteo Messina Denaro", "2023-01-16"),
    ref("An older story about Jacinda Ardern", "2022-12-01"),
    ref("Undated explainer about Microsoft", None),
]


def test_the_examples_name_what_the_newest_week_is_about():
    ex = examples(WEEK, date(2024, 1, 1))
    # Three names recur twice in the week (one inside a longer name); the newest title's wins. Older
    # titles do not count.
    assert ex.topic == "Jacinda Ardern" and ex.question == "What happened with Jacinda Ardern?"
    assert ex.title == "New Zealand Prime Minister Jacinda Ardern resigned. What that means"
    assert ex.outlet == "usatoday.com"  # the outlet with the most articles
    assert (ex.since, ex.until) == (date(2023, 1, 13), date(2023, 1, 19))  # a real week of the index


def test_an_outlet_and_a_page_title_suffix_are_not_topics():
    week = [ref("Ten Things You Need to Know Today | The Week UK", "2023-01-16", "theweek.co.uk"),
            ref("Quiz of The Week: 13 January | The Week UK", "2023-01-13", "theweek.co.uk"),
            ref("Cake in the office | The Week UK", "2023-01-12", "theweek.co.uk")]
    ex = examples(week, date(2024, 1, 1))
    assert "Week" not in ex.topic and ex.title == "Ten Things You Need to Know Today"


def test_a_short_corpus_takes_its_dates_and_an_empty_one_gets_neutral_examples():
    one = examples([ref("Militants attack gendarmerie school in Bamako", "2024-09-17")], date(2026, 1, 1))
    assert one.topic == "Bamako" and (one.since, one.until) == (date(2024, 9, 17), date(2024, 9, 17))
    neutral = examples([], date(2024, 3, 8))
    assert neutral == Examples(NEUTRAL_QUESTION, "", "", "", date(2024, 3, 2), date(2024, 3, 8))
