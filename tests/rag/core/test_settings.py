"""Settings from the environment: defaults, parsing, and errors that name the setting."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from pydantic import SecretStr

from rag.core.settings import Settings, SettingsError, env_example
from tests.conftest import ROOT

ENV_EXAMPLE = ROOT / ".env.example"


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


# --- one declaration per setting


def test_env_example_is_generated_from_the_settings():
    assert ENV_EXAMPLE.read_text(encoding="utf-8") == env_example(), (
        "regenerate it: python -m rag.core.settings env-example > .env.example")


def test_env_example_documents_every_setting_once_with_its_default():
    lines = [line for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    keys = Counter(line.split("=", 1)[0] for line in lines)
    assert set(keys) == {field.alias for field in Settings.model_fields.values()}
    assert max(keys.values()) == 1
    assert all(field.description for field in Settings.model_fields.values())
    assert Settings.from_env(dict(line.split("=", 1) for line in lines)) == Settings()


def _bounds():
    for field in Settings.model_fields.values():
        for rule in field.metadata:
            if getattr(rule, "ge", None) is not None:
                yield field.alias, rule.ge - 1, "zero or more" if rule.ge == 0 else f"at least {rule.ge}"
            if getattr(rule, "gt", None) is not None:
                yield field.alias, rule.gt, "positive" if rule.gt == 0 else f"more than {rule.gt}"


@pytest.mark.parametrize("key,value,bound", list(_bounds()))
def test_a_value_out_of_bounds_is_an_error_that_names_the_key(key, value, bound):
    with pytest.raises(SettingsError) as err:
        Settings.from_env({key: str(value)})
    assert str(err.value) == f"{key} must be {bound}, got {value}"


def test_every_bad_value_is_named_on_one_line():
    with pytest.raises(SettingsError) as err:
        Settings.from_env({"TOP_K": "0", "CANDIDATES": "many", "LLM_TOOL_CALLING": "Sometimes"})
    assert str(err.value) == ("TOP_K must be at least 1, got 0; CANDIDATES must be an integer, got 'many'; "
                              "LLM_TOOL_CALLING must be one of auto, on, off, got 'sometimes'")


FLAGS = [field.alias for field in Settings.model_fields.values() if field.annotation is bool]


def test_the_flags():
    assert FLAGS == ["CHROMA_SSL", "THREAD_FOLLOWUPS_WITHOUT_MENTION"]


@pytest.mark.parametrize("key", FLAGS)
@pytest.mark.parametrize("raw,expected", [("true", True), ("false", False), ("1", True), ("0", False),
                                          ("yes", True), ("no", False), ("on", True), ("off", False),
                                          ("True", True), ("OFF", False), (" yes ", True), ("", False)])
def test_every_boolean_reads_the_same_words(key, raw, expected):
    name = next(n for n, f in Settings.model_fields.items() if f.alias == key)
    assert getattr(Settings.from_env({key: raw}), name) is expected


@pytest.mark.parametrize("key", FLAGS)
@pytest.mark.parametrize("raw", ["ture", "y", "t", "2", "enabled", "-1"])
def test_any_other_boolean_word_is_an_error(key, raw):
    with pytest.raises(SettingsError) as err:
        Settings.from_env({key: raw})
    assert str(err.value) == f"{key} must be true or false, got {raw!r}"


SECRETS = {"embedding_api_key": "EMBEDDING_API_KEY", "chroma_token": "CHROMA_TOKEN",
           "reranker_api_key": "RERANKER_API_KEY", "llm_api_key": "LLM_API_KEY", "discord_token": "DISCORD_TOKEN"}


def test_secrets_are_secret_strings_never_shown():
    assert {n for n, f in Settings.model_fields.items() if f.annotation is SecretStr} == set(SECRETS)
    s = Settings.from_env({key: f"hush-{name}" for name, key in SECRETS.items()})
    for name in SECRETS:
        assert isinstance(getattr(s, name), SecretStr)
        assert getattr(s, name).get_secret_value() == f"hush-{name}"
    for shown in (repr(s), str(s), str(s.describe()), s.model_dump_json(), repr(s.replace(top_k=3))):
        assert "hush" not in shown
    assert s.replace(top_k=3).discord_token.get_secret_value() == "hush-discord_token"
    assert Settings().discord_token.get_secret_value() == ""


def test_only_the_given_mapping_is_read(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("TOP_K=7\n", encoding="utf-8")
    monkeypatch.setenv("CANDIDATES", "30")
    monkeypatch.setenv("top_k", "9")  # the names are read as written
    assert (Settings.from_env({}).top_k, Settings.from_env({}).candidates) == (5, 40)
    assert (Settings().top_k, Settings().candidates) == (5, 40)
    assert (Settings.from_env().top_k, Settings.from_env().candidates) == (5, 30)


def test_replace_changes_fields_by_name():
    s = Settings().replace(top_k=7, data_dir=Path("/srv/news"), collection="other")
    assert (s.top_k, s.data_dir, s.collection) == (7, Path("/srv/news"), "other")
    assert Settings().top_k == 5
    with pytest.raises(TypeError, match="not settings: top_kk"):
        s.replace(top_kk=3)


def test_the_model_folders_are_settings_with_the_user_cache_by_default(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    s = Settings.from_env({})
    assert s.quantized_model_path == tmp_path / "news-rag-bot" / "minilm-l6-v2-ct2-int8"
    assert s.local_llm_path == tmp_path / "news-rag-bot" / "smollm2-135m-instruct"
    s = Settings.from_env({"QUANTIZED_MODEL_DIR": "/models/int8", "LOCAL_LLM_DIR": " /models/llm "})
    assert (s.quantized_model_path, s.local_llm_path) == (Path("/models/int8"), Path("/models/llm"))
