"""`python -m rag.learn reranker` end to end on a tiny data set written here: index, candidates, a few
cross-encoder steps, the int8 build, the feature ranker, the model folder the built-in stage reads."""

from __future__ import annotations

import gzip
import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from rag.core.types import Chunk, Passage
from rag.learn import candidates as cands
from rag.learn.command import main, split_by_week
from rag.search.features import CROSSENCODER_NAMES, NAMES, Context
from rag.search.rerank import Blend, LearnedRanker

pytestmark = [pytest.mark.integration, pytest.mark.slow]

START = date(2024, 1, 1)
TOPICS = [  # (subject, what happened, the quiz's answer)
    ("Riverton council", "approved a tram line to the harbour", "tram line"),
    ("Valdoria water agency", "banned garden watering after the drought", "garden watering"),
    ("Lumetra", "chose Port Aldine for its battery factory", "Port Aldine"),
    ("Riverton Rovers", "signed the striker Tomas Brekke", "Tomas Brekke"),
]


def write_data(folder: Path) -> Path:
    """Eight weeks of short articles (one story per topic and week, plus filler) and a question a week."""
    folder.mkdir(parents=True)
    articles, questions = [], []
    for week in range(8):
        day = START + timedelta(weeks=week)
        subject, event, answer = TOPICS[week % len(TOPICS)]
        for i, (s, e, _) in enumerate(TOPICS):
            text = (f"{s} {e} on Monday, officials said in week {week}. " if s == subject else
                    f"{s} met on Tuesday to discuss the budget for week {week} and other business. ")
            articles.append({"id": f"a{week}-{i}", "url": f"https://news.example/{week}/{i}",
                             "title": f"{s}: week {week} report", "published": day.isoformat(),
                             "source": "news.example", "authors": [], "text": text * 3})
        questions.append({"id": f"q{week}", "asked": (day + timedelta(days=2)).isoformat(),
                          "question": f"What did {subject} do this week?", "choices": [], "answer": answer,
                          "evidence": "", "source": "test"})
    with gzip.open(folder / "articles.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(a) + "\n" for a in articles)
    (folder / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions))
    (folder / "answerable.json").write_text(json.dumps([q["id"] for q in questions]))
    return folder


def test_training_writes_a_model_the_builtin_stage_loads_and_a_second_run_resumes(tmp_path, capsys):
    data = write_data(tmp_path / "train")
    out = tmp_path / "out"
    argv = ["reranker", "--train", str(data), "--out", str(out), "--data-dir", str(tmp_path / "index"),
            "--steps", "3", "--max-length", "64", "--window", "0", "--depth", "4", "--collect-depth", "5",
            "--trees", "5"]
    assert main(argv) == 0
    model = out / "model"
    description = json.loads((model / "model.json").read_text())
    assert description["features"] == list(NAMES + CROSSENCODER_NAMES)
    assert description["crossencoder"]["training"]["config"]["steps"] == 3
    assert {"model.json", "ranker.txt", "crossencoder.safetensors"} <= {p.name for p in model.iterdir()}
    items = cands.load(out / "candidates-train.jsonl.gz")
    assert len(items) == 8 and all(len(c.ids) <= 5 for c in items)
    assert sum(c.labels.any() for c in items) >= 6  # the week's story holds the answer
    ce_items, ranker_items = split_by_week(items)
    assert ranker_items and ce_items and not {c.id for c in ce_items} & {c.id for c in ranker_items}

    ranker = LearnedRanker(model, tmp_path / "build")
    text = "Lumetra chose Port Aldine for its battery factory on Monday."
    chunk = Chunk("c", "a", "h", 0, 0, len(text), text, "Lumetra: report", published=START)
    ranked = ranker.rerank(Context("Where will Lumetra build?", START), [Passage(chunk, 0.1, 0.5, 2.0)] * 3)
    assert len(ranked) == 3 and ranker.status == ""

    # Everything is cached: a second run resumes from the finished checkpoint and the candidates, and
    # writes the same ranking model as the run that collected them.
    before = (out / "candidates-train.jsonl.gz").stat().st_mtime_ns
    first = (model / "ranker.txt").read_bytes()
    capsys.readouterr()
    assert main(argv) == 0
    assert (out / "candidates-train.jsonl.gz").stat().st_mtime_ns == before
    assert "model written to" in capsys.readouterr().out
    assert (model / "ranker.txt").read_bytes() == first

    # The same cross-encoder blended into the order of a ranker over the features alone.
    assert main(argv + ["--blend", "0.5", "--blend-top", "3"]) == 0
    description = json.loads((model / "model.json").read_text())
    assert description["features"] == list(NAMES)
    assert description["crossencoder"]["blend"] == {"weight": 0.5, "top": 3}
    assert description["data"]["ranker_questions"] == len(items)
    ranker = LearnedRanker(model, tmp_path / "build-blend")
    ranked = ranker.rerank(Context("Where will Lumetra build?", START), [Passage(chunk, 0.1, 0.5, 2.0)] * 3)
    assert len(ranked) == 3 and ranker.status == "" and ranker._blend == Blend(0.5, 3)

    # For a blend the cross-encoder may learn from every week: its own checkpoint, not the held-out one's.
    held_out = (out / "crossencoder" / "checkpoint.pt").read_bytes()
    assert main(argv + ["--blend", "0.5", "--blend-top", "3", "--crossencoder-weeks", "every"]) == 0
    description = json.loads((model / "model.json").read_text())
    assert description["crossencoder"]["weeks"] == "every"
    assert description["data"]["crossencoder_questions"] == len(items) > len(ce_items)
    assert (out / "crossencoder-every-week" / "checkpoint.pt").is_file()
    assert (out / "crossencoder" / "checkpoint.pt").read_bytes() == held_out
    ranker = LearnedRanker(model, tmp_path / "build-every")
    ranked = ranker.rerank(Context("Where will Lumetra build?", START), [Passage(chunk, 0.1, 0.5, 2.0)] * 3)
    assert len(ranked) == 3 and ranker.status == "" and ranker._encoder is not None


def test_cached_candidates_keep_their_features_whole(tmp_path):
    """A run resumed from the cache trains on the very numbers a run that collected them did: rounded
    features (six decimals) once made the two write different ranking models."""
    import numpy as np

    rng = np.random.default_rng(5)
    items = [cands.Candidates(f"q{i}", "Where will Lumetra build?", START, "Port Aldine", START, None,
                              ["c1", "c2"], ["a", "b"], rng.normal(size=(2, len(NAMES))).astype(np.float32),
                              np.asarray([1.0, 0.0], dtype=np.float32)) for i in range(3)]
    path = tmp_path / "candidates.jsonl.gz"
    cands.save(path, items, {"depth": 2})
    loaded = cands.load(path, {"depth": 2})
    assert loaded is not None and len(loaded) == 3
    assert all(np.array_equal(a.features, b.features) for a, b in zip(items, loaded))


def test_a_missing_data_file_is_one_line(tmp_path, capsys):
    assert main(["reranker", "--train", str(tmp_path), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "articles.jsonl.gz is not a file" in err


def test_a_blend_without_the_crossencoder_is_refused_in_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["reranker", "--train", str(tmp_path), "--out", str(tmp_path / "out"), "--no-crossencoder",
              "--blend", "0.2"])
    assert stop.value.code == 2
    assert "leave out --no-crossencoder" in capsys.readouterr().err.strip().splitlines()[-1]


def test_a_crossencoder_of_every_week_without_a_blend_is_refused_in_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["reranker", "--train", str(tmp_path), "--out", str(tmp_path / "out"), "--crossencoder-weeks", "every"])
    assert stop.value.code == 2
    assert "--crossencoder-weeks every is for a blend" in capsys.readouterr().err.strip().splitlines()[-1]
