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


def test_the_questions_can_be_read_ranked_each_fold_by_a_ranker_that_never_saw_its_weeks(tmp_path, capsys):
    """--ranked-by: a ranker for each fold of weeks, trained as the reranker run trained its own on the other
    folds' cached candidates; the rows read with them are not the fused order's cached rows."""
    from rag.learn import candidates as cands
    from rag.learn.answers import FOLDS, week_folds
    from rag.bench.data import load_questions

    data = write_data(tmp_path / "train")
    (data / "answerable.json").write_text(json.dumps([f"q{w}-{n}" for w in range(10) for n in (0, 1, 3)]))
    index, ranking, out = tmp_path / "index", tmp_path / "ranking", tmp_path / "out"
    assert main(["reranker", "--train", str(data), "--out", str(ranking), "--data-dir", str(index),
                 "--no-crossencoder", "--depth", "5", "--collect-depth", "5", "--trees", "5"]) == 0
    argv = ["answers", "--train", str(data), "--out", str(out), "--data-dir", str(index)]
    assert main(argv) == 0
    fused = (out / "rows.npz").read_bytes()
    assert main([*argv, "--ranked-by", str(ranking)]) == 0
    assert "answer models written to" in capsys.readouterr().out
    assert (out / "rows.npz").read_bytes() != fused  # read again, not the fused order's cache
    assert AnswerJudge(out / "model").available()
    questions = load_questions(data / "questions.jsonl")
    fold = dict(zip([q.id for q in questions], week_folds([q.asked for q in questions])))
    items = cands.load(ranking / "candidates-train.jsonl.gz")
    for k in range(FOLDS):
        description = json.loads((out / f"ranker-fold-{k}" / "model.json").read_text())
        assert description["fold"] == k and description["ranker"]["trees"] == 5 and description["depth"] == 5
    # Each fold's ranker learned from the other folds only: trained again without its fold, it is the same file.
    from rag.learn import ranker as ltr
    from rag.search.features import NAMES

    config = ltr.RankerConfig(depth=5, trees=5, seed=13)
    again = ltr.train([c for c in items if fold[c.id] != 2], config, NAMES)
    again.save_model(str(tmp_path / "again.txt"))
    assert (tmp_path / "again.txt").read_bytes() == (out / "ranker-fold-2" / "ranker.txt").read_bytes()


def test_reading_ranked_by_a_folder_without_candidates_is_one_line(tmp_path, capsys):
    data = write_data(tmp_path / "train")
    assert main(["answers", "--train", str(data), "--out", str(tmp_path / "out"),
                 "--ranked-by", str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "candidates-train.jsonl.gz is not a file" in err
