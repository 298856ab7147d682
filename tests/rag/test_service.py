"""The service as a facade: it wires its components on first use and delegates to them; a question
is checked once and answered from one snapshot (one read of the manifest's stamp)."""

from __future__ import annotations

from datetime import date

import pytest

from rag.answer.llm import ModelCalls
from rag.core.errors import IndexMissing, NotFound, QuestionError
from rag.core.questions import CheckedQuestion
from rag.core.types import Filters
from rag.search.catalogue import Catalogue
from rag.service import RagService

from tests.fakes import ScriptedChatModel, tool_call

TRAM_Q = "How much will the new tram line cost?"


def counted(service: RagService, monkeypatch) -> dict[str, int]:
    """Counts of the service's question checks, snapshots taken, and reads of the manifest's stamp
    (a network round-trip with a Chroma server)."""
    counts = {"checks": 0, "snapshots": 0, "stamps": 0}

    def counting(key: str, fn):
        def wrapper(*args, **kwargs):
            counts[key] += 1
            return fn(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(service, "check_question", counting("checks", service.check_question))
    monkeypatch.setattr(service.live, "snapshot", counting("snapshots", service.live.snapshot))
    monkeypatch.setattr(service.manifests, "stamp", counting("stamps", service.manifests.stamp))
    return counts


def with_model(indexed: RagService, model, **changes) -> RagService:
    return RagService(indexed.settings.replace(**changes), embeddings=indexed.embeddings,
                      client=indexed.client, chat_model=model)


def test_an_answer_in_a_date_window_checks_once_and_reads_the_manifest_once(indexed, monkeypatch):
    service = RagService(indexed.settings.replace(time_windows="boost"), embeddings=indexed.embeddings,
                         client=indexed.client)
    counts = counted(service, monkeypatch)
    # Boost mode searches twice (inside the window and over every date): both in one snapshot.
    answer = service.ask("What did the Riverton council approve this month?", Filters(as_of=date(2024, 3, 20)))
    assert answer.window and "tram" in answer.text
    assert counts == {"checks": 1, "snapshots": 1, "stamps": 1}


def test_a_written_answer_s_searches_share_the_question_s_snapshot(indexed, monkeypatch):
    model = ScriptedChatModel.replying(
        tool_call("tram line cost", "c1"),
        tool_call("Valdoria water restrictions", "c2"),
        "The tram line will cost 310 million euros [1].",
    )
    service = with_model(indexed, model, llm_tool_calling="on")
    counts = counted(service, monkeypatch)
    answer = service.ask("What will the tram cost, and what did Valdoria ban?")
    assert answer.mode == "generative"
    assert counts == {"checks": 1, "snapshots": 1, "stamps": 1}  # the agent searched twice


def test_a_question_the_caller_checked_is_not_checked_again(indexed, monkeypatch):
    counts = counted(indexed, monkeypatch)
    q = indexed.check_question(f"  {TRAM_Q}\n")  # as the bot checks a question before deferring
    assert isinstance(q, CheckedQuestion) and q == TRAM_Q
    assert "310 million euros" in indexed.ask(q).text
    assert counts["checks"] == 1
    indexed.ask(TRAM_Q)  # a plain string is checked
    assert counts["checks"] == 2
    with pytest.raises(QuestionError, match="empty"):
        indexed.ask("   ")


def test_timelines_and_topic_summaries_read_the_manifest_once(indexed, monkeypatch):
    counts = counted(indexed, monkeypatch)
    timeline = indexed.timeline("Lumetra battery factory", Filters(as_of=date(2024, 3, 20)))
    assert timeline.events and counts == {"checks": 1, "snapshots": 1, "stamps": 1}
    summary = indexed.summarize_topic("Lumetra battery factory", Filters(as_of=date(2024, 3, 20)))
    assert not summary.refused and counts == {"checks": 2, "snapshots": 2, "stamps": 2}


def test_the_facade_delegates_to_its_components(indexed):
    snap = indexed.live.snapshot()
    assert indexed.live.snapshot() is snap  # kept while the manifest does not change
    ids = lambda passages: [p.chunk.id for p in passages]  # noqa: E731
    assert ids(indexed.search(TRAM_Q, k=3)) == ids(indexed.searcher.search(snap.retriever, TRAM_Q, k=3))
    filters = Filters(as_of=date(2024, 3, 20))
    window = indexed.window_of("What happened this week?", filters)
    assert window == indexed.searcher.window_of("What happened this week?", filters) and window.since
    passages, used = indexed.retrieve(TRAM_Q, filters, k=3)
    assert used is None and ids(passages) == ids(indexed.search_in_time(TRAM_Q, filters, None, 3)[0])
    assert indexed.reranker is indexed.searcher.reranker is not None  # the built-in ranking, on by default

    catalogue = Catalogue(snap)
    assert indexed.find_articles("tram") == catalogue.find("tram")
    tram = indexed.resolve_article("Riverton council approves new tram line")
    assert tram == catalogue.resolve("riverton council approves new tram line")
    assert [s.text for s in indexed.article_sentences(tram)][1].startswith("The line will cost 310 million")
    assert indexed.article_sentences("no such article") == []
    with pytest.raises(NotFound):
        indexed.summarize_article("no such article")
    assert indexed.summarize_article(tram).citations[0].article_id == tram
    stats = indexed.stats()
    assert stats.articles == len(snap.manifest.articles) == 5 and stats.answer_mode == indexed.answer_mode
    assert stats.store == f"chroma on disk in {indexed.settings.data_dir}"
    assert indexed.article_labels()[tram] == "tram.md (Riverton council approves new tram line)"
    assert indexed.condense([], TRAM_Q) == TRAM_Q


def test_collaborators_passed_in_are_used_and_the_others_wait_for_their_first_use(settings, embeddings):
    calls = ModelCalls()
    service = RagService(settings, embeddings=embeddings, model_calls=calls)
    assert service.embeddings is embeddings and service.model_calls is calls
    assert service.answer_mode == "extractive (no LLM), answers judged by the learned models" and service.chat_model is None
    with pytest.raises(IndexMissing, match="no index"):
        service.ask(TRAM_Q)
    assert not (settings.data_dir / "chroma").exists()  # no store was opened to find that out
    model = ScriptedChatModel.replying("unused")
    assert RagService(settings, embeddings=embeddings, chat_model=model).answer_mode == "generative (ScriptedChatModel)"
