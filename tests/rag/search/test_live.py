"""The live index: a running service answers from a generation another process committed, on the embedded
store too (`python -m rag index` from a terminal or cron beside the bot)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rag.service import RagService

from tests.conftest import ROOT, write_article
from tests.rag.test_faults import CARGO, TRAM_Q, change_corpus, index_env

FERRY = {"title": "Ferry strike ends after six days", "published": "2024-03-21", "source": "riverton-gazette",
         "url": "https://gazette.example/ferry",
         "text": "The ferry workers' strike in Riverton ended on Thursday after six days, when the operator "
                 "agreed to a pay rise of 7 percent."}


def index_beside(service: RagService, *args: str) -> str:
    """`python -m rag index` run by another process on the service's folders, as from a terminal or cron."""
    result = subprocess.run([sys.executable, "-m", "rag", "index", *args], cwd=ROOT, env=index_env(service.settings),
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.slow
def test_a_running_service_answers_after_a_reindex_by_another_process(indexed, corpus):
    """The bot stays up while `python -m rag index` runs beside it on the same data folder (embedded
    store): it answers about the new article, and goes on after a full reindex and its own reindex."""
    before, opened = indexed.ask(TRAM_Q), indexed.client
    write_article(corpus, "ferry.md", FERRY)
    change_corpus(corpus, 0)
    assert index_beside(indexed).startswith("11 added")

    ferry = indexed.ask("How long did the ferry strike in Riverton last?")
    assert indexed.client is not opened  # the embedded store was opened again for the other process's commit
    assert "six days" in ferry.text and ferry.citations[0].title == FERRY["title"]
    assert any(p.chunk.source == "harbour-r0" for p in indexed.search(f"containers of {CARGO[0]}", k=5))
    assert indexed.ask(TRAM_Q).text == before.text

    change_corpus(corpus, 1)
    assert index_beside(indexed, "--full").startswith("rebuilt ")  # a new collection, by another process
    assert any(p.chunk.source == "harbour-r1" for p in indexed.search(f"containers of {CARGO[1]}", k=5))
    change_corpus(corpus, 2)
    index_beside(indexed)
    report = indexed.reindex()  # this process's own reindex (/reindex) after another process's: nothing left to do
    assert report.chunks_embedded == 0 and not report.added
    opened = indexed.client
    write_article(corpus, "ferry.md", {**FERRY, "text": FERRY["text"] + " Ferries run again on Friday."})
    assert len(indexed.reindex().updated) == 1 and indexed.client is opened  # its own commits: the same client
    assert any(p.chunk.source == "harbour-r2" for p in indexed.search(f"containers of {CARGO[2]}", k=5))
    assert "six days" in indexed.ask("How long did the ferry strike in Riverton last?").text
