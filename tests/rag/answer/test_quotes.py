"""Quoted sentences hold whole quotations: answers, summaries and timelines on a real index never show
a quotation mark they do not close, and their citations keep the article's exact text."""

from __future__ import annotations

import re

import pytest

from rag.answer.timelines import TimelineEvent
from rag.core.settings import Settings
from rag.core.types import Answer, Citation
from rag.service import RagService
from rag.sources.ingest import load_corpus

from tests.conftest import ARTICLES, write_article, write_corpus

STADIUM = {
    "title": "Kessel stadium roof to be finished by spring, builder says",
    "published": "2024-03-14", "source": "riverton-gazette", "url": "https://gazette.example/roof",
    "text": (
        "The new roof of the Kessel stadium in Riverton will be finished by the spring, its builder said on "
        "Thursday.\n"
        '"We are on schedule. The steel is in place and the panels arrive next month," project manager Ines '
        "Varga told reporters at the site.\n"
        "Varga said the works would not disturb the last home games of the season.\n"
        # A quotation running on into the next paragraph: its first paragraph leaves the mark open.
        '"The last two games will be played with the stands half covered. We have agreed this with the league.\n'
        '"Fans will not notice any difference, apart from the cranes," she added.'
    ),
}
QUESTION = "What did Ines Varga say about the stadium roof schedule?"
MARKS = re.compile("[\"“”«»]")


@pytest.fixture(scope="module")
def stadium(tmp_path_factory, embeddings) -> tuple[RagService, str]:
    root = tmp_path_factory.mktemp("quotes")
    service = RagService(Settings().replace(corpus_dir=root / "corpus", data_dir=root / "data"),
                         embeddings=embeddings)
    write_corpus(service.settings.corpus_dir, ARTICLES)
    write_article(service.settings.corpus_dir, "roof.md", STADIUM)
    service.reindex()
    [article] = [a for a in load_corpus(service.settings.corpus_dir)[0] if a.title == STADIUM["title"]]
    return service, article.text


def balanced(text: str) -> bool:
    return len(MARKS.findall(text)) % 2 == 0


def quoted_parts(answer: Answer) -> list[str]:
    """The answer's text cut at its citation markers: each part is what one quoted sentence shows."""
    return [p.strip(" —*") for p in re.split(r"\[\d+\]", answer.text) if p.strip(" —*")]


def assert_exact_and_balanced(answer: Answer, text: str) -> None:
    cited = [c for c in answer.citations if c.title == STADIUM["title"]]
    assert cited, answer.text
    for c in cited:
        assert text[c.start:c.end] == c.quote  # the citation is the article's own text
    for part in quoted_parts(answer):
        assert balanced(part), part


def test_an_answer_quotes_the_whole_quotation(stadium):
    service, text = stadium
    answer = service.ask(QUESTION)
    assert not answer.refused
    whole = ('"We are on schedule. The steel is in place and the panels arrive next month," project manager '
             "Ines Varga told reporters at the site.")
    assert whole in answer.text
    assert_exact_and_balanced(answer, text)


def test_a_summary_closes_the_mark_a_multi_paragraph_quotation_leaves_open(stadium):
    service, text = stadium
    [ref] = [a for a in service.find_articles("Kessel stadium") if a.title == STADIUM["title"]]
    answer = service.summarize_article(ref.id)
    assert_exact_and_balanced(answer, text)
    [opened] = [c for c in answer.citations if c.quote.startswith('"The last two games')]
    assert opened.quote.endswith("half covered.")  # cited as written, shown closed
    assert '"The last two games will be played with the stands half covered." [' in answer.text


def test_a_timeline_line_is_balanced(stadium):
    service, text = stadium
    timeline = service.timeline("Kessel stadium roof")
    assert timeline.events
    for event in timeline.events:
        assert balanced(event.line())


def test_timeline_lines_close_an_open_quotation():
    citation = Citation(1, "a", "T", "s", None, "", '"The first point.', 0, 17)
    event = TimelineEvent(None, '"The first point.', citation, ("s",), ("a",))
    assert event.line() == 'undated — "The first point." [1]'
