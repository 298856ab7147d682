"""LLM calls bounded by a deadline: hung calls are abandoned without blocking later ones."""

from __future__ import annotations

import threading
import time

import pytest

from rag.answer import llm
from rag.answer.llm import LLMUnavailable, call_with_deadline


@pytest.fixture
def hang():
    """A call that hangs until the test ends."""
    release = threading.Event()
    yield lambda: release.wait(60)
    release.set()
    deadline = time.monotonic() + 10
    while any(t.is_alive() for t in llm._hung) and time.monotonic() < deadline:
        time.sleep(0.01)


def test_hung_calls_do_not_hold_up_later_ones(hang):
    for _ in range(6):  # more than the four workers the calls once shared
        with pytest.raises(LLMUnavailable, match="did not answer within 0.2s"):
            call_with_deadline(hang, 0.2)
    started = time.monotonic()
    assert call_with_deadline(lambda: 42, 5.0) == 42
    assert time.monotonic() - started < 1.0


def test_too_many_hung_calls_refuse_new_ones_at_once(hang, monkeypatch):
    monkeypatch.setattr(llm, "MAX_HUNG_CALLS", 3)
    for _ in range(3):
        with pytest.raises(LLMUnavailable, match="did not answer"):
            call_with_deadline(hang, 0.1)
    started = time.monotonic()
    with pytest.raises(LLMUnavailable, match="has not answered 3 earlier calls"):
        call_with_deadline(lambda: 42, 5.0)
    assert time.monotonic() - started < 0.5


def test_errors_of_the_call_are_reported():
    def failing():
        raise ConnectionError("provider down")

    with pytest.raises(LLMUnavailable, match=r"failed \(ConnectionError\)"):
        call_with_deadline(failing, 5.0)
