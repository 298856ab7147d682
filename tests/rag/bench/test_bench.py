"""The benchmark's own parts that need no bench data: metrics, the scale corpus, the report."""

from __future__ import annotations

import gzip
import json

import pytest

from rag.bench.__main__ import recall_curve, recall_fields
from rag.bench.report import write_report
from rag.bench.scale import _perturb, build_corpus
from rag.bench.throughput import run_model_only, run_ours, sample_articles, summarise
from rag.index.chunking import chunk_article
from rag.core.types import no_progress
from rag.sources.ingest import load_corpus
from rag.core.settings import Settings


def test_recall_from_first_hit_ranks():
    ranks = [1, 3, None, 7, 12]
    fields = recall_fields(ranks)
    assert fields["recall@5"] == 2 / 5 and fields["recall@10"] == 3 / 5
    assert abs(fields["mrr@10"] - (1 + 1 / 3 + 1 / 7) / 5) < 1e-9
    curve = recall_curve(ranks)
    assert len(curve) == 20 and curve[0] == 1 / 5 and curve[11] == 4 / 5 and curve == sorted(curve)


def _articles(path, n=6):
    text = ("The harbour authority approved a new terminal on Monday. It will cost 640 million euros. "
            "Work starts in autumn and lasts 4 years. Fishermen keep the old quay. ") * 6
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": f"a{i:03d}", "url": f"https://x.example/{i}", "title": f"Story {i}",
                                 "published": "2023-03-0%d" % (i % 9 + 1), "source": "x.example",
                                 "text": f"Article {i}. " + text}) + "\n")
    return path


def test_scale_copies_differ_from_their_originals(tmp_path):
    import random

    original = {"id": "a1", "url": "https://x.example/1", "title": "T", "published": "2023-03-01",
                "text": "One sentence here. Another with 42 in it. A third one. A fourth. A fifth sentence."}
    copy = _perturb(original, 2, random.Random(1))
    assert copy["id"] == "a1-c2" and copy["title"] == "T (copy 2)" and copy["url"].endswith("#copy-2")
    assert copy["text"] != original["text"]
    out = tmp_path / "scale" / "articles.jsonl.gz"
    out.parent.mkdir()
    written, total = build_corpus(_articles(tmp_path / "a.jsonl.gz"), 30, out)
    with gzip.open(out, "rt") as fh:
        rows = [json.loads(line) for line in fh]
    assert len(rows) == written > 6  # the originals, then perturbed copies
    articles, skipped = load_corpus(out.parent)  # as the indexer reads and chunks them
    counts = [len(chunk_article(a)) for a in articles]
    assert not skipped and len(articles) == written and 30 <= sum(counts) == total < 30 + max(counts)
    assert len({r["id"] for r in rows}) == len(rows) and len({r["text"] for r in rows}) == len(rows)


def test_throughput_sample_spreads_over_the_file(tmp_path):
    out = tmp_path / "sample.jsonl.gz"
    assert sample_articles(_articles(tmp_path / "a.jsonl.gz", 9), 3, out) == 3
    with gzip.open(out, "rt") as fh:
        assert [json.loads(line)["id"] for line in fh] == ["a000", "a003", "a006"]


@pytest.mark.integration
def test_model_alone_row_embeds_the_texts_a_reindex_embeds(tmp_path):
    sample = _articles(tmp_path / "a.jsonl.gz")
    settings = Settings.from_env({}).replace(llm_provider="none")
    job = run_ours(sample, tmp_path / "job", settings, "ct2-int8", no_progress)
    alone = run_model_only(sample, tmp_path / "alone", settings, "ct2-int8")
    assert alone["chunks_embedded"] == job["chunks_embedded"] > 6
    assert alone["seconds"] > 0 and alone["pipeline"].startswith("ct2-int8 model alone")


def test_report_has_tables_and_plots(tmp_path):
    row = {"pipeline": "this project", "embedding": "m", "chunks": 10, "chunks_per_s": 50.0,
           "recall_curve": [i / 20 for i in range(1, 21)], "mrr@10": 0.3, "accuracy": 0.25,
           "refusal_rate": 0.01, "search_p50_ms": 20.0, "search_p95_ms": 40.0, "search_ms": [10.0, 20.0, 40.0],
           "timed_recall@5": 0.5, "untimed_recall@5": 0.4, "timed_questions": 3, "questions": 5}
    tutorial = {**row, "pipeline": "tutorial", "chunks_per_s": 20.0}
    report = write_report(tmp_path / "out", [row, tutorial], command="python -m rag.bench ...")
    text = report.read_text()
    assert "| this project | m | 10 | 5.0% | 25.0% | 50.0% | 100.0% | 0.300 | 25.0% | 1.0% | 20.0 / 40.0 |" in text
    assert "| this project | 50.0% | 40.0% |" in text
    for png in ("recall_at_k.png", "latency.png", "throughput.png"):
        data = (tmp_path / "out" / png).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000, png


def test_throughput_rounds_give_medians_and_the_ratio_round_by_round(tmp_path):
    def run(name, chunks_per_s):
        return {"pipeline": name, "chunks_embedded": 100, "seconds": 100 / chunks_per_s, "chunks_per_s": chunks_per_s}

    rounds = [[run("tutorial", 20.0), run("int8", 90.0)],
              [run("tutorial", 25.0), run("int8", 95.0)],   # a fast round for the tutorial: 3.8x
              [run("tutorial", 22.0), run("int8", 80.0)]]   # a slow one for ours: 3.64x
    tutorial, ours = summarise(rounds, articles=10)
    assert tutorial["chunks_per_s"] == 22.0 and tutorial["vs_tutorial"] == 1.0
    assert ours["chunks_per_s"] == 90.0 and ours["chunks_per_s_rounds"] == [90.0, 95.0, 80.0]
    assert ours["vs_tutorial_rounds"] == [4.5, 3.8, 3.636]
    assert ours["vs_tutorial"] == 3.8  # the median of the ratios, not the ratio of the medians (4.09)
    assert ours["seconds"] == 100 / 90.0 and ours["articles_per_s"] == 10 / (100 / 90.0)
    report = write_report(tmp_path / "out", [], command="python -m rag.bench throughput", throughput=[tutorial, ours])
    assert "| int8 | 100 | 90.0 (90.0, 95.0, 80.0) | 9.00 | 3.80x (4.50x, 3.80x, 3.64x) |" in report.read_text()


def test_the_model_alone_row_has_no_articles_per_second_and_is_explained(tmp_path):
    def run(name, chunks_per_s, **extra):
        return {"pipeline": name, "chunks_embedded": 100, "seconds": 100 / chunks_per_s,
                "chunks_per_s": chunks_per_s, **extra}

    rounds = [[run("tutorial", 20.0), run("int8", 80.0), run("int8 alone", 100.0, ceiling=True)]]
    tutorial, ours, alone = summarise(rounds, articles=10)
    assert ours["articles_per_s"] == 8.0 and alone["articles_per_s"] is None and alone["vs_tutorial"] == 5.0
    text = write_report(tmp_path / "out", [], throughput=[tutorial, ours, alone]).read_text()
    assert "| int8 alone | 100 | 100.0 | n/a | 5.00x |" in text and "the ceiling for the job" in text
    plain = write_report(tmp_path / "plain", [], throughput=[tutorial, ours]).read_text()
    assert "the ceiling for the job" not in plain


def test_weeks_split_at_the_median_asking_date():
    from datetime import date, timedelta

    from rag.bench.data import Question, weeks

    questions = [Question(str(i), date(2023, 1, 2) + timedelta(weeks=i // 3), f"q{i}", "a") for i in range(12)]
    first, second = weeks(questions, "first-half"), weeks(questions, "second-half")
    assert len(first) == len(second) == 6
    assert max(q.asked for q in first) < min(q.asked for q in second)
    assert weeks(questions, "all") == questions


def test_measures_count_short_answers_types_and_furniture():
    from rag.bench.__main__ import measures

    def record(i, correct, short_correct, kinds, kind="name", listed=False):
        return {"id": str(i), "rank": 1 if correct else None, "timed": False, "search_ms": 10.0, "ask_ms": 50.0,
                "refused": False, "text": "", "short": "x" if short_correct else "", "correct": correct,
                "short_correct": short_correct, "written": 0, "rejected": 0, "quote_kinds": kinds,
                "fallback": False, "type": kind, "listed": listed}

    m = measures([record(1, True, True, ["s", "h"]), record(2, True, False, ["s", "f"], "date"),
                  record(3, False, False, ["h!", "i"], "date", listed=True), record(4, False, False, ["s"])])
    assert m["accuracy"] == 0.5 and m["short_accuracy"] == 0.25 and m["short_answered"] == 0.25
    assert m["short_precision"] == 1.0 and m["listed_first_lines"] == 1
    assert m["furniture_share"] == 3 / 7  # "f", "h!" and "i"; a short line under a short answer is allowed
    assert m["by_type"]["date"] == {"questions": 2, "recall@5": 0.5, "accuracy": 0.5, "short_accuracy": 0.0}


def test_a_bench_over_an_index_being_reindexed_stops_with_one_line(tmp_path, capsys):
    import json

    from rag.bench.__main__ import main
    from rag.bench.index import ours_folder
    from rag.core.settings import Settings
    from rag.index.indexer import reindex_lock

    articles, questions = tmp_path / "articles.jsonl", tmp_path / "questions.jsonl"
    articles.write_text(json.dumps({"id": "a1", "url": "https://gazette.example/1", "title": "Tram line approved",
                                    "published": "2024-03-02", "source": "gazette", "authors": [],
                                    "text": "The council approved the tram line. It will cost 310 million euros."}) + "\n")
    questions.write_text(json.dumps({"id": "q1", "asked": "2024-03-03", "question": "How much will the tram cost?",
                                     "choices": [], "answer": "310 million euros", "evidence": "", "source": ""}) + "\n")
    data = tmp_path / "bench-data"
    with reindex_lock(data / ours_folder(Settings.from_env())):
        code = main(["--articles", str(articles), "--questions", str(questions), "--data-dir", str(data)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and err[-1] == "error: a reindex is already running on this index; try again when it ends"
    assert not any("Traceback" in line for line in err)


@pytest.mark.parametrize("command", [[], ["calibrate"], ["verify"]])
def test_a_missing_input_file_stops_each_bench_command_with_one_line(tmp_path, capsys, command):
    from rag.bench.__main__ import main

    articles, questions = tmp_path / "articles.jsonl", tmp_path / "questions.jsonl"
    articles.write_text(json.dumps({"id": "a1", "published": "2024-03-02", "text": "The tram line was approved."}) + "\n")
    questions.write_text(json.dumps({"id": "q1", "asked": "2024-03-03", "question": "Was the tram approved?",
                                     "answer": "yes"}) + "\n")
    missing = tmp_path / "answerable.json"
    args = ["--articles", str(articles), "--questions", str(questions), "--data-dir", str(tmp_path / "data")]
    if command != ["verify"]:  # the bench and calibrate read an answerable subset; verify has none
        args += ["--answerable", str(missing)]
    else:
        args[3] = str(tmp_path / "nope.jsonl")
    code = main([*command, *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and err[0].startswith("error: ") and err[0].endswith("is not a file")
    # Nothing was opened or built before the check.
    assert not (tmp_path / "data").exists()
