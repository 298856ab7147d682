"""Chat models chosen by the settings, and LLM calls bounded by a deadline: hung calls are abandoned
without blocking later ones."""

from __future__ import annotations

import threading
import time

import pytest

from langchain_openai import ChatOpenAI

from rag.answer.llm import MAX_HUNG_CALLS, LLMUnavailable, ModelCalls, describe, make_chat_model
from rag.core.errors import ConfigError
from rag.core.settings import Settings

LOCAL = {"LLM_PROVIDER": "openai", "LLM_MODEL": "smol", "LLM_BASE_URL": "http://127.0.0.1:9/v1"}


@pytest.fixture
def calls():
    """The calls of one service; the ones left hanging are released when the test ends."""
    return ModelCalls()


@pytest.fixture
def hang(calls):
    """A call that hangs until the test ends."""
    release = threading.Event()
    yield lambda: release.wait(60)
    release.set()
    deadline = time.monotonic() + 10
    while calls.hung() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_hung_calls_do_not_hold_up_later_ones(calls, hang):
    for _ in range(6):  # more than the four workers the calls once shared
        with pytest.raises(LLMUnavailable, match="did not answer within 0.2s"):
            calls.call(hang, 0.2)
    started = time.monotonic()
    assert calls.call(lambda: 42, 5.0) == 42
    assert time.monotonic() - started < 1.0
    assert calls.hung() == 6 and calls.max_hung == MAX_HUNG_CALLS


def test_too_many_hung_calls_refuse_new_ones_at_once(hang):
    calls = ModelCalls(max_hung=3)
    for _ in range(3):
        with pytest.raises(LLMUnavailable, match="did not answer"):
            calls.call(hang, 0.1)
    started = time.monotonic()
    with pytest.raises(LLMUnavailable, match="has not answered 3 earlier calls"):
        calls.call(lambda: 42, 5.0)
    assert time.monotonic() - started < 0.5
    assert ModelCalls().call(lambda: 42, 5.0) == 42  # another service's calls are not held up


def test_errors_of_the_call_are_reported(calls):
    def failing():
        raise ConnectionError("provider down")

    with pytest.raises(LLMUnavailable, match=r"failed \(ConnectionError\)"):
        calls.call(failing, 5.0)


def test_a_hung_call_names_the_configured_timeout(calls):
    with pytest.raises(LLMUnavailable, match=r"did not answer within 30s"):
        calls.call(lambda: time.sleep(1), 0.1, limit=30)


@pytest.mark.parametrize("env,described", [
    ({}, "extractive (no LLM)"),
    (LOCAL, "generative (openai:smol at http://127.0.0.1:9/v1)"),
    ({"LLM_PROVIDER": "anthropic", "LLM_MODEL": "claude-x"}, "generative (anthropic:claude-x)"),
])
def test_the_answer_mode_is_described_from_the_settings(env, described):
    assert describe(Settings.from_env(env)) == described


def test_no_provider_means_no_chat_model():
    assert make_chat_model(Settings.from_env({})) is None


def test_an_openai_compatible_server_gets_the_settings_and_any_key():
    settings = Settings.from_env(LOCAL)
    model = make_chat_model(settings)
    assert isinstance(model, ChatOpenAI)
    assert (model.model_name, model.openai_api_base) == ("smol", "http://127.0.0.1:9/v1")
    assert model.openai_api_key.get_secret_value() == "not-needed"  # local servers accept any key
    assert (model.request_timeout, model.max_retries, model.max_tokens, model.temperature) == (
        settings.llm_timeout, settings.llm_max_retries, settings.llm_max_output_tokens, settings.llm_temperature)


@pytest.mark.parametrize("env,message", [
    ({"LLM_PROVIDER": "bogus", "LLM_MODEL": "x"}, r"^LLM_PROVIDER=bogus: Unsupported provider"),
    # langchain-anthropic is not in requirements.txt
    ({"LLM_PROVIDER": "anthropic", "LLM_MODEL": "x"}, r"^LLM_PROVIDER=anthropic needs its LangChain package"),
])
def test_a_provider_that_cannot_be_used_is_a_config_error_naming_it(env, message):
    with pytest.raises(ConfigError, match=message):
        make_chat_model(Settings.from_env(env))
