"""Ratings in SQLite: one per user and answer, users only as salted hashes, counts for /status."""

from __future__ import annotations

import json
import sqlite3
import stat
import threading
from datetime import UTC, date, datetime

import pytest

from rag.state.feedback import HELPFUL, UNHELPFUL, FeedbackCounts, FeedbackStore
from rag.core.types import Answer, Citation

ANSWER = Answer("How much will the tram cost?", "310 million euros. [1]", False,
                (Citation(1, "a1", "Tram approved", "gazette", date(2024, 3, 2), "https://g.example/t",
                          "The line will cost 310 million euros.", 10, 47),))


@pytest.fixture
def store(tmp_path) -> FeedbackStore:
    return FeedbackStore(tmp_path / "fb" / "feedback.sqlite3")


def rows(store: FeedbackStore) -> list[tuple]:
    with sqlite3.connect(store.path) as db:
        return db.execute("SELECT answer_id, user_hash, rating, question, answer, citations, mode, refused, "
                          "created_at FROM feedback ORDER BY id").fetchall()


def test_a_rating_records_the_answer_and_its_citations(store):
    store.record("k1", ANSWER, HELPFUL, 1234, now=datetime(2024, 3, 3, 12, 0, tzinfo=UTC))
    [(answer_id, user_hash, rating, question, text, citations, mode, refused, created)] = rows(store)
    assert (answer_id, rating, question, text, mode, refused) == ("k1", 1, ANSWER.question, ANSWER.text,
                                                                  "extractive", 0)
    assert json.loads(citations) == [ANSWER.citations[0].to_dict()]
    assert created == "2024-03-03T12:00:00+00:00"
    assert user_hash != "1234" and len(user_hash) == 64 and "1234" not in user_hash


def test_one_rating_per_user_and_answer(store):
    store.record("k1", ANSWER, HELPFUL, 1)
    store.record("k1", ANSWER, UNHELPFUL, 1)  # changed their mind
    store.record("k1", ANSWER, UNHELPFUL, 2)
    store.record("k2", ANSWER, HELPFUL, 1)
    assert store.counts() == FeedbackCounts(helpful=1, unhelpful=2)
    assert store.counts().total == 3


def test_counts_of_a_new_store_are_zero(store):
    assert store.counts() == FeedbackCounts(0, 0)


def test_the_salt_is_per_install_private_and_stable(store, tmp_path):
    first = store.hash_user(42)
    salt_file = store.path.with_name("feedback.sqlite3.salt")
    assert stat.S_IMODE(salt_file.stat().st_mode) == 0o600
    assert FeedbackStore(store.path).hash_user(42) == first  # the same install
    assert FeedbackStore(tmp_path / "other.sqlite3").hash_user(42) != first  # another install
    assert FeedbackStore(store.path, salt=b"fixed").hash_user(42) != first


def test_bad_rating_is_refused(store):
    with pytest.raises(ValueError):
        store.record("k1", ANSWER, 5, 1)


def test_ratings_from_several_threads(store):
    threads = [threading.Thread(target=store.record, args=(f"k{i}", ANSWER, HELPFUL, i)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.counts().helpful == 20
