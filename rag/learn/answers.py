"""`python -m rag.learn answers`: train the answer judge (rag.answer.judge) on weeks of news and quiz questions.

    python -m rag.learn answers --train ../shared/train/realtimeqa-2022-2025 --out train-out/answers \\
        [--data-dir train-data] [--ranked-by train-out/reranker] [--install] [--seed N]

Each training question is searched and read as answering reads it (the fused passages: the
shipped ranking model is left out, it learned from these same questions; with --ranked-by, each fold
of weeks ranked by a ranker trained on the other folds' candidates; the extractive answerer's scored
sentences and candidates), as of the day it was
asked; and, for the refusal, also as of SHIFT earlier when no article published by then held its
answer (a question asked before its story existed). A candidate is right when it is the quiz's
answer (compared as rag.core.extract.key compares candidates); a question is answerable when one
of its passages holds the answer; a sentence gives the answer when it holds the quiz's answer
(the bench's rule). The candidate model's probabilities that the refusal and sentence models
learn from are out of fold (each fold's questions scored by a model trained on the others).
Thresholds are chosen on the training weeks: the bold answer's for a precision of BOLD_PRECISION,
the likely (named, not in bold) answer's for LIKELY_PRECISION, the refusal's for at most MAX_FALSE_REFUSALS of answerable questions refused. The rows are
cached in ``--out`` (they hold no article text).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..bench.data import SHIFT, Question, before_its_story, contains_answer, load_questions, published_texts
from ..core import extract
from ..core.errors import ConfigError
from ..core.types import Filters

log = logging.getLogger(__name__)

BOLD_PRECISION = 0.8
LIKELY_PRECISION = 0.6  # a candidate named as likely, not in bold, is right at least 60% of the time
MAX_FALSE_REFUSALS = 0.10
FOLDS = 5
ROWS_VERSION = 8  # bumped when what the rows read changes (3: no passage ages; 4: the names reader splits at roles;
# 5: candidates read in their sentences; 6: the sentences' rows; 7: their neighbours; 8: twelve passages)
MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "answers"


def is_answer(candidate: str, gold: str) -> bool:
    """Whether a candidate short answer is the quiz's answer: the same key, or one holding the other
    whole when the shorter has more than three characters ("Squid Game" / "“Squid Game”", "Yeoh" / "Michelle Yeoh")."""
    a, b = extract.key(candidate), extract.key(gold)
    if not a or not b:
        return False
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return len(short) > 3 and f" {short} " in f" {long} "


@dataclass
class Rows:
    """One question's rows: its candidates' and its own, with their labels."""

    id: str
    shifted: bool
    candidates: np.ndarray  # (n, len(CANDIDATE_FEATURES))
    right: np.ndarray  # (n,) 1 where the candidate is the answer
    question: np.ndarray  # (len(QUESTION_FEATURES),) with best_probability and probability_gap unset
    answerable: bool  # a passage holds the answer
    asked: date
    sentences: np.ndarray  # (s, SENTENCE_BASE): the first sentences' features read before the candidates are judged
    holds: np.ndarray  # (s, CANDIDATES_JUDGED): which judged candidates each sentence gives
    quotes: np.ndarray  # (s,) 1 where the sentence holds the answer


class Read(NamedTuple):
    """What answering reads for a question (ExtractiveAnswerer.read) and the candidates it judges."""

    qtype: extract.QuestionType
    shorts: list  # the hand-set scorer's candidates, best first (none for a question that is not factoid)
    sentences: list  # the scored sentences, best first
    passages: list
    missing: int  # names the question gives that no passage mentions
    names: int  # names the question gives
    window: tuple[date | None, date] | None  # the (since, until) its time words ask about


def read(service, question: str, as_of: date) -> Read:
    """What answering reads for a question asked as of ``as_of``, searched as answering searches."""
    from ..answer.extractive import ExtractiveAnswerer, passages_read
    from ..answer.shorts import short_answers

    filters = Filters(as_of=as_of)
    passages, window = service.retrieve(question, filters, k=passages_read(service.settings.top_k))
    span = (window.since, window.until) if window else None
    latest = window.until if window else as_of
    reading = ExtractiveAnswerer(service.embeddings, service.settings.min_evidence).read(question, passages, latest)
    qtype = reading.qtype
    shorts = short_answers(question, qtype, reading.scored, service.embeddings, span) if qtype.factoid else []
    missing = len(reading.missing)
    return Read(qtype, shorts, reading.sentences, passages, missing, len(reading.mentioned) + missing, span)


def rows_of(service, q: Question, as_of: date, shifted: bool) -> Rows:
    from ..answer.judge import CANDIDATE_FEATURES, SENTENCES_JUDGED, candidate_rows, question_row, sentence_base

    qtype, shorts, sentences, passages, missing, names, span = read(service, q.question, as_of)
    cand = candidate_rows(q.question, qtype, shorts, span, passages, sentences, service.embeddings)
    right = np.asarray([is_answer(s.text, q.answer) for s in shorts[:len(cand)]], dtype=np.float32)
    qrow = question_row(q.question, qtype, sentences, passages, missing, names, (), len(shorts), span)[0]
    answerable = any(contains_answer(p.chunk.text, q.answer) for p in passages)
    # The sentences are learned from as asked only: asked before its story, no sentence gives the answer.
    base, holds = sentence_base(q.question, qtype, [] if shifted else sentences, shorts, span)
    quotes = np.asarray([contains_answer(c.text, q.answer) for c in ([] if shifted else sentences[:SENTENCES_JUDGED])],
                        dtype=np.float32)
    return Rows(q.id, shifted, cand.reshape(-1, len(CANDIDATE_FEATURES)), right, qrow, answerable, q.asked,
                base, holds, quotes)


def collect(service, questions: list[Question], articles: Path, progress) -> list[Rows]:
    """Every question's rows as asked, and as asked SHIFT earlier when nothing then held its answer."""
    texts = published_texts(articles)
    early = {q.id for q in questions if before_its_story(q, texts)}
    out = []
    for i, q in enumerate(questions, start=1):
        out.append(rows_of(service, q, q.asked, False))
        if q.id in early:
            out.append(rows_of(service, q, q.asked - SHIFT, True))
        progress("reading the training questions", i, len(questions))
    return out


def _labelled(progress, suffix: str):
    """``progress`` with ``suffix`` after each stage's name."""
    return lambda stage, done, total: progress(stage + suffix, done, total)


def save(path: Path, rows: list[Rows], key: str) -> None:
    arrays = {"key": np.asarray(key), "ids": np.asarray([r.id for r in rows]),
              "shifted": np.asarray([r.shifted for r in rows]), "answerable": np.asarray([r.answerable for r in rows]),
              "asked": np.asarray([r.asked.toordinal() for r in rows]),
              "lengths": np.asarray([len(r.right) for r in rows]),
              "candidates": np.concatenate([r.candidates for r in rows]) if rows else np.zeros((0, 0)),
              "right": np.concatenate([r.right for r in rows]) if rows else np.zeros(0),
              "questions": np.stack([r.question for r in rows]) if rows else np.zeros((0, 0)),
              "sentence_lengths": np.asarray([len(r.quotes) for r in rows]),
              "sentences": np.concatenate([r.sentences for r in rows]) if rows else np.zeros((0, 0)),
              "holds": np.concatenate([r.holds for r in rows]) if rows else np.zeros((0, 0)),
              "quotes": np.concatenate([r.quotes for r in rows]) if rows else np.zeros(0)}
    tmp = path.with_suffix(".part.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)


def load(path: Path, key: str) -> list[Rows] | None:
    if not path.is_file():
        return None
    d = np.load(path, allow_pickle=False)
    if str(d["key"]) != key:
        return None
    cuts = np.cumsum(d["lengths"])[:-1]
    cands, right = np.split(d["candidates"], cuts), np.split(d["right"], cuts)
    cuts = np.cumsum(d["sentence_lengths"])[:-1]
    sents, holds, quotes = (np.split(d[name], cuts) for name in ("sentences", "holds", "quotes"))
    return [Rows(str(i), bool(s), c, r, q, bool(a), date.fromordinal(int(o)), b, h, y)
            for i, s, c, r, q, a, o, b, h, y in zip(d["ids"], d["shifted"], cands, right, d["questions"],
                                                    d["answerable"], d["asked"], sents, holds, quotes)]


def _booster(x: np.ndarray, y: np.ndarray, names, seed: int, trees: int = 300):
    import lightgbm as lgb

    params = {"objective": "binary", "learning_rate": 0.03, "num_leaves": 15, "min_data_in_leaf": 30,
              "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0,
              "seed": seed, "deterministic": True, "force_row_wise": True, "num_threads": 2, "verbosity": -1}
    return lgb.train(params, lgb.Dataset(x, y, feature_name=list(names)), num_boost_round=trees)


def week_folds(asked: list[date], folds: int = FOLDS) -> np.ndarray:
    """A fold per asking day by its week (weeks dealt round-robin), so no fold sees another's week."""
    weeks = sorted({d.isocalendar()[:2] for d in asked})
    fold = {w: i % folds for i, w in enumerate(weeks)}
    return np.asarray([fold[d.isocalendar()[:2]] for d in asked], dtype=int)


def folds_of(rows: list[Rows], folds: int = FOLDS) -> np.ndarray:
    """A fold per question by its asking week (:func:`week_folds`)."""
    return week_folds([r.asked for r in rows], folds)


def fold_rankers(ranked_by: Path, questions: list[Question], out: Path, seed: int, progress) -> dict[str, Path]:
    """For each fold of the questions' weeks, a ranking model trained as the `python -m rag.learn reranker`
    run in ``ranked_by`` trained its own (its features, depth and settings) on the other folds' candidates
    it cached, in a folder under ``out``: so that each question is read in a ranked order, as answering
    reads, by a ranker that never saw its week. The folder of each question's id."""
    from ..search import crossencoder as served
    from ..search.features import NAMES
    from . import candidates as cands
    from . import ranker as ltr

    candidates, trained = ranked_by / "candidates-train.jsonl.gz", ranked_by / "model" / served.DESCRIPTION
    items = cands.load(candidates)
    if not items:
        raise ConfigError(f"{candidates} holds no candidates of this version; run `python -m rag.learn reranker` again")
    try:
        shipped = json.loads(trained.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{trained} is unreadable ({exc})") from None
    if shipped.get("features") != list(NAMES) or not shipped.get("ranker"):
        raise ConfigError(f"the ranker in {trained} reads more than the passages' features (a cross-encoder's); "
                          "train one with --no-crossencoder to read the questions by")
    week_fold = {q.asked.isocalendar()[:2]: int(f) for q, f in zip(questions, week_folds([q.asked for q in questions]))}
    collected = {c.id for c in items}
    missing = [q.id for q in questions if q.id not in collected]
    if missing:
        raise ConfigError(f"{candidates} has no candidates for {len(missing)} of the training questions "
                          "(collected from other data?)")
    config = ltr.RankerConfig(**{k: v for k, v in shipped["ranker"].items() if k not in ("file", "sha256")}
                              | {"seed": seed})
    folders = []
    for k in range(FOLDS):
        folder = out / f"ranker-fold-{k}"
        folder.mkdir(parents=True, exist_ok=True)
        # By the week asked, not the question: with --limit, a question left out of the reading still
        # shares its week with those read.
        booster = ltr.train([c for c in items if week_fold.get(c.asked.isocalendar()[:2], -1) != k], config, NAMES)
        booster.save_model(str(folder / "ranker.txt"))
        description = {"format": 1, "depth": config.depth, "features": list(NAMES), "crossencoder": None,
                       "ranker": {"file": "ranker.txt", "sha256": served.sha256(folder / "ranker.txt"),
                                  **ltr.describe(config)},
                       "seed": seed, "fold": k}
        (folder / served.DESCRIPTION).write_text(json.dumps(description, indent=2) + "\n")
        folders.append(folder)
        progress("training a ranker for each fold of weeks", k + 1, FOLDS)
    return {q.id: folders[week_fold[q.asked.isocalendar()[:2]]] for q in questions}


def out_of_fold(rows: list[Rows], seed: int) -> list[np.ndarray]:
    """Each question's candidate probabilities from a candidate model trained on the other folds."""
    from ..answer.judge import CANDIDATE_FEATURES

    fold = folds_of(rows)
    probs: list[np.ndarray] = [np.zeros(len(r.right), dtype=np.float32) for r in rows]
    for k in range(FOLDS):
        train = [r for r, f in zip(rows, fold) if f != k and len(r.right)]
        booster = _booster(np.vstack([r.candidates for r in train]), np.concatenate([r.right for r in train]),
                           CANDIDATE_FEATURES, seed)
        for i, (r, f) in enumerate(zip(rows, fold)):
            if f == k and len(r.right):
                probs[i] = booster.predict(r.candidates, num_threads=2).astype(np.float32)
    return probs


def bold_threshold(rows: list[Rows], probs: list[np.ndarray], precision: float = BOLD_PRECISION) -> tuple[float, dict]:
    """The lowest probability at which the best candidate is right at least ``precision`` of the time."""
    best = [(float(p.max()), bool(r.right[int(p.argmax())])) for r, p in zip(rows, probs)
            if not r.shifted and len(p)]
    best.sort(key=lambda v: -v[0])
    chosen, right = 1.0, 0
    for n, (p, ok) in enumerate(best, start=1):
        right += ok
        if right / n >= precision:
            chosen = p
    given = [ok for p, ok in best if p >= chosen]
    asked = sum(not r.shifted for r in rows)
    return chosen, {"bold_given": len(given) / max(1, asked), "bold_precision": sum(given) / max(1, len(given))}


def refusal_threshold(rows: list[Rows], answers: np.ndarray, max_false: float = MAX_FALSE_REFUSALS) -> tuple[float, dict]:
    """The highest answer probability under which at most ``max_false`` of answerable questions are refused."""
    positive = np.sort(np.asarray([a for r, a in zip(rows, answers) if not r.shifted and r.answerable]))
    early = np.asarray([a for r, a in zip(rows, answers) if r.shifted])
    chosen = float(positive[int(max_false * len(positive))]) if len(positive) else 0.0
    return chosen, {"false_refusals": float(np.mean(positive < chosen)) if len(positive) else 0.0,
                    "asked_early_refused": float(np.mean(early < chosen)) if len(early) else 0.0}


def quoting(rows: list[Rows], probs: list[np.ndarray], seed: int):
    """The sentence model (trained on every question's sentences, with the candidates' out-of-fold
    probabilities) and its figures out of fold: of the questions one of whose judged sentences gives the
    answer, the share whose first sentence does, and whose first three do, in its order and in the hand-set one."""
    from ..answer.judge import SENTENCE_FEATURES, sentence_rows

    kept = [(r, sentence_rows(r.sentences, r.holds, p)) for r, p in zip(rows, probs) if not r.shifted and len(r.quotes)]
    fold = folds_of([r for r, _ in kept])
    scores = [np.zeros(len(r.quotes), dtype=np.float32) for r, _ in kept]
    for k in range(FOLDS):
        train = [(r, x) for (r, x), f in zip(kept, fold) if f != k]
        booster = _booster(np.vstack([x for _, x in train]), np.concatenate([r.quotes for r, _ in train]),
                           SENTENCE_FEATURES, seed)
        for i, ((r, x), f) in enumerate(zip(kept, fold)):
            if f == k:
                scores[i] = booster.predict(x, num_threads=2).astype(np.float32)
    held = [(r.quotes, s) for (r, _), s in zip(kept, scores) if r.quotes.any()]
    learned = [q[np.argsort(-s, kind="stable")] for q, s in held]
    n = max(1, len(held))
    figures = {"sentence_questions": len(held),
               "first_sentence": sum(q[0] > 0 for q in learned) / n,
               "first_sentence_hand": sum(q[0] > 0 for q, _ in held) / n,
               "three_sentences": sum(q[:3].any() for q in learned) / n,
               "three_sentences_hand": sum(q[:3].any() for q, _ in held) / n}
    model = _booster(np.vstack([x for _, x in kept]), np.concatenate([r.quotes for r, _ in kept]),
                     SENTENCE_FEATURES, seed)
    return model, figures


def train(rows: list[Rows], seed: int) -> tuple[object, object, dict, object]:
    """The three boosters (candidates, refusal, sentences) and the description (thresholds and their
    figures on the training weeks)."""
    from ..answer.judge import CANDIDATE_FEATURES, QUESTION_FEATURES, SENTENCE_FEATURES, with_probabilities

    # Answering asks the candidate and sentence models only of questions that ask for a name, a date, a
    # figure or an X (rag.answer.extractive): the others keep the hand-set order. The refusal model learns
    # from every question (the others have no candidates: a best probability of 0), so that with
    # REFUSAL=learned it decides for them too.
    factoid = QUESTION_FEATURES.index("factoid")
    every, every_probs = rows, out_of_fold(rows, seed)  # the others have no candidates, and no probabilities
    asks = [i for i, r in enumerate(every) if r.question[factoid] > 0]
    rows, probs = [every[i] for i in asks], [every_probs[i] for i in asks]
    bold, bold_figures = bold_threshold(rows, probs)
    likely, likely_figures = bold_threshold(rows, probs, LIKELY_PRECISION)
    qx = np.stack([with_probabilities(r.question, p) for r, p in zip(every, every_probs)])
    qy = np.asarray([r.answerable and not r.shifted for r in every], dtype=np.float32)
    fold = folds_of(every)
    answers = np.zeros(len(every), dtype=np.float32)
    for k in range(FOLDS):
        booster = _booster(qx[fold != k], qy[fold != k], QUESTION_FEATURES, seed)
        answers[fold == k] = booster.predict(qx[fold == k], num_threads=2)
    refuse, refusal_figures = refusal_threshold(every, answers)
    with_cands = [r for r in rows if len(r.right)]
    candidates = _booster(np.vstack([r.candidates for r in with_cands]), np.concatenate([r.right for r in with_cands]),
                          CANDIDATE_FEATURES, seed)
    refusal = _booster(qx, qy, QUESTION_FEATURES, seed)
    sentences, sentence_figures = quoting(rows, probs, seed)
    description = {"format": 1, "candidate_features": list(CANDIDATE_FEATURES),
                   "question_features": list(QUESTION_FEATURES), "sentence_features": list(SENTENCE_FEATURES),
                   "bold": round(bold, 6), "likely": round(likely, 6),
                   "refuse": round(refuse, 6), "refusal_questions": "every",
                   "training_weeks": {**bold_figures, "likely_given": likely_figures["bold_given"],
                                      "likely_precision": likely_figures["bold_precision"], **refusal_figures, "questions": sum(not r.shifted for r in rows),
                                      "asked_early": sum(r.shifted for r in rows),
                                      "refusal_questions": sum(not r.shifted for r in every),
                                      "refusal_asked_early": sum(r.shifted for r in every), **sentence_figures},
                   "seed": seed}
    return candidates, refusal, description, sentences


def write(folder: Path, candidates, refusal, description: dict, sentences) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, booster in (("candidates", candidates), ("refusal", refusal), ("sentences", sentences)):
        path = folder / f"{name}.txt"
        booster.save_model(str(path))
        description[name] = {"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    (folder / "model.json").write_text(json.dumps(description, indent=2) + "\n")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m rag.learn answers", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--train", type=Path, required=True, help="training data folder (articles.jsonl.gz, questions.jsonl)")
    p.add_argument("--out", type=Path, required=True, help="output and cache folder")
    p.add_argument("--data-dir", type=Path, default=Path("train-data"),
                   help="where the training articles' index is kept (default ./train-data)")
    p.add_argument("--ranked-by", type=Path, metavar="DIR",
                   help="read the questions ranked as answering ranks them: each fold of weeks with a ranker trained "
                        "on the other folds' candidates, from DIR/candidates-train.jsonl.gz of a `python -m rag.learn "
                        "reranker` run on the same data (default: the fused order)")
    p.add_argument("--limit", type=int, help="only the first N questions (a quick check)")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--install", action="store_true", help="copy the trained models to rag/models/answers")
    return p


def main(argv: list[str] | None = None) -> int:
    from ..bench.index import not_files
    from .command import guarded

    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not_files(args.train / "articles.jsonl.gz", args.train / "questions.jsonl",
                 args.ranked_by / "candidates-train.jsonl.gz" if args.ranked_by else None):
        return 1
    return guarded(lambda: _run(args))


def _run(args) -> int:
    """Read (or load the cached rows of) the training questions, train, write and perhaps install the models."""
    from ..answer.judge import CANDIDATE_FEATURES, QUESTION_FEATURES
    from ..cli import TerminalProgress
    from .command import open_training_index

    progress = TerminalProgress()
    questions = load_questions(args.train / "questions.jsonl", args.limit)
    articles = args.train / "articles.jsonl.gz"
    args.out.mkdir(parents=True, exist_ok=True)
    # Read in the fused order, or (--ranked-by) each fold of weeks ranked by a ranker that never saw it, as
    # answering reads with RERANKER=builtin: the shipped ranker learned from these same questions, so its
    # order of them is better than any it gives a new week.
    rankers = fold_rankers(args.ranked_by, questions, args.out, args.seed, progress) if args.ranked_by else {}
    ranked = sorted(json.loads((f / "model.json").read_text())["ranker"]["sha256"] for f in set(rankers.values()))
    key = hashlib.sha256(json.dumps([ROWS_VERSION, CANDIDATE_FEATURES, QUESTION_FEATURES, len(questions),
                                     str(args.train.resolve())] + ([ranked] if ranked else [])).encode()).hexdigest()[:16]
    cache = args.out / "rows.npz"
    rows = load(cache, key)
    if rows is None:
        if rankers:  # one fold at a time (one index open), then the rows in the questions' order
            read_by: dict[str, list[Rows]] = {}
            for n, folder in enumerate(sorted(set(rankers.values())), start=1):
                service = open_training_index(args.data_dir, articles, progress, ranker=folder)
                part = [q for q in questions if rankers[q.id] == folder]
                for r in collect(service, part, articles, _labelled(progress, f" (fold {n} of {FOLDS})")):
                    read_by.setdefault(r.id, []).append(r)
            rows = [r for q in questions for r in read_by[q.id]]
        else:
            rows = collect(open_training_index(args.data_dir, articles, progress), questions, articles, progress)
        save(cache, rows, key)
    candidates, refusal, description, sentences = train(rows, args.seed)
    write(args.out / "model", candidates, refusal, description, sentences)
    figures = description["training_weeks"]
    print(f"answer models written to {args.out / 'model'}: bold from p >= {description['bold']:.3f} "
          f"(given for {100 * figures['bold_given']:.1f}% of the training questions, right "
          f"{100 * figures['bold_precision']:.1f}%), named as likely from p >= {description['likely']:.3f} "
          f"(given for {100 * figures['likely_given']:.1f}%, right {100 * figures['likely_precision']:.1f}%), "
          f"refusal under p = {description['refuse']:.3f} "
          f"({100 * figures['false_refusals']:.1f}% of answerable questions refused, "
          f"{100 * figures['asked_early_refused']:.1f}% of questions asked before their story); "
          f"the first quoted sentence gives the answer for {100 * figures['first_sentence']:.1f}% of the questions "
          f"a judged sentence answers (hand-set order: {100 * figures['first_sentence_hand']:.1f}%), the first "
          f"three for {100 * figures['three_sentences']:.1f}% ({100 * figures['three_sentences_hand']:.1f}%)")
    if args.install:
        MODEL_DIR.mkdir(parents=True, exist_ok=True)
        for name in ("model.json", "candidates.txt", "refusal.txt", "sentences.txt"):
            shutil.copy2(args.out / "model" / name, MODEL_DIR / name)
        print(f"installed in {MODEL_DIR}")
    return 0
