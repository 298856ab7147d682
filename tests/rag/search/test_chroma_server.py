"""Server mode: the same code against a real `chroma run` server on loopback (HttpClient)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from rag.service import RagService
from rag.index.store import StoreUnavailable

from tests.conftest import ARTICLES, ROOT, admits, write_article

# A real Chroma server in a subprocess, indexed with the real model.
pytestmark = pytest.mark.integration

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
    remote_settings = settings.replace(chroma_host="127.0.0.1", chroma_port=server.port,
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
    elsewhere = RagService(remote.settings.replace(data_dir=tmp_path / "other-machine"), embeddings=embeddings)
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


def test_a_server_outage_is_one_line_in_the_terminal_and_answers_resume_after_it(remote, server, tmp_path):
    remote.reindex()
    before = remote.ask(TRAM_Q)
    env = dict(os.environ, CHROMA_HOST="127.0.0.1", CHROMA_PORT=str(server.port),
               CHROMA_COLLECTION=remote.settings.collection, DATA_DIR=str(tmp_path / "cli-data"))
    unreachable = ("error: the index store is unreachable: start the Chroma server, or check CHROMA_HOST "
                   "and CHROMA_PORT")
    server.stop()
    try:
        with pytest.raises(StoreUnavailable, match="the index store is unreachable"):
            remote.ask(TRAM_Q)
        with pytest.raises(StoreUnavailable):
            remote.stats()
        for args, stdin in ((["chat"], f"{TRAM_Q}\n\n"), (["ask", TRAM_Q], None), (["stats"], None)):
            result = subprocess.run([sys.executable, "-m", "rag", *args], cwd=ROOT, env=env, input=stdin,
                                    capture_output=True, text=True, timeout=300)
            assert result.returncode == 1, (args, result.stderr)
            assert result.stderr.strip() == unreachable, args
    finally:
        server.start()
    assert remote.ask(TRAM_Q).text == before.text  # the same service answers again once it is back
    chat = subprocess.run([sys.executable, "-m", "rag", "chat"], cwd=ROOT, env=env, input=f"{TRAM_Q}\n\n",
                          capture_output=True, text=True, timeout=300)
    assert chat.returncode == 0 and "310 million" in chat.stdout, chat.stderr


async def test_the_bot_status_says_the_index_store_is_unreachable(remote, server, tmp_path):
    from tests.cogs.world import embed_of, open_world

    remote.reindex()
    async with open_world(remote, tmp_path) as world:
        server.stop()
        try:
            result = await world.bob.slash(world.channel, "status")
            asked = await world.bob.slash(world.channel, "ask", question=TRAM_Q)
        finally:
            server.start()
        assert "The index store is unreachable" in embed_of(result.response).description
        [note] = asked.followups  # the answer was deferred before the store was asked
        assert note.ephemeral and note.content.startswith("The index store is unreachable: start the Chroma server")
        world.expect_error(StoreUnavailable)
        answer = await world.bob.slash(world.channel, "ask", question=TRAM_Q)
        assert "310 million euros" in embed_of(answer.response).description
        healthy = await world.bob.slash(world.channel, "status")
        fields = {f.name: f.value for f in embed_of(healthy.response).fields}
        assert fields["Articles"] == str(len(ARTICLES))


def test_filters_narrow_and_broad_against_the_server(remote, monkeypatch):
    """Each way the retriever applies a filter (after the search, by ids, by where) works on a server."""
    from datetime import date

    from rag.search import retrieval
    from rag.core.types import Filters

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
