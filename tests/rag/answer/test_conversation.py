"""Follow-ups made standalone by the documented rule, and the bounded store of conversations."""

from __future__ import annotations

import pytest

from rag.answer.conversation import Conversations, condense, refers_back
from rag.core.types import Turn

TRAM = [Turn("How much will the new tram line cost?", "310 million euros [1]")]


@pytest.mark.parametrize("followup,standalone", [
    ("When will it open?", "new tram line cost: When will it open?"),  # a pronoun
    ("Who paid?", "new tram line cost: Who paid?"),  # short
    ("What about the buses?", "new tram line cost: What about the buses?"),  # a continuation
    ("and the mayor?", "new tram line cost: and the mayor?"),
    # Standalone questions are left alone: a new name, or enough words without a pronoun.
    ("How many votes did the tram line get in the council?",
     "How many votes did the tram line get in the council?"),
    ("Where will Lumetra build its battery factory?", "Where will Lumetra build its battery factory?"),
    ("Which reservoirs in Valdoria are below capacity this winter?",
     "Which reservoirs in Valdoria are below capacity this winter?"),
    ("  When   will it open? ", "new tram line cost: When will it open?"),
])
def test_condense(followup, standalone):
    assert condense(TRAM, followup) == standalone


def test_without_history_the_question_is_unchanged():
    assert condense([], "When will it open?") == "When will it open?"


def test_context_carries_over_a_chain_of_follow_ups():
    first = condense(TRAM, "When will it open?")
    history = TRAM + [Turn(first, "in 2027 [1]")]
    assert condense(history, "Who opposed it?") == "new tram line cost open: Who opposed it?"


def test_names_already_in_the_conversation_are_not_new():
    history = [Turn("What did Mayor Elena Sorrel say about the tram?", "...")]
    assert refers_back("And what did Sorrel say next?", history)
    assert not refers_back("What did Ana Ruiz announce?", history)


def test_conversations_keep_the_last_turns_of_recent_threads():
    store = Conversations(max_conversations=2, max_turns=2)
    store.start(1)
    for i in range(3):
        store.add(1, Turn(f"q{i}", f"a{i}"))
    assert [t.question for t in store.history(1)] == ["q1", "q2"]
    store.add(2, Turn("x", "y"))
    store.history(1)  # reading does not refresh; adding does
    store.add(1, Turn("q3", "a3"))
    store.add(3, Turn("z", "w"))  # evicts the least recently used: 2
    assert 1 in store and 3 in store and 2 not in store
    assert store.history(2) == ()
