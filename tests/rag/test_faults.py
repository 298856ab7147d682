"""Fault injection with real parts: SIGKILLed reindexes, a Chroma server that goes away, models
that hang, crawl or fail, a host whose DNS answer changes between the check and the connection.
The slow ones print their figures, so `pytest -s -m slow tests/rag/test_faults.py` shows how many
faults were injected and what they hit.

Set FAULT_SEED to replay the random kill points of a run (every run prints its seed).
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage

from rag.answer.llm import ModelCalls
from rag.index import manifest as manifest_io
from rag.service import RagService
from rag.index.store import ChunkStore, StoreUnavailable

from tests.conftest import ARTICLES, ROOT, write_article
from tests.fakes import FailingChatModel, ScriptedChatModel, SlowChatModel

TRAM_Q = "How much will the new tram line cost?"


# --------------------------------------------------------------------------- SIGKILL during reindexes
#
# The indexer and the readers are separate processes here, as when `python -m rag index` runs
# beside the bot. The store (embedded Chroma in DATA_DIR) is only ever opened by child processes,
# each one new (see probe()); a process that keeps the embedded store open opens it again when another
# process commits (tests/rag/search/test_live.py).


def superseded_chunks(service: RagService) -> list[str]:
    """Ids of the chunks in the live collection that the committed manifest does not point at."""
    m = manifest_io.read(service.settings.data_dir)
    store = ChunkStore(service.client, m.collection)
    return [c.id for page in store.pages(1000) for c in page
            if (e := m.articles.get(c.article_id)) is None or e.hash != c.doc_hash]


def probe(reindex: bool, r: int) -> None:
    """Run in a new process: what a reader sees, optionally a reindex, then what it sees, as JSON."""
    import io
    import json

    from rag.cli import TerminalProgress
    from rag.core.settings import Settings

    def state() -> dict:
        service = RagService(Settings.from_env())
        m = service.manifests.read()
        answer = service.ask(TRAM_Q).to_dict()
        found = [p.chunk.source for p in service.search(f"containers of {CARGO[r]}", k=5)]
        return {"manifest": m.to_json(), "generation": m.generation, "answer": answer["answer"],
                "citations": answer["citations"], "found": f"harbour-r{r}" in found,
                "superseded": len(superseded_chunks(service)),
                "stored": ChunkStore(service.client, m.collection).count(), "live": m.chunk_count}

    out = {"before": state() if manifest_io.read(Settings.from_env().data_dir) else None}
    if reindex:
        printed = io.StringIO()
        report = RagService(Settings.from_env()).reindex(progress=TerminalProgress(printed))
        lines = [line for line in printed.getvalue().splitlines() if not line.startswith(("committed", "settling"))]
        out["report"] = {"lines": len(lines), "added": len(report.added), "updated": len(report.updated),
                         "removed": len(report.removed), "embedded": report.chunks_embedded}
        out["after"] = state()
    print(json.dumps(out))


def run_probe(env: dict[str, str], r: int, reindex: bool) -> dict:
    import json

    result = subprocess.run([sys.executable, "-c", f"from tests.rag.test_faults import probe; probe({reindex}, {r})"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


CARGO = ("grain", "timber", "copper", "coffee", "wool", "salt", "cement")  # one per round, to search by


def harbour_article(r: int, i: int, version: int = 0) -> dict:
    """An article of round ``r``; ``version`` changes its text (an update in a later round)."""
    return {
        "title": f"Harbour report {r}-{i}", "published": "2024-04-01", "source": f"harbour-r{r}",
        "text": " ".join(f"Ship {r}-{i}-{j} docked at pier {j + version} carrying {j * 7 + version} "
                         f"containers of {CARGO[r]}." for j in range(24)),
    }


def change_corpus(corpus: Path, r: int, per_round: int = 10) -> None:
    """Round ``r``: ``per_round`` new articles, two of the previous round's updated, one removed."""
    for i in range(per_round):
        write_article(corpus, f"harbour-{r}-{i}.md", harbour_article(r, i))
    if r > 0:
        for i in (0, 1):
            write_article(corpus, f"harbour-{r - 1}-{i}.md", harbour_article(r - 1, i, version=r))
        (corpus / f"harbour-{r - 1}-2.md").unlink()


def index_env(settings) -> dict[str, str]:
    env = dict(os.environ, EMBEDDING_BATCH_SIZE="1", CORPUS_DIR=str(settings.corpus_dir),
               DATA_DIR=str(settings.data_dir))
    for name in ("CHROMA_HOST", "CHROMA_PORT", "LLM_PROVIDER"):
        env.pop(name, None)
    return env


def run_and_kill(cmd: list[str], env: dict[str, str], after_line: int, delay: float,
                 timeout: float = 180) -> tuple[list[str], int, bool]:
    """Start ``cmd``; after its ``after_line``-th progress line and ``delay`` more seconds, SIGKILL it.

    Returns the progress lines seen, the exit status, and whether the kill was sent while the
    process was still running.
    """
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            text=True)
    timed_out = threading.Event()

    def kill(event: threading.Event | None = None) -> None:
        if proc.poll() is None:
            if event is not None:
                event.set()
            proc.send_signal(signal.SIGKILL)

    watchdog = threading.Timer(timeout, kill, (timed_out,))
    watchdog.start()
    lines: list[str] = []

    timer: threading.Timer | None = None
    try:
        for line in proc.stderr:
            if ": " not in line:
                continue
            lines.append(line.strip())
            if len(lines) == after_line and timer is None:
                timer = threading.Timer(delay, kill)
                timer.start()
        status = proc.wait()
    finally:
        watchdog.cancel()
        if timer is not None:
            timer.join()
    assert not timed_out.is_set(), f"killed by the watchdog after {timeout}s: {lines}"
    assert status in (0, -signal.SIGKILL), lines
    return lines, status, status == -signal.SIGKILL


@pytest.mark.slow
@pytest.mark.integration
def test_sigkill_at_random_points_and_between_commit_and_clean_up(settings, corpus):
    seed = int(os.environ.get("FAULT_SEED", random.randrange(1_000_000)))
    rng = random.Random(seed)
    env = index_env(settings)
    print(f"\nSIGKILL during reindexes (FAULT_SEED={seed}):")
    first = run_probe(env, 0, reindex=True)
    assert first["report"]["added"] == len(ARTICLES)
    state = first["after"]
    lines_per_run = first["report"]["lines"]  # progress lines a reindex prints before its commit
    rounds, kills, commits = 5, 0, 0
    for r in range(rounds + 1):
        change_corpus(corpus, r)
        if r == rounds:
            # Exactly between the commit and the clean-up: an indexer whose clean-up kills it.
            script = ("import os, signal, sys\n"
                      "from rag.cli import main\n"
                      "from rag.index.indexer import Indexer\n"
                      "Indexer._clean_after_commit = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)\n"
                      "sys.exit(main(['index']))\n")
            lines, status, killed = run_and_kill([sys.executable, "-c", script], env, 10_000, 0.0)
            assert killed and lines[-1] == "committed: 1/1 (100%)", lines
            where = "exactly between the commit and the clean-up"
        else:
            # The kill comes after a random one of the progress lines printed before the commit
            # (one per tenth of each stage: reading, embedding, lexical index, duplicates), plus
            # up to a fifth of a second, so it can land anywhere up to just after the commit.
            after_line = rng.randint(1, lines_per_run)
            delay = round(rng.uniform(0.0, 0.2), 3)
            lines, status, killed = run_and_kill([sys.executable, "-m", "rag", "index"], env, after_line, delay)
            where = f"after progress line {after_line} + {delay}s"
        probed = run_probe(env, r, reindex=True)
        seen, report, done = probed["before"], probed["report"], probed["after"]
        committed = seen["generation"] != state["generation"]
        figures = (f"  run {r + 1}: kill {where}, last line {lines[-1] if lines else None!r}: "
                   f"{'killed' if killed else 'finished first'}, "
                   f"{'committed' if committed else 'not committed'}, {seen['superseded']} chunks in the store "
                   f"that the manifest does not point at; the next reindex embedded {report['embedded']} "
                   f"chunks and left {done['superseded']}")
        print(figures)
        kills += killed
        commits += committed
        # What readers see after the kill: the previous index exactly, or the new one once committed.
        assert (seen["answer"], seen["citations"]) == (state["answer"], state["citations"]), figures
        assert seen["found"] == committed, figures
        if not committed:
            assert seen["manifest"] == state["manifest"], figures
            assert seen["live"] == state["live"]
            assert (report["added"], report["updated"], report["removed"]) == (10, 2 if r else 0, 1 if r else 0)
        else:
            assert seen["generation"] == state["generation"] + 1
            assert report["embedded"] == 0, figures  # the killed run's commit stands
        if r == rounds:
            assert committed and seen["superseded"] > 0, figures  # the clean-up never ran
        # The next reindex completes and leaves no superseded chunks.
        assert done["found"] and done["superseded"] == 0 and done["stored"] == done["live"], figures
        assert (done["answer"], done["citations"]) == (state["answer"], state["citations"])
        if report["embedded"]:
            lines_per_run = report["lines"]
        state = done
    print(f"  {kills} kills in {rounds + 1} reindexes ({commits} after the commit); "
          "after each the index answered as before and the next reindex left no superseded chunks")
    assert kills >= rounds  # at most one random kill may come too late, when the run had ended


# --------------------------------------------------------------------------- Chroma server restarts


class Chat:
    """A `python -m rag chat` process: questions written to its stdin, replies read up to the next prompt."""

    PROMPT = b"\n? "

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "rag", "chat"], cwd=ROOT, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._out = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._wait(1)

    def _read(self) -> None:
        while chunk := os.read(self.proc.stdout.fileno(), 65536):
            self._out += chunk

    def _wait(self, prompts: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while bytes(self._out).count(self.PROMPT) < prompts:
            assert self.proc.poll() is None, f"the chat ended: {self.proc.stderr.read().decode()}"
            assert time.monotonic() < deadline, f"no prompt within {timeout}s: {bytes(self._out)[-500:]!r}"
            time.sleep(0.02)

    def ask(self, question: str) -> str:
        seen = bytes(self._out).count(self.PROMPT)
        start = len(self._out)
        self.proc.stdin.write(question.encode() + b"\n")
        self.proc.stdin.flush()
        self._wait(seen + 1)
        return bytes(self._out[start:]).rsplit(self.PROMPT, 1)[0].decode().strip()

    def close(self) -> tuple[int, str]:
        """End the chat with an empty line; its exit status and what it wrote to stderr."""
        self.proc.stdin.write(b"\n")
        self.proc.stdin.flush()
        status = self.proc.wait(timeout=60)
        self._reader.join(10)
        return status, self.proc.stderr.read().decode()


@pytest.mark.slow
@pytest.mark.integration
async def test_chroma_server_restarted_while_questions_are_asked(settings, embeddings, corpus, tmp_path):
    from tests.cogs.world import embed_of, open_world
    from tests.rag.search.test_chroma_server import ChromaServer

    server = ChromaServer(tmp_path / "chroma-server")
    server.start()
    try:
        remote = RagService(settings.replace(chroma_host="127.0.0.1", chroma_port=server.port,
                                             collection=f"news-{uuid.uuid4().hex[:8]}"), embeddings=embeddings)
        remote.reindex()
        expected = remote.ask(TRAM_Q)
        outcomes: list[tuple[float, str]] = []  # (when, "answer" | "unreachable"); anything else fails
        wrong: list[BaseException | str] = []
        stop = threading.Event()

        def asker() -> None:
            while not stop.is_set():
                try:
                    answer = remote.ask(TRAM_Q)
                except StoreUnavailable as exc:
                    if "\n" in str(exc) or not str(exc).startswith("the index store is unreachable"):
                        wrong.append(str(exc))
                    outcomes.append((time.monotonic(), "unreachable"))
                except Exception as exc:  # noqa: BLE001 - any other error is a failure of the test
                    wrong.append(exc)
                    outcomes.append((time.monotonic(), "error"))
                else:
                    if answer.text != expected.text or answer.citations != expected.citations:
                        wrong.append(f"a different answer: {answer.text[:200]!r}")
                    outcomes.append((time.monotonic(), "answer"))
                stop.wait(0.05)

        def wait_for(kind: str, since: float, timeout: float = 60) -> float:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                hits = [t for t, k in list(outcomes) if k == kind and t > since]
                if len(hits) >= 2:
                    return hits[0]
                assert not wrong, wrong
                stop.wait(0.05)
            raise AssertionError(f"no {kind!r} outcome within {timeout}s of the last change")

        restarts = 3
        print(f"\nChroma server restarts: {restarts}, with questions asked through the service, the chat "
              "and the bot")
        bot_notes: list[str] = []
        chat_replies: list[str] = []
        chat = Chat(dict(os.environ, CHROMA_HOST="127.0.0.1", CHROMA_PORT=str(server.port),
                         CHROMA_COLLECTION=remote.settings.collection, DATA_DIR=str(tmp_path / "chat-data")))
        unreachable = ("error: the index store is unreachable: start the Chroma server, or check CHROMA_HOST "
                       "and CHROMA_PORT")
        thread = threading.Thread(target=asker, name="asker", daemon=True)
        async with open_world(remote, tmp_path) as world:
            thread.start()
            try:
                for _ in range(restarts):
                    wait_for("answer", time.monotonic())
                    stopped = time.monotonic()
                    server.stop()
                    wait_for("unreachable", stopped)
                    chat_replies.append(chat.ask(TRAM_Q))
                    assert chat_replies[-1] == unreachable
                    asked = await world.bob.slash(world.channel, "ask", question=TRAM_Q)
                    [note] = asked.followups
                    assert note.ephemeral and "\n" not in note.content
                    assert note.content.startswith("The index store is unreachable: start the Chroma server")
                    bot_notes.append(note.content)
                    world.expect_error(StoreUnavailable)
                    started = time.monotonic()
                    server.start()
                    back = wait_for("answer", started)
                    answer = await world.bob.slash(world.channel, "ask", question=TRAM_Q)
                    assert "310 million euros" in embed_of(answer.response).description
                    chat_replies.append(chat.ask(TRAM_Q))
                    assert "310 million euros" in chat_replies[-1]
                    print(f"  restart: answers resumed {back - started:.1f}s after `chroma run` was started")
            finally:
                stop.set()
                thread.join(60)
                status, stderr = chat.close()
        assert not wrong, wrong
        assert status == 0 and "Traceback" not in stderr, stderr
        counts = {k: sum(1 for _, kind in outcomes if kind == k) for k in ("answer", "unreachable")}
        print(f"  {restarts} restarts; questions through the service: {counts['answer']} "
              f"answered, {counts['unreachable']} told the index store is unreachable, 0 other errors; "
              f"through the chat: {chat_replies.count(unreachable)} one-line errors, "
              f"{sum('310 million' in r for r in chat_replies)} answers after restarts; "
              f"through the bot: {len(bot_notes)} outage notes of one line, {restarts} answers after restarts")
        assert counts["unreachable"] >= 2 * restarts and counts["answer"] >= 2 * restarts
    finally:
        server.stop()


# --------------------------------------------------------------------------- hung, slow and failing models


class HungChatModel(ScriptedChatModel):
    """Never answers until ``release`` is set, like a provider that accepts the call and goes quiet."""

    release: threading.Event

    model_config = {"arbitrary_types_allowed": True}

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        self.sent.append(list(messages))
        self.release.wait(120)
        raise TimeoutError("released at the end of the test")


@pytest.mark.slow
def test_hung_slow_and_failing_models_still_get_answers_in_time(indexed):
    timeout, margin = 1.0, 4.0
    release = threading.Event()
    hung_models: list[HungChatModel] = []

    def hung_model() -> HungChatModel:
        hung_models.append(HungChatModel(messages=iter([]), release=release))
        return hung_models[-1]

    def hung_calls() -> int:
        return sum(len(m.sent) for m in hung_models)

    calls = ModelCalls()  # shared as one service's: the hung calls of every question count together

    def service(model) -> RagService:
        return RagService(indexed.settings.replace(llm_timeout=timeout), embeddings=indexed.embeddings,
                          client=indexed.client, chat_model=model, model_calls=calls)

    kinds = {
        "hung": hung_model,
        "slow": lambda: SlowChatModel(messages=iter([AIMessage("late [1]")]), delay=3 * timeout),
        "failing": lambda: FailingChatModel(messages=iter([]), error=ConnectionError("provider down")),
        "in time": lambda: SlowChatModel(messages=iter([AIMessage("The tram line will cost 310 million euros [1].")]),
                                         delay=timeout / 4),
    }
    notices = {"hung": "did not answer within 1s", "slow": "did not answer within 1s",
               "failing": "failed (ConnectionError)"}

    def ask(kind: str) -> tuple[str, float, object]:
        started = time.monotonic()
        answer = service(kinds[kind]()).ask(TRAM_Q)
        return kind, time.monotonic() - started, answer

    try:
        # Twelve rounds of the four kinds, four questions at a time.
        plan = [kind for _ in range(3) for kind in kinds]
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(ask, plan))
        slowest: dict[str, float] = {}
        for kind, seconds, answer in results:
            slowest[kind] = max(slowest.get(kind, 0.0), seconds)
            assert seconds < timeout + margin, (kind, seconds)
            assert not answer.refused and "310 million euros" in answer.text, (kind, answer.text)
            if kind == "in time":
                assert answer.mode == "generative", answer.notice
            else:
                assert answer.mode == "extractive" and notices[kind] in answer.notice, (kind, answer.notice)
        assert hung_calls() == plan.count("hung")
        assert calls.hung() >= plan.count("hung")  # abandoned, still hanging

        # The hung calls hold no worker a later question needs: a model that answers is used at once.
        _, seconds, answer = ask("in time")
        assert answer.mode == "generative" and seconds < timeout + margin

        # Hung calls up to the limit; past it a question is answered without the model, at once.
        while (alive := calls.hung()) < calls.max_hung:
            with ThreadPoolExecutor(4) as pool:
                for _, seconds, answer in pool.map(ask, ["hung"] * min(4, calls.max_hung - alive)):
                    assert answer.mode == "extractive" and seconds < timeout + margin
        abandoned = calls.hung()
        _, refused_in, answer = ask("in time")
        assert answer.mode == "extractive" and "has not answered" in answer.notice
        assert "310 million euros" in answer.text and refused_in < margin
    finally:
        release.set()
    deadline = time.monotonic() + 30
    while calls.hung() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not calls.hung()
    _, seconds, answer = ask("in time")  # the hung calls ended: the model is used again
    assert answer.mode == "generative"
    print(f"\nLLM faults (LLM_TIMEOUT={timeout:g}s): {hung_calls()} hung calls, "
          f"{plan.count('slow')} slow, {plan.count('failing')} failing, {plan.count('in time') + 2} in time; "
          f"slowest answer by kind: " + ", ".join(f"{k} {v:.2f}s" for k, v in slowest.items())
          + f"; with {abandoned} abandoned calls hanging, a question was answered without the model "
          f"in {refused_in:.2f}s")


# --------------------------------------------------------------------------- DNS rebinding


@pytest.fixture
def local_site():
    """An HTTP server on 127.0.0.1 answering every GET with a page, recording the Host headers."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    hosts: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            hosts.append(self.headers.get("Host", ""))
            body = b"<html><body><p>Internal admin page.</p></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hosts
    server.shutdown()
    server.server_close()


def fake_dns(monkeypatch, answers: dict[str, list[str]]) -> list[str]:
    """Resolve the named hosts to their next answer (the last one repeats); the names asked, in order."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            return real(host, port, *args, **kwargs)
        asked.append(host)
        queue = answers[host]
        address = queue.pop(0) if len(queue) > 1 else queue[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def test_a_host_that_rebinds_to_loopback_after_the_check_is_refused(local_site, monkeypatch):
    from rag.sources.feeds import FetchError, Fetcher, outbound_client

    port, hosts = local_site
    # Public for the first answer (the check before the request), loopback from then on.
    asked = fake_dns(monkeypatch, {"news.rebind.test": ["93.184.216.34", "127.0.0.1"]})
    fetcher = Fetcher(outbound_client(5.0), timeout=5.0, max_mb=1, host_delay=0)
    with pytest.raises(FetchError, match=r"refused: news.rebind.test \(127.0.0.1\) is a loopback address"):
        fetcher.get(f"http://news.rebind.test:{port}/admin")
    assert hosts == []  # nothing reached the loopback server
    assert len(asked) == 2  # checked before the request, and again for the connection


def test_the_connection_goes_to_the_checked_address_with_the_url_s_host(local_site, monkeypatch):
    from rag.sources.feeds import Fetcher, outbound_client

    port, hosts = local_site
    asked = fake_dns(monkeypatch, {"feeds.intranet.test": ["127.0.0.1"]})
    fetcher = Fetcher(outbound_client(5.0, ("127.0.0.1/32",)), timeout=5.0, max_mb=1, host_delay=0)
    page = fetcher.get(f"http://feeds.intranet.test:{port}/news")
    assert b"Internal admin page" in page.body
    assert hosts == [f"feeds.intranet.test:{port}"]  # the Host header names the URL's host
    assert asked == ["feeds.intranet.test", "feeds.intranet.test"]  # no other lookup connected it
