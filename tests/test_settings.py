"""Settings from the environment: defaults, parsing, and errors that name the setting."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from rag.settings import Settings, SettingsError


def test_defaults_run_offline():
    s = Settings.from_env({})
    assert s.embedding_provider == "local" and s.embedding_model == "all-MiniLM-L6-v2"
    assert s.data_dir == Path("data") and s.corpus_dir == Path("corpus")
    assert s.chroma_host == ""  # embedded Chroma on disk


def test_values_are_parsed():
    s = Settings.from_env({"DATA_DIR": "/tmp/x", "CHUNK_TOKENS": "150", "CHUNK_OVERLAP": "30",
                           "CHROMA_HOST": "chroma.internal", "CHROMA_PORT": "9000", "MIN_RELEVANCE": "0.3"})
    assert s.data_dir == Path("/tmp/x") and s.chunk_tokens == 150 and s.chunk_overlap == 30
    assert s.chroma_host == "chroma.internal" and s.chroma_port == 9000 and s.min_relevance == 0.3


@pytest.mark.parametrize("env,message", [
    ({"CHUNK_TOKENS": "many"}, "CHUNK_TOKENS must be an integer"),
    ({"CHUNK_TOKENS": "8"}, "CHUNK_TOKENS must be at least"),
    ({"CHUNK_OVERLAP": "150"}, "CHUNK_OVERLAP must be less than half"),
    ({"EMBEDDING_PROVIDER": "magic"}, "EMBEDDING_PROVIDER must be one of"),
    ({"EMBEDDING_PROVIDER": "openai"}, "needs EMBEDDING_API_KEY"),
    ({"MIN_RELEVANCE": "high"}, "MIN_RELEVANCE must be a number"),
])
def test_bad_values_name_the_setting(env, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_describe_masks_secrets():
    s = Settings.from_env({"CHROMA_TOKEN": "s3cret", "EMBEDDING_API_KEY": "k3y",
                           "EMBEDDING_PROVIDER": "openai"})
    described = s.describe()
    assert described["chroma_token"] == "***" and described["embedding_api_key"] == "***"
    assert "s3cret" not in str(described) and described["chunk_tokens"] == "200"


def test_env_example_documents_every_setting():
    example = (Path(__file__).resolve().parent.parent / ".env.example").read_text(encoding="utf-8")
    keys = {line.split("=", 1)[0] for line in example.splitlines() if "=" in line and not line.startswith("#")}
    read = set(re.findall(r'"([A-Z][A-Z0-9_]+)"', inspect.getsource(Settings.from_env)))
    assert read <= keys, f"undocumented in .env.example: {sorted(read - keys)}"
