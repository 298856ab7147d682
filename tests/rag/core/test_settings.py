"""Settings from the environment: defaults, parsing, and errors that name the setting."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from rag.core.settings import Settings, SettingsError
from tests.conftest import ROOT


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
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    keys = {line.split("=", 1)[0] for line in example.splitlines() if "=" in line and not line.startswith("#")}
    read = set(re.findall(r'"([A-Z][A-Z0-9_]+)"', inspect.getsource(Settings.from_env)))
    assert read <= keys, f"undocumented in .env.example: {sorted(read - keys)}"


# --- the Discord bot's settings


def test_bot_settings_are_read_from_the_environment():
    s = Settings.from_env({"DISCORD_TOKEN": "tok", "DISCORD_GUILD_ID": "42", "ALLOWED_CHANNEL_IDS": "1, 2",
                           "ADMIN_ROLE_IDS": "3", "ADMIN_USER_IDS": "4 5", "COOLDOWN_SECONDS": "2.5",
                           "THREAD_FOLLOWUPS_WITHOUT_MENTION": "true", "FEEDBACK_DB": "/tmp/f.db"})
    assert (s.discord_guild_id, s.allowed_channel_ids) == (42, (1, 2))
    assert (s.admin_role_ids, s.admin_user_ids) == ((3,), (4, 5))
    assert s.cooldown_seconds == 2.5 and s.thread_followups_without_mention
    assert s.feedback_path == Path("/tmp/f.db") and s.describe()["discord_token"] == "***"
    d = Settings.from_env({"DATA_DIR": "/srv/news"})
    assert d.discord_guild_id is None and not d.thread_followups_without_mention
    assert d.feedback_path == Path("/srv/news/feedback.sqlite3")


@pytest.mark.parametrize("env,message", [
    ({"THREAD_FOLLOWUPS_WITHOUT_MENTION": "maybe"}, "must be true or false"),
    ({"COOLDOWN_SECONDS": "-1"}, "zero or more"),
    ({"ADMIN_ROLE_IDS": "admins"}, "numeric ids"),
])
def test_bad_bot_settings_name_the_setting(env, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


@pytest.mark.parametrize("raw,expected", [("on", True), ("TRUE", True), ("yes", True), ("1", True),
                                          ("off", False), ("false", False), ("", False)])
def test_chroma_ssl_reads_like_every_other_boolean(raw, expected):
    assert Settings.from_env({"CHROMA_SSL": raw}).chroma_ssl is expected


@pytest.mark.parametrize("env,message", [
    ({"CHROMA_SSL": "ture"}, "CHROMA_SSL must be true or false, got 'ture'"),
    ({"LOG_LEVEL": "verbose"}, "LOG_LEVEL must be one of debug, info, warning, error, critical, got 'verbose'"),
])
def test_a_typo_in_a_setting_is_an_error_that_names_it(env, message):
    with pytest.raises(SettingsError, match=re.escape(message)):
        Settings.from_env(env)


def test_log_level_is_read_in_any_case():
    assert Settings.from_env({"LOG_LEVEL": "debug"}).log_level == "DEBUG"
    assert Settings.from_env({}).log_level == "INFO"


@pytest.mark.slow
def test_the_bot_refuses_a_bad_log_level_with_one_line(tmp_path):
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = dict(os.environ, LOG_LEVEL="verbose", DISCORD_TOKEN="", DATA_DIR=str(tmp_path / "data"),
               PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, str(ROOT / "bot.py")], cwd=tmp_path, env=env, input="",
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip() == ("error: LOG_LEVEL must be one of debug, info, warning, error, critical, "
                                     "got 'verbose'")
