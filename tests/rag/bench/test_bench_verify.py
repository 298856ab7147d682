"""`python -m rag.bench verify` on a tiny index built here: own sentences accepted, swaps rejected."""

from __future__ import annotations

import gzip
import json
from datetime import date

import pytest

from rag.bench.index import ours_folder
from rag.bench.data import Question, load_questions
from rag.bench.verify import main, reasons, summarise, swap, trials
from rag.service import RagService
from rag.core.settings import Settings
from rag.core.types import Filters
from rag.answer.verify import Verifier

ARTICLES = [
    {"id": "a1", "url": "https://g.example/globes", "title": "Yeoh wins at the Golden Globes", "published": "2023-01-11",
     "source": "g.example", "text": "The Golden Globes were handed out in Beverly Hills on Tuesday night. "
     "Michelle Yeoh won best actress in a comedy for Everything Everywhere All at Once, beating Margot Robbie. "
     "Ke Huy Quan won best supporting actor for the same film."},
    {"id": "a2", "url": "https://g.example/layoffs", "title": "Amazon to cut jobs", "published": "2023-01-05",
     "source": "g.example", "text": "Amazon said on Wednesday that it would lay off more than 18,000 employees. "
     "The cuts fall mostly on its stores and human resources divisions, the company said."},
    {"id": "a3", "url": "https://g.example/weather", "title": "Storms soak California", "published": "2023-03-20",
     "source": "g.example", "text": "Heavy rain flooded roads across Northern California on Monday. "
     "Forecasters expect another storm later in the week."},
]
QUESTIONS = [
    {"id": "q1", "asked": "2023-01-12", "question": "Who won best actress in a comedy at the Golden Globes?",
     "choices": ["Margot Robbie", "Michelle Yeoh", "Emma Thompson", "Lesley Manville"], "answer": "Michelle Yeoh",
     "evidence": "Michelle Yeoh took the Golden Globe for best actress in a comedy on Tuesday."},
    {"id": "q2", "asked": "2023-01-06", "question": "How many employees is Amazon laying off?",
     "choices": ["10,000", "18,000", "25,000", "6,000"], "answer": "18,000",
     "evidence": "Amazon will lay off more than 18,000 employees."},
    {"id": "q3", "asked": "2023-03-22", "question": "Where did heavy rain flood roads this week?",
     "choices": ["Oregon", "California", "Nevada", "Arizona"], "answer": "California", "evidence": ""},
]


@pytest.fixture(scope="module")
def bench(tmp_path_factory, embeddings):
    root = tmp_path_factory.mktemp("bench")
    corpus = root / "corpus"
    corpus.mkdir()
    with gzip.open(corpus / "articles.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(a) + "\n" for a in ARTICLES)
    (root / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS), encoding="utf-8")
    settings = Settings().replace(llm_provider="none")
    data = root / "data"
    service = RagService(settings.replace(data_dir=data / ours_folder(settings)), embeddings=embeddings)
    service.reindex(corpus)
    return root, data, service


@pytest.mark.integration
def test_questions_carry_their_choices(bench):
    root, _, _ = bench
    questions = load_questions(root / "questions.jsonl")
    assert questions[0].choices == ("Margot Robbie", "Michelle Yeoh", "Emma Thompson", "Lesley Manville")
    assert Question("x", date(2023, 1, 1), "q", "a").choices == ()


@pytest.mark.integration
def test_own_sentences_are_accepted_and_swaps_rejected(bench, embeddings):
    root, _, service = bench
    questions = load_questions(root / "questions.jsonl")
    results, usable = trials(questions, lambda q: service.search(q.question, Filters(as_of=q.asked), k=8),
                             Verifier(embeddings))
    assert usable == 3
    own = [t for t in results if t.kind == "own"]
    swapped = [t for t in results if t.kind == "swapped"]
    assert len(own) == 3 and all(t.accepted for t in own)
    assert len(swapped) == 9 and not any(t.accepted for t in swapped), [t.claim for t in swapped if t.accepted]
    assert {t.group for t in swapped} == {"names", "numbers"}
    assert any("Margot Robbie won best actress" in t.claim for t in swapped)  # named elsewhere in the passage
    rows = {(r["kind"], r["group"]): r for r in summarise(results)}
    assert rows[("own", "all")]["rate"] == 1.0
    assert rows[("swapped", "names")]["rate"] == rows[("swapped", "numbers")]["rate"] == 0.0
    assert rows[("evidence", "all")]["claims"] == 2
    assert sum(reasons(results, "swapped").values()) == 9


@pytest.mark.integration
def test_the_command_prints_rates_from_the_index(bench, capsys):
    root, data, _ = bench
    args = ["--articles", str(root / "corpus" / "articles.jsonl.gz"), "--questions", str(root / "questions.jsonl"),
            "--data-dir", str(data)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "3 questions (all), 3 with the answer in a retrieved passage" in out
    assert "| swapped | names | 6 | 0.0% | <= 5% |" in out
    assert "| own | all | 3 | 100.0% | >= 100% |" in out
    assert "swapped rejected: " in out


@pytest.mark.integration
def test_the_command_needs_the_bench_index(tmp_path, bench, capsys):
    root, _, _ = bench
    args = ["--articles", str(root / "corpus" / "articles.jsonl.gz"), "--questions", str(root / "questions.jsonl"),
            "--data-dir", str(tmp_path)]
    assert main(args) == 1
    assert "no bench index" in capsys.readouterr().err


def test_swap_replaces_every_occurrence_in_any_case():
    assert swap("Amazon said amazon would cut jobs.", "Amazon", "Meta") == "Meta said Meta would cut jobs."
