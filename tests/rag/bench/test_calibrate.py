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
    assert chosen[0]["threshold"] == indexed.answering.judge.refuse  # exactly the bar answering refuses under
    assert chosen[0]["all"]["unanswerable_refused"] == 1.0


def test_the_bold_curve_counts_the_likeliest_candidate_of_each_question(indexed, tmp_path):
    articles = tmp_path / "articles.jsonl"
    articles.write_text("".join(json.dumps({"published": a["published"], "text": a["text"]}) + "\n"
                                for a in ARTICLES.values()), encoding="utf-8")
    result = calibrate_refusal(indexed, QUESTIONS, articles, answerable={"q1", "q2"})
    rows = {r["threshold"]: r for r in result["bold"]}
    judge = indexed.answering.judge
    # The model's own bar is one of the rows, exactly as answering compares with it.
    assert result["bold_threshold"] == judge.bold and rows[judge.bold]["chosen"]
    assert [r["threshold"] for r in result["bold"] if r["chosen"]] == [judge.bold]
    # At 0 every factoid question's likeliest candidate is counted: three questions, two of them answerable.
    zero = rows[0.0]
    assert zero["all_weeks_all"]["questions"] == 3 and zero["all_weeks_all"]["given"] == 3
    assert zero["all_weeks_answerable"]["questions"] == 2 and zero["all_weeks_answerable"]["given"] == 2
    # A higher bar gives bold to fewer questions, never more, and is never right more often than it gives.
    bars = sorted(rows)
    for low, high in zip(bars, bars[1:]):
        assert rows[high]["all_weeks_all"]["given"] <= rows[low]["all_weeks_all"]["given"]
    assert all(r["all_weeks_all"]["right"] <= r["all_weeks_all"]["given"] for r in rows.values())
    # Each likeliest candidate is judged by the bench's rule against its question's answer: on this corpus
    # the judge's likeliest holds it every time ("310 million euros", "1,200 jobs", "Striker Tomas Brekke"),
    # though with too little confidence for the model's bar on any (its five articles repeat nothing).
    assert zero["all_weeks_all"]["right"] == 3
    assert rows[judge.bold]["all_weeks_all"]["given"] == 0
