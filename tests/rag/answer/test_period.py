"""Open questions about a period ("What happened this week?"): the period's biggest stories, cited, or
that it is quiet; on a real index of a week of articles."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from rag.answer.period import is_open, stories
from rag.core.settings import Settings
from rag.core.types import ArticleRef, Filters
from rag.service import RagService

from tests.conftest import write_corpus

WEEK: dict[str, dict] = {
    "storm-gazette.md": {
        "title": "Storm Elin floods Riverton harbour", "published": "2024-03-12", "source": "riverton-gazette",
        "url": "https://gazette.example/elin",
        "text": "Storm Elin flooded the harbour district of Riverton on Tuesday night, forcing 300 residents "
                "from their homes as the sea wall gave way.\nFirefighters pumped water from cellars until dawn."},
    "storm-times.md": {
        "title": "Riverton counts the cost of Storm Elin", "published": "2024-03-13", "source": "valdoria-times",
        "url": "https://times.example/elin",
        "text": "Riverton began counting the cost of Storm Elin on Wednesday after the sea wall collapsed and "
                "floodwater filled the streets of the harbour district.\nInsurers expect claims of 40 million euros."},
    "storm-wire.md": {
        "title": "Storm Elin: hundreds evacuated in Riverton", "published": "2024-03-12", "source": "wire-news",
        "url": "https://wire.example/elin",
        "text": "Hundreds of people were evacuated in Riverton as Storm Elin drove the sea over the harbour wall "
                "on Tuesday, the city said.\nThe storm is expected to move north on Thursday."},
    "strike-1.md": {
        "title": "Valdoria bus drivers walk out", "published": "2024-03-14", "source": "valdoria-times",
        "url": "https://times.example/strike",
        "text": "Bus drivers in Valdoria walked out on Thursday in a dispute over pay, leaving the city without "
                "public transport.\nThe union wants a rise of 8 percent."},
    "strike-2.md": {
        "title": "Valdoria bus strike enters second day", "published": "2024-03-15", "source": "valdoria-times",
        "url": "https://times.example/strike-2",
        "text": "The strike by Valdoria's bus drivers entered its second day on Friday with no talks planned, "
                "and schools told pupils to stay home.\nThe operator offered 4 percent."},
    "choir.md": {
        "title": "Port Aldine choir wins national prize", "published": "2024-03-16", "source": "coast-herald",
        "url": "https://herald.example/choir",
        "text": "The Port Aldine harbour choir won the national choir prize in Valdoria on Saturday, the first "
                "win for a coastal choir in twenty years.\nIts conductor thanked the town."},
    "older.md": {
        "title": "Riverton council approves new tram line", "published": "2024-03-02", "source": "riverton-gazette",
        "url": "https://gazette.example/tram",
        "text": "The Riverton city council voted 9 to 4 on Monday to approve a new tram line linking the "
                "harbour district to the university campus."},
}
AS_OF = Filters(as_of=date(2024, 3, 17))


@pytest.mark.parametrize("question,opened", [
    ("What happened?", True), ("What's new?", True), ("What were the biggest stories?", True),
    ("Any news?", True), ("What’s happening?", True), ("Tell me the top headlines", True),
    ("What happened to the tram?", False), ("Why did the sea wall fail?", False), ("", False),
])
def test_an_open_question_asks_for_nothing_but_the_news(question, opened):
    assert is_open(question) is opened


def test_articles_close_in_meaning_whose_titles_share_a_name_are_one_story():
    def ref(aid: str, title: str, source: str, day: int) -> ArticleRef:
        return ArticleRef(aid, title, source, date(2024, 3, day))

    refs = [ref("a", "Storm Elin floods Riverton", "gazette", 12),
            ref("b", "Riverton counts the cost of Storm Elin", "times", 13),
            ref("c", "Markets close higher", "times", 13), ref("d", "Quiz of the week | Weekly", "weekly", 14),
            ref("e", "Ten things to know | Weekly", "weekly", 14)]
    same, other = np.array([1.0, 0.1, 0.0]), np.array([0.0, 1.0, 0.0])
    vectors = {"a": same, "b": same + 0.05, "c": other, "d": np.array([0.0, 0.2, 1.0]), "e": np.array([0.0, 0.9, 1.0])}
    found = stories(refs, vectors)
    assert sorted(a.id for a in found[0].articles) == ["a", "b"]  # two outlets: first
    assert set(found[0].outlets) == {"gazette", "times"}
    # d and e are close (a site's template) but their titles share no name: two stories.
    assert sorted(len(s.articles) for s in found) == [1, 1, 1, 2]


@pytest.fixture(scope="module")
def week(tmp_path_factory, embeddings) -> RagService:
    root = tmp_path_factory.mktemp("week")
    service = RagService(Settings().replace(corpus_dir=root / "corpus", data_dir=root / "data"), embeddings=embeddings)
    write_corpus(service.settings.corpus_dir, WEEK)
    service.reindex()
    return service


@pytest.mark.integration
def test_what_happened_this_week_lists_the_stories_most_outlets_carried(week):
    answer = week.ask("What happened this week?", AS_OF)
    lines = answer.text.split("\n")
    assert lines[0] == ("The biggest stories of this week (10 Mar – 17 Mar 2024), by how many outlets and articles "
                        "carried them:")
    assert lines[1].startswith("• ") and "Storm Elin" in lines[1] and "[1] (3 outlets: " in lines[1]
    assert "bus drivers" in lines[2].lower() and lines[2].endswith("[2] (2 articles)")
    assert len(lines) == 3  # the choir and the older tram story are not among the week's big stories
    storm, strike = answer.citations
    assert {storm.source, *storm.outlets} == {"riverton-gazette", "valdoria-times", "wire-news"}
    texts = {p.chunk.article_id: p.chunk for p in answer.passages}
    for c in answer.citations:  # quoted exactly, the lead of the article cited
        chunk = texts[c.article_id]
        assert chunk.text[c.start - chunk.start:c.end - chunk.start] == c.quote and c.start == chunk.start
    assert answer.window.startswith("this week: ") and not answer.refused


@pytest.mark.integration
def test_a_quiet_period_says_so_and_an_empty_one_says_nothing_is_dated_in_it(week):
    quiet = week.ask("What happened yesterday?", Filters(as_of=date(2024, 3, 17)))
    assert quiet.text.startswith("A quiet day: yesterday (16 Mar 2024) has 1 article, each on a story of its own.")
    assert "choir" in quiet.text and len(quiet.citations) == 1
    empty = week.ask("What's new this week?", Filters(as_of=date(2024, 5, 1)))
    assert empty.refused and empty.text == ("Nothing indexed is dated this week (24 Apr – 1 May 2024); the newest "
                                            "article indexed is from 16 Mar 2024.")
    # A question about something in particular is searched as before.
    tram = week.ask("What happened to the tram line this month?", Filters(as_of=date(2024, 3, 17)))
    assert "9 to 4" in tram.text
