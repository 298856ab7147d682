"""Reading the evaluation data: articles (the corpus format) and quiz questions."""

from __future__ import annotations

import argparse
import gzip
import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

# A question asked this long before it was asked, when no article published by then holds its answer,
# is one the corpus cannot answer (the refusal's negatives, in calibration and in training).
SHIFT = timedelta(days=120)


@dataclass(frozen=True)
class Question:
    id: str
    asked: date
    question: str
    answer: str
    evidence: str = ""
    choices: tuple[str, ...] = ()  # the quiz's choices, the answer among them


def load_questions(path: Path, limit: int | None = None) -> list[Question]:
    """Questions from a JSON Lines file with id, asked, question, answer (and evidence, choices)."""
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            d = json.loads(line)
            out.append(Question(d["id"], date.fromisoformat(d["asked"]), d["question"], d["answer"],
                                d.get("evidence") or "", tuple(d.get("choices") or ())))
    if limit:
        out = out[:limit]
    return out


def contains_answer(text: str, answer: str) -> bool:
    """The bench's match rule: the answer string, case-insensitive, anywhere in the text."""
    return answer.lower() in text.lower()


def first_hit(texts: list[str], answer: str) -> int | None:
    """1-based rank of the first text containing the answer, or None."""
    for i, t in enumerate(texts, start=1):
        if contains_answer(t, answer):
            return i
    return None


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    idx = min(len(s) - 1, max(0, round(q / 100 * (len(s) - 1))))
    return s[idx]


WEEK_HALVES = ("first-half", "second-half", "all")


def add_weeks_argument(p: argparse.ArgumentParser) -> None:
    """--weeks, as the bench commands that ask questions take it (see :func:`weeks`)."""
    p.add_argument("--weeks", choices=WEEK_HALVES, default="all",
                   help="only the questions of the first or second half of the weeks (default: all; the "
                        "corpus stays whole)")


def weeks(questions: list[Question], which: str) -> list[Question]:
    """The questions of the first or the second half of the weeks (by ``asked`` date), or all.

    The halves split at the median asking date, so each holds about half of the weeks; the
    corpus stays whole. Settings are chosen on one half and reported on the other.
    """
    if which == "all" or not questions:
        return list(questions)
    dates = sorted({q.asked for q in questions})
    cut = dates[len(dates) // 2]
    if which == "first-half":
        return [q for q in questions if q.asked < cut]
    if which == "second-half":
        return [q for q in questions if q.asked >= cut]
    raise ValueError(f"weeks must be one of {', '.join(WEEK_HALVES)}")


def load_ids(path: Path) -> set[str]:
    """A JSON list of question ids (e.g. the answerable subset)."""
    return {str(x) for x in json.loads(path.read_text(encoding="utf-8"))}


def published_texts(articles: Path) -> list[tuple[date | None, str]]:
    """Each article's publication date (None when undated) and its text in lower case."""
    out = []
    with gzip.open(articles, "rt", encoding="utf-8") if articles.suffix == ".gz" else articles.open() as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                out.append((date.fromisoformat(d["published"]) if d.get("published") else None, d["text"].lower()))
    return out


def before_its_story(q: Question, texts: list[tuple[date | None, str]]) -> bool:
    """Whether no article (of :func:`published_texts`) published SHIFT before ``q`` was asked holds its answer."""
    earlier = q.asked - SHIFT
    answer = q.answer.lower()
    return not any(d and d <= earlier and answer in t for d, t in texts)
