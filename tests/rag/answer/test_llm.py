"""LLM calls bounded by a deadline: hung calls are abandoned without blocking later ones."""

from __future__ import annotations

import threading
import time

import pytest

from rag.answer.llm import MAX_HUNG_CALLS, LLMUnavailable, ModelCalls


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
