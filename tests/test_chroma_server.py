"""Server mode: the same code against a real `chroma run` server on loopback (HttpClient)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from rag.service import RagService

from .conftest import ARTICLES, admits, write_article

CHROMA = Path(sys.executable).parent / "chroma"
TRAM_Q = "How much will the new tram line cost?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ChromaServer:
    """A `chroma run` process with its data in a temporary folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1",
                                      "--port", str(self.port)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                assert self.proc.poll() is None, "chroma run exited"
                time.sleep(0.2)
        raise AssertionError("chroma run did not start listening")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not CHROMA.exists() and not shutil.which("chroma"):
        pytest.fail("the chroma CLI (installed with chromadb) is missing")
    srv = ChromaServer(tmp_path_factory.mktemp("chroma-server"))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def remote(settings, embeddings, server, corpus) -> RagService:
    """A service whose store is the Chroma server, in a collection of its own."""
    remote_settings = replace(settings, chroma_host="127.0.0.1", chroma_port=server.port,
                              collection=f"news-{uuid.uuid4().hex[:8]}")
    return RagService(remote_settings, embeddings=embeddings)


def test_index_and_answer_against_the_server(remote):
    report = remote.reindex()
    assert len(report.added) == len(ARTICLES)
    stats = remote.stats()
    assert stats.store.startswith("chroma server 127.0.0.1:") and stats.chunks == report.chunks_embedded
    answer = remote.ask(TRAM_Q)
    assert not answer.refused and "310 million euros" in answer.text
    assert not (remote.settings.data_dir / "chroma").exists()  # nothing went to the embedded store


def test_incremental_reindex_against_the_server(remote, corpus):
    remote.reindex()
    write_article(corpus, "ferry.md", {"title": "Ferry strike ends", "published": "2024-03-21",
                                       "source": "riverton-gazette",
                                       "text": "The ferry workers' strike in Riverton ended after six days."})
    (corpus / "football.md").unlink()
    report = remote.reindex()
    assert len(report.added) == 1 and len(report.removed) == 1 and report.unchanged == len(ARTICLES) - 1
    assert remote.reindex().chunks_embedded == 0
    assert "six days" in remote.ask("How long did the ferry strike last?").text


def test_a_bot_on_another_machine_answers_from_the_shared_index(remote, embeddings, tmp_path):
    remote.reindex()
    expected = remote.ask(TRAM_Q)
    # Another process with an empty data folder: the manifest comes from the server and the
    # BM25 index is rebuilt from the stored chunks.
    elsewhere = RagService(replace(remote.settings, data_dir=tmp_path / "other-machine"), embeddings=embeddings)
    answer = elsewhere.ask(TRAM_Q)
    assert answer.text == expected.text and answer.citations == expected.citations
    assert elsewhere.search("Brekke", k=1)[0].chunk.title == "Riverton Rovers win the cup final"
    # A reindex on the first machine is seen by the second one at its next question.
    write_article(remote.settings.corpus_dir, "ferry.md", {
        "title": "Ferry strike ends", "published": "2024-03-21", "source": "riverton-gazette",
        "text": "The ferry workers' strike in Riverton ended after six days."})
    remote.reindex()
    assert "six days" in elsewhere.ask("How long did the ferry strike last?").text


def test_the_index_survives_a_server_restart(remote, embeddings, server):
    remote.reindex()
    before = remote.ask(TRAM_Q)
    server.stop()
    server.start()
    fresh = RagService(remote.settings, embeddings=embeddings)
    after = fresh.ask(TRAM_Q)
    assert after.text == before.text and after.citations == before.citations
    assert remote.ask(TRAM_Q).text == before.text  # the running service reconnects too


def test_filters_narrow_and_broad_against_the_server(remote, monkeypatch):
    """Each way the retriever applies a filter (after the search, by ids, by where) works on a server."""
    from datetime import date

    from rag import retrieval
    from rag.types import Filters

    remote.reindex()
    for filters in (Filters(as_of=date(2024, 3, 30)), Filters(sources=("wire-news",)),
                    Filters(since=date(2024, 3, 6), until=date(2024, 3, 12))):
        found = []
        for share, id_limit in ((0.0, 5000), (1.01, 5000), (1.01, 0)):
            monkeypatch.setattr(retrieval, "BROAD_FILTER_SHARE", share)
            monkeypatch.setattr(retrieval, "ID_LIST_LIMIT", id_limit)
            passages = remote.search("Lumetra battery factory jobs", filters, k=5)
            assert passages and all(admits(filters, p.chunk) for p in passages), (filters, share, id_limit)
            found.append([p.chunk.id for p in passages])
        assert found[0] == found[1] == found[2], filters
