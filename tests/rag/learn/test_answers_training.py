"""`python -m rag.learn answers` end to end on a tiny data set written here: the index, every question
read as answering reads it, the three models, a folder the judge loads, and a second run from the cache."""

from __future__ import annotations

import gzip
import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from rag.answer.judge import SENTENCE_FEATURES, AnswerJudge
from rag.learn import main

pytestmark = [pytest.mark.integration, pytest.mark.slow]

START = date(2024, 1, 1)
STRIKERS = ["Tomas Brekke", "Anders Holm", "Luca Ferri", "Paulo Nunes", "Jonas Lind", "Marek Novak",
            "Erik Dahl", "Simon Berg", "Nils Aas", "Karl Moe"]
CITIES = ["Port Aldine", "Westmere", "Calder Bay", "Northgate", "Elmsford", "Brightwater", "Ashby",
          "Kingsport", "Redhill", "Oakridge"]


def write_data(folder: Path) -> Path:
    """Ten weeks: each has a story of a signing and one of a factory (with filler sentences around
    them), two questions that ask for a name, one asked about a story that is not in the corpus, and
    one that asks what happened."""
    folder.mkdir(parents=True)
    articles, questions = [], []
    for week in range(10):
        day = START + timedelta(weeks=week)
        striker, city = STRIKERS[week], CITIES[week]
        stories = [
            ("Riverton Rovers sign a striker",
             f"The club's board met on Monday. Riverton Rovers signed the striker {striker} on a three-year deal. "
             f"Fans gathered outside the stadium in the rain. The coach said the squad is now complete."),
            ("Lumetra picks a site for its battery factory",
             f"Lumetra held a press conference on Tuesday. Lumetra chose {city} for its new battery factory. "
             f"The company's shares rose slightly. Analysts expect more announcements next month."),
        ]
        for i, (title, text) in enumerate(stories):
            articles.append({"id": f"a{week}-{i}", "url": f"https://news.example/{week}/{i}", "title": title,
                             "published": day.isoformat(), "source": "news.example", "authors": [], "text": text})
        asked = (day + timedelta(days=2)).isoformat()
        for n, (question, answer) in enumerate([
                ("Which striker did Riverton Rovers sign this week?", striker),
                ("Which town did Lumetra choose for its battery factory this week?", city),
                ("Which orchestra won the national music prize this week?", "Valdoria Philharmonic"),
                ("What did Lumetra's shares do after the press conference?", "rose slightly")]):
            questions.append({"id": f"q{week}-{n}", "asked": asked, "question": question, "choices": [],
                              "answer": answer, "evidence": "", "source": "test"})
    with gzip.open(folder / "articles.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(a) + "\n" for a in articles)
    (folder / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions))
    return folder


def test_training_writes_answer_models_the_judge_loads_and_a_second_run_reads_the_cache(tmp_path, capsys):
    data = write_data(tmp_path / "train")
    out = tmp_path / "out"
    argv = ["answers", "--train", str(data), "--out", str(out), "--data-dir", str(tmp_path / "index")]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "answer models written to" in printed and "the first quoted sentence gives the answer" in printed
    model = out / "model"
    assert {"model.json", "candidates.txt", "refusal.txt", "sentences.txt"} <= {p.name for p in model.iterdir()}
    description = json.loads((model / "model.json").read_text())
    assert description["sentence_features"] == list(SENTENCE_FEATURES)
    # The two questions a week that the corpus answers have a sentence that gives the answer.
    assert description["training_weeks"]["sentence_questions"] == 20
    # The refusal model learns from every question, the one that asks what happened too.
    assert description["refusal_questions"] == "every"
    judge = AnswerJudge(model)
    assert judge.available() and judge.status == "" and judge.refuses_every_question

    first = {name: (model / name).read_bytes() for name in ("candidates.txt", "refusal.txt", "sentences.txt")}
    cache = (out / "rows.npz").stat().st_mtime_ns
    assert main(argv) == 0
    assert (out / "rows.npz").stat().st_mtime_ns == cache
    assert {name: (model / name).read_bytes() for name in first} == first


def test_a_missing_questions_file_is_one_line(tmp_path, capsys):
    (tmp_path / "articles.jsonl.gz").write_bytes(b"")
    assert main(["answers", "--train", str(tmp_path), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "questions.jsonl is not a file" in err
