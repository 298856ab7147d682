"""Retrieval and extractive answers on the real index: citations, spans, filters, refusals."""

from __future__ import annotations

from datetime import date

import pytest

from rag.core.errors import QuestionError
from rag.sources.ingest import load_corpus
from rag.core.types import Filters

from tests.conftest import ROOT


def article_texts(folder) -> dict[str, str]:
    articles, _ = load_corpus(folder)
    return {a.id: a.text for a in articles}


def test_answer_cites_the_passage_it_came_from(indexed, corpus):
    answer = indexed.ask("How much will the new tram line cost?")
    assert not answer.refused
    assert "310 million euros" in answer.text
    assert answer.citations and "[1]" in answer.text
    texts = article_texts(corpus)
    for c in answer.citations:
        assert f"[{c.n}]" in answer.text
        assert texts[c.article_id][c.start:c.end] == c.quote  # the quote is the article's text at its span
        assert c.title and c.source and c.published and c.url.startswith("https://")


def test_answer_is_short(indexed):
    answer = indexed.ask("What is happening in Valdoria?")
    assert not answer.refused
    assert len(answer.citations) <= 3
    assert len(answer.text) <= 600 + 5 * 3


@pytest.mark.parametrize("question", [
    "What is the boiling point of tungsten?",
    "Who painted the Mona Lisa?",
    "How do I reset my router password?",
])
def test_questions_the_corpus_does_not_cover_are_refused(indexed, question):
    answer = indexed.ask(question)
    assert answer.refused
    assert answer.citations == ()
    assert "does not cover" in answer.text


@pytest.mark.parametrize("question", ["", "   \n  "])
def test_empty_question_is_an_error(indexed, question):
    with pytest.raises(QuestionError, match="empty"):
        indexed.ask(question)


def test_oversized_question_is_an_error(indexed):
    with pytest.raises(QuestionError, match="tokens long"):
        indexed.ask("tram " * 500)


def test_source_filter(indexed):
    passages = indexed.search("battery factory jobs", Filters(sources=("wire-news",)), k=5)
    assert passages and {p.chunk.source for p in passages} == {"wire-news"}


def test_date_range_filter(indexed):
    passages = indexed.search("Riverton", Filters(since=date(2024, 3, 6), until=date(2024, 3, 10)), k=10)
    assert passages and all(date(2024, 3, 6) <= p.chunk.published <= date(2024, 3, 10) for p in passages)


def test_as_of_hides_later_articles(indexed):
    passages = indexed.search("Lumetra battery factory", Filters(as_of=date(2024, 3, 6)), k=10)
    assert all(p.chunk.published <= date(2024, 3, 6) for p in passages)
    assert indexed.ask("Where will Lumetra build its battery factory?", Filters(as_of=date(2024, 3, 6))).refused


def test_wire_copies_collapse_into_one_passage(indexed):
    passages = indexed.search("Lumetra battery factory jobs", k=5)
    lumetra = [p for p in passages if "Lumetra" in p.chunk.text]
    assert len(lumetra) == 1
    assert lumetra[0].also_in


def test_hybrid_search_finds_exact_names(indexed):
    # A rare proper name is BM25's strength: it must reach the top even in a one-word query.
    assert indexed.search("Brekke", k=1)[0].chunk.title == "Riverton Rovers win the cup final"


@pytest.mark.integration
def test_seed_corpus_answers_the_faladie_question(embeddings, tmp_path):

    from rag.service import RagService
    from rag.core.settings import Settings

    service = RagService(Settings().replace(corpus_dir=ROOT / "corpus", data_dir=tmp_path / "data"),
                         embeddings=embeddings)
    service.reindex()
    answer = service.ask("What happened at the Faladie gendarmerie school?")
    assert not answer.refused
    assert "Faladie" in answer.text or "gendarmerie" in answer.text
    texts = article_texts(ROOT / "corpus")
    for c in answer.citations:
        assert texts[c.article_id][c.start:c.end] == c.quote
    assert service.ask("Who won the 2022 football World Cup final?").refused
    # Refused (no article mentions "West African"), but not "does not cover": the article about the attack
    # names the country in its title, and the refusal names it.
    named = service.ask("Militants attacked a gendarmerie school in which West African country?")
    assert named.refused and named.text.startswith(
        "The articles found do not answer this for certain (none of them mentions West African); the nearest "
        "names Bamako") and "“Extremists launched an assault on a military training facility in the Malian " \
        "capital, Bamako" in named.text
    [c] = named.citations
    assert texts[c.article_id][c.start:c.end] == c.quote


def test_outlets_that_disagree_on_a_figure_are_both_cited(service, settings):
    from tests.conftest import write_corpus

    write_corpus(settings.corpus_dir, {
        "quake-a.md": {"title": "Earthquake strikes Velmar province", "published": "2024-05-02",
                       "source": "valdoria-times", "url": "https://times.example/quake",
                       "text": "An earthquake struck Velmar province on Wednesday night. The earthquake killed 42 "
                               "people in Velmar, the interior ministry said on Thursday. Rescue teams from three "
                               "regions searched collapsed buildings through the night."},
        "quake-b.md": {"title": "Velmar quake toll rises as rescuers dig", "published": "2024-05-03",
                       "source": "coast-herald", "url": "https://herald.example/quake",
                       "text": "Hospitals in the province said the earthquake killed 57 people in Velmar, more than "
                               "the government has admitted. Aftershocks shook the region on Friday morning and "
                               "schools stayed closed."},
        "tram.md": {"title": "Riverton council approves new tram line", "published": "2024-03-02",
                    "source": "riverton-gazette", "url": "https://gazette.example/tram",
                    "text": "The Riverton council approved a new tram line on Monday. It will cost 120 million euros."},
    })
    service.reindex()
    answer = service.ask("How many people did the earthquake in Velmar kill?")
    assert not answer.refused
    assert "42" in answer.text and "57" in answer.text
    sources = {c.source for c in answer.citations}
    assert {"valdoria-times", "coast-herald"} <= sources
    assert "outlets disagree" in answer.notice and "42" in answer.notice and "57" in answer.notice


def test_agreeing_outlets_raise_no_disagreement(indexed):
    answer = indexed.ask("What will the new tram line cost?")
    assert not answer.refused and "disagree" not in answer.notice
