"""Answers and thread turns kept in SQLite beside the feedback database: round trips, retention, hashed users."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta

from rag.core.types import Answer, Chunk, Citation, Passage, Turn
from rag.state.feedback import FeedbackStore
from rag.state.memory import KEEP_DAYS, AnswerMemory, ThreadMemory, answer_from_json, answer_to_json

TEXT = "The line will cost 310 million euros. It opens in 2027."


def answer(question: str = "What will the tram cost?") -> Answer:
    chunk = Chunk("a1:h:0", "a1", "h", 0, 0, len(TEXT), TEXT, "Tram line approved", "gazette",
                  "https://g.example/tram", date(2024, 3, 2))
    citation = Citation(1, "a1", "Tram line approved", "gazette", date(2024, 3, 2), "https://g.example/tram",
                        TEXT[:37], 0, 37, outlets=("wire-news",))
    return Answer(question, f"{TEXT[:37]} [1]", False, (citation,), notice="a note", as_of=date(2024, 3, 4),
                  window="this week: 26 Feb – 4 Mar 2024",
                  passages=(Passage(chunk, 0.9, 0.8, 3.1, also_in=("b:h:0",), outlets=("wire-news",)),))


def test_an_answer_round_trips_through_json_with_its_passages():
    original = answer()
    back = answer_from_json(answer_to_json(original))
    assert back == original and back.passages == original.passages


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_answers_are_kept_per_key_and_per_user_for_a_while_and_users_only_hashed(tmp_path):
    clock = Clock()
    feedback = FeedbackStore(tmp_path / "feedback.sqlite3")
    memory = AnswerMemory(tmp_path / "answers.sqlite3", feedback.hash_user, keep=3, clock=clock)
    keys = [memory.remember(7, answer(f"Question {i}?")) for i in range(4)]

    assert memory.get(keys[0]) is None  # beyond the last 3
    assert memory.get(keys[3]).answer.question == "Question 3?"
    assert memory.latest(7).key == keys[3] and memory.latest(8) is None
    # Read back by a new process (a restart) from the same file.
    again = AnswerMemory(tmp_path / "answers.sqlite3", feedback.hash_user, clock=clock)
    assert again.latest(7).answer == answer("Question 3?")
    with sqlite3.connect(tmp_path / "answers.sqlite3") as db:
        assert {row[0] for row in db.execute("SELECT user_hash FROM answers")} == {feedback.hash_user(7)}

    clock.now += timedelta(days=KEEP_DAYS, seconds=1)
    assert memory.get(keys[3]) is None and memory.latest(7) is None  # past retention
    memory.remember(9, answer())
    with sqlite3.connect(tmp_path / "answers.sqlite3") as db:  # and deleted as new ones come
        assert db.execute("SELECT COUNT(*) FROM answers").fetchone() == (1,)


def test_threads_keep_their_last_turns_across_a_restart_and_expire(tmp_path):
    clock = Clock()
    threads = ThreadMemory(tmp_path / "answers.sqlite3", keep=2, max_turns=2, clock=clock)
    threads.start(1)
    assert 1 in threads and threads.history(1) == () and 2 not in threads
    for i in range(3):
        threads.add(1, Turn(f"q{i}", f"a{i}"))
    assert ThreadMemory(tmp_path / "answers.sqlite3", clock=clock).history(1) == (Turn("q1", "a1"), Turn("q2", "a2"))

    clock.now += timedelta(seconds=1)
    threads.start(2)
    clock.now += timedelta(seconds=1)
    threads.start(3)  # only the 2 most recent threads are kept
    assert 1 not in threads and threads.history(1) == () and 2 in threads and 3 in threads
    clock.now += timedelta(days=KEEP_DAYS, seconds=1)
    assert 3 not in threads


def test_a_thread_is_hinted_once_across_a_restart_and_forgotten_with_the_thread(tmp_path):
    clock = Clock()
    threads = ThreadMemory(tmp_path / "answers.sqlite3", keep=1, clock=clock)
    threads.start(1)
    assert threads.hint_once(1) and not threads.hint_once(1)
    assert not ThreadMemory(tmp_path / "answers.sqlite3", clock=clock).hint_once(1)  # a new process
    clock.now += timedelta(seconds=1)
    threads.start(2)  # keeps one thread: thread 1 and its hint are forgotten
    with sqlite3.connect(tmp_path / "answers.sqlite3") as db:
        assert db.execute("SELECT thread_id FROM hinted").fetchall() == []
    assert threads.hint_once(2)
