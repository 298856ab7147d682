"""The refusal calibration (`python -m rag.bench calibrate`) over the tests' corpus, indexed for real."""

from __future__ import annotations

import json
from datetime import date

from rag.bench.calibrate import calibrate_refusal
from rag.bench.data import Question
from tests.conftest import ARTICLES

ASKED = date(2024, 3, 25)  # after every article; 120 days earlier none was published
QUESTIONS = [
    Question("q1", ASKED, "How much will the new tram line cost?", "310 million euros"),
    Question("q2", ASKED, "How many jobs will the Lumetra battery factory create?", "1,200"),
    Question("q3", ASKED, "Who scored the winning goal in the cup final?", "Brekke"),
]


def test_the_curve_counts_each_question_as_asked_and_as_asked_before_its_story(indexed, tmp_path):
    articles = tmp_path / "articles.jsonl"
    articles.write_text("".join(json.dumps({"published": a["published"], "text": a["text"]}) + "\n"
                                for a in ARTICLES.values()), encoding="utf-8")
    result = calibrate_refusal(indexed, QUESTIONS, articles)
    # Each answer is in a passage as asked; asked 120 days earlier no article existed to hold it.
    assert result["answerable"] == 3 and result["unanswerable"] == 3
    floor = result["min_evidence"]
    at_floor = next(r for r in result["curve"] if abs(r["threshold"] - floor) < 1e-9)["all"]
    # As asked each question's best sentence clears the shipped floor; asked early there is nothing to read.
    assert at_floor["false_refusals"] == 0.0 and at_floor["unanswerable_refused"] == 1.0
    # The answer judge's curve is there, its own threshold marked, and asked early every question is refused by it.
    chosen = [r for r in result["learned"] if r["chosen"]]
    assert result["learned_threshold"] is not None and len(chosen) == 1
    assert chosen[0]["all"]["unanswerable_refused"] == 1.0
