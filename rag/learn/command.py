"""`python -m rag.learn reranker`: train the built-in ranking stage on weeks of news and quiz questions.

    python -m rag.learn reranker --train ../shared/train/realtimeqa-2022-2025 --out train-out/reranker \\
        [--bench ../shared/bench/realtimeqa-2023h1] [--install] [--steps N] [--seed N] [--quick]
        [--no-crossencoder | --blend WEIGHT [--blend-top N]]

Every stage is cached in ``--out`` and skipped when its output is there, so a stopped run resumes:
the training articles are indexed (``--data-dir``, incrementally), each training question's fused
candidates are collected as answering collects them, the cross-encoder is fine-tuned from the
packaged all-MiniLM-L6-v2 (checkpointed) on the weeks the ranker does not use, its int8 build
scores the ranker's weeks, and a LightGBM ranker learns from the features and that score (with
``--blend``, the ranker learns from the features of every week and the cross-encoder scores its
best ``--blend-top`` passages again at answer time, see rag.search.rerank.Blend). The
model is written to ``--out/model`` (``--install`` copies it to rag/models/reranker, where
RERANKER=builtin reads it); with ``--bench`` its figures on each half of the bench's weeks are
printed at the end. The caches hold article text: keep ``--out`` out of the repository.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..bench.data import load_ids, load_questions, weeks
from ..core.errors import RagError
from ..search import crossencoder as served
from ..search.features import CROSSENCODER_NAMES, NAMES, passage_text, with_crossencoder
from ..search.rerank import Blend
from . import candidates as cands
from . import crossencoder as ce
from . import ranker as ltr
from .evaluate import figures, row

log = logging.getLogger(__name__)

RANKER_SHARE_OF_WEEKS = 4  # every 4th week of the training data teaches the ranker, the rest the cross-encoder


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m rag.learn", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=["reranker"])
    p.add_argument("--train", type=Path, required=True,
                   help="training data folder: articles.jsonl.gz, questions.jsonl, answerable.json")
    p.add_argument("--out", type=Path, required=True, help="output and cache folder (holds article text)")
    p.add_argument("--data-dir", type=Path, default=Path("train-data"),
                   help="where the training articles' index is kept (default ./train-data)")
    p.add_argument("--bench", type=Path, help="a bench folder (same format) to report figures on, by halves")
    p.add_argument("--bench-data-dir", type=Path, default=Path("bench-data"),
                   help="where the bench's index is kept (default ./bench-data, as python -m rag.bench)")
    p.add_argument("--depth", type=int, default=30, help="fused candidates the stage reorders (default 30)")
    p.add_argument("--collect-depth", type=int, default=50, help="candidates collected per question (default 50)")
    p.add_argument("--steps", type=int, help=f"cross-encoder steps (default {ce.CrossEncoderConfig.steps})")
    p.add_argument("--max-length", type=int, help="word pieces the cross-encoder reads per pair")
    p.add_argument("--window", type=int, default=600,
                   help="characters of each passage the cross-encoder reads: its headline and the sentences "
                        "sharing most words with the question (default 600; 0: all of it)")
    p.add_argument("--trees", type=int, default=ltr.RankerConfig.trees, help="the ranker's boosting rounds")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--no-crossencoder", action="store_true", help="train the feature ranker only")
    p.add_argument("--blend", type=float, metavar="WEIGHT",
                   help="join the cross-encoder to the ranker's order instead of making it features: the "
                        "ranker (then learning from every week) orders the candidates, and its best "
                        "--blend-top are scored again as its score plus WEIGHT times the cross-encoder's logit")
    p.add_argument("--blend-top", type=int, default=20, help="passages the blended cross-encoder reads (default 20)")
    p.add_argument("--crossencoder-weeks", choices=["held-out", "every"], default="held-out",
                   help="the weeks whose answerable questions train the cross-encoder: those the ranker does not "
                        "learn from (default), or every week, for a blend (checkpointed apart)")
    p.add_argument("--quick", action="store_true",
                   help="a check of the whole run in minutes: 40 cross-encoder steps, 60 training questions")
    p.add_argument("--reindex", action="store_true",
                   help="bring existing indexes up to date with the articles files first (they are built "
                        "when missing; a reindex of the training articles takes minutes even when nothing changed)")
    p.add_argument("--install", action="store_true", help="copy the trained model to rag/models/reranker")
    return p


def open_training_index(data_dir: Path, articles: Path, progress, reindex: bool = False,
                        ranker: Path | None = None):
    """The extractive service on the index of ``articles`` in ``data_dir``, built when there is none
    (``reindex``: brought up to date first); in the fused order, or with ``ranker`` (a built-in ranking
    model's folder) ranking as answering ranks."""
    from ..bench.index import corpus_folder, ours_folder
    from ..core.settings import Settings, load_dotenv_once
    from ..index.embeddings import use_model_environment
    from ..service import RagService

    load_dotenv_once()
    settings = Settings.from_env()
    use_model_environment(settings.embedding_runtime)
    # ``data_dir`` holds one index per embedding set-up; given one of those folders, it is used as it is.
    folder = data_dir if (data_dir / "manifest.json").is_file() else data_dir / ours_folder(settings)
    settings = settings.replace(data_dir=folder, llm_provider="none", reranker="builtin" if ranker else "none",
                                reranker_dir=ranker)
    service = RagService(settings)
    if reindex or service.manifests.read() is None:
        service.reindex(corpus_folder(settings.data_dir, articles), progress=progress)
    return service


def _candidates(path: Path, data_dir: Path, folder: Path, depth: int, progress, limit: int | None = None,
                reindex: bool = False):
    """A data set's candidates, from the cache in ``path`` or collected (and cached)."""
    questions = load_questions(folder / "questions.jsonl", limit)
    meta = {"depth": depth, "questions": len(questions), "data": str(folder.resolve())}
    items = cands.load(path, meta)
    if items is None:
        service = open_training_index(data_dir, folder / "articles.jsonl.gz", progress, reindex)
        items = cands.collect(service, questions, depth, progress)
        cands.save(path, items, meta)
    return items


def split_by_week(items: list[cands.Candidates]) -> tuple[list, list]:
    """(cross-encoder questions, ranker questions): every RANKER_SHARE_OF_WEEKS-th asking week goes to the ranker."""
    weeks_asked = sorted({c.asked.isocalendar()[:2] for c in items})
    ranker_weeks = set(weeks_asked[RANKER_SHARE_OF_WEEKS - 1::RANKER_SHARE_OF_WEEKS])
    return ([c for c in items if c.asked.isocalendar()[:2] not in ranker_weeks],
            [c for c in items if c.asked.isocalendar()[:2] in ranker_weeks])


def _crossencoder(args, items: list[cands.Candidates], progress) -> tuple[Path, dict]:
    """Train (or resume) the cross-encoder and pack it into the model folder; returns the folder and its spec."""
    from ..index.quantized import model_source

    config = ce.CrossEncoderConfig(seed=args.seed)
    if args.steps:
        config = replace(config, steps=args.steps)
    if args.max_length:
        config = replace(config, max_length=args.max_length)
    if args.quick:
        config = replace(config, steps=40, checkpoint_every=20)
    window = args.window
    groups = ce.groups_of([replace(c, texts=[passage_text(c.question, t, window) for t in c.texts]) for c in items],
                          config.hard_depth)
    log.info("%d questions with a passage holding the answer train the cross-encoder", len(groups))
    folder = "crossencoder-every-week" if args.crossencoder_weeks == "every" else "crossencoder"
    checkpoint = ce.train(groups, model_source(), args.out / folder, config, progress)
    model = args.out / "model"
    model.mkdir(parents=True, exist_ok=True)
    import torch

    state = torch.load(checkpoint, map_location="cpu", weights_only=False)["model"]
    digest = served.pack(state, model / "crossencoder.safetensors")
    spec = {"file": "crossencoder.safetensors", "sha256": digest, "max_length": config.max_length,
            "window": window, "pooling": config.pooling,
            "training": json.loads((args.out / folder / "training.json").read_text()),
            "weeks": args.crossencoder_weeks}
    return model, spec


def _ce_scores(encoder, items: list[cands.Candidates], depth: int, window: int, progress) -> list[np.ndarray]:
    out = []
    for i, c in enumerate(items, start=1):
        texts = [passage_text(c.question, t, window) for t in c.texts[:depth]]
        out.append(np.asarray(encoder.scores(c.question, texts), dtype=np.float32) if texts else np.zeros(0))
        progress("cross-encoder scores", i, len(items))
    return out


def _cached_scores(path: Path, key: str, compute) -> list[np.ndarray]:
    if path.is_file():
        data = np.load(path, allow_pickle=False)
        if str(data["key"]) == key:
            lengths = data["lengths"]
            flat = data["scores"]
            return list(np.split(flat, np.cumsum(lengths)[:-1])) if len(lengths) else []
    scores = compute()
    np.savez(path, key=key, lengths=np.asarray([len(s) for s in scores]),
             scores=np.concatenate(scores) if scores else np.zeros(0))
    return scores


def run(args) -> int:
    from ..cli import TerminalProgress

    progress = TerminalProgress()
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    limit = 60 if args.quick else None
    items = _candidates(args.out / "candidates-train.jsonl.gz", args.data_dir, args.train, args.collect_depth,
                        progress, limit, args.reindex)
    ce_items, ranker_items = split_by_week(items)
    model = args.out / "model"
    model.mkdir(parents=True, exist_ok=True)
    spec = None
    encoder = None
    ce_from = ce_items
    if not args.no_crossencoder:
        answerable = load_ids(args.train / "answerable.json")
        # A blended cross-encoder is none of the ranker's features, so it may learn from every week.
        ce_from = items if args.crossencoder_weeks == "every" else ce_items
        model, spec = _crossencoder(args, [c for c in ce_from if c.id in answerable], progress)
        if args.blend is not None:
            spec["blend"] = {"weight": args.blend, "top": args.blend_top}
    as_features = bool(spec) and args.blend is None
    description = {"format": 1, "depth": args.depth,
                   "features": list(NAMES + (CROSSENCODER_NAMES if as_features else ())),
                   "crossencoder": spec, "ranker": {"file": "ranker.txt"},
                   "data": {"train": args.train.name, "questions": len(items),
                            "ranker_questions": len(ranker_items), "crossencoder_questions": len(ce_from)},
                   "seed": args.seed}
    (model / served.DESCRIPTION).write_text(json.dumps(description, indent=2) + "\n")
    extra = None
    if spec:
        encoder = served.Int8CrossEncoder(served.prepare(model, args.out / "int8", force=True))
    if as_features:
        extra = _cached_scores(args.out / "ce-ranker-weeks.npz",
                               f"{spec['sha256']}/{cands.digest(ranker_items, args.collect_depth)}",
                               lambda: _ce_scores(encoder, ranker_items, args.collect_depth, args.window, progress))
        extra = [with_crossencoder(c.features[:len(s)], s)[:, len(NAMES):] for c, s in zip(ranker_items, extra)]
    config = ltr.RankerConfig(depth=args.depth, trees=args.trees, seed=args.seed)
    # Without the cross-encoder's features the ranker learns from every week (no score of it is overfit to any).
    learn_from = ranker_items if as_features else items
    description["data"]["ranker_questions"] = len(learn_from)
    if not spec:
        del description["data"]["crossencoder_questions"]  # no cross-encoder was trained
    booster = ltr.train(learn_from, config, description["features"], extra)
    booster.save_model(str(model / "ranker.txt"))
    description["ranker"] = {"file": "ranker.txt", "sha256": served.sha256(model / "ranker.txt"),
                             **ltr.describe(config)}
    description["seconds"] = round(time.perf_counter() - started)
    (model / served.DESCRIPTION).write_text(json.dumps(description, indent=2) + "\n")
    print(f"model written to {model} ({description['seconds']} s)")
    if args.bench:
        report(args, model, encoder, spec, booster, progress)
    if args.install:
        target = served.MODEL_DIR
        target.mkdir(parents=True, exist_ok=True)
        for name in ("model.json", "ranker.txt", "crossencoder.safetensors"):
            if (model / name).is_file():
                shutil.copy2(model / name, target / name)
            elif (target / name).exists():
                (target / name).unlink()
        print(f"installed in {target}")
    return 0


def report(args, model: Path, encoder, spec, booster, progress) -> None:
    """The trained stage's figures on each half of the bench's weeks, with the fused order beside."""
    items = _candidates(args.out / "candidates-bench.jsonl.gz", args.bench_data_dir, args.bench,
                        args.collect_depth, progress, reindex=args.reindex)
    window = (spec or {}).get("window", 0)
    blend = Blend.of({"crossencoder": spec})
    extra = None
    if encoder is not None:
        scores = _cached_scores(args.out / "ce-bench.npz", f"{spec['sha256']}/{cands.digest(items, args.collect_depth)}",
                                lambda: _ce_scores(encoder, items, args.collect_depth, window, progress))
        if blend is None:
            extra = [with_crossencoder(c.features[:len(s)], s)[:, len(NAMES):] for c, s in zip(items, scores)]
    learned = ltr.scores(booster, items, args.depth, extra)
    alone = learned
    if blend is not None:
        learned = [blend.apply(s, lambda idx, logits=logits: logits[idx]) for s, logits in zip(learned, scores)]
    questions = load_questions(args.bench / "questions.jsonl")
    answerable = load_ids(args.bench / "answerable.json")
    by_id = {c.id: i for i, c in enumerate(items)}
    print("\n| weeks | questions | recall@5 | recall@10 | MRR@10 |\n|---|---|---|---|---|")
    for half in ("first-half", "second-half"):
        for subset in ("all", "answerable"):
            idx = [by_id[q.id] for q in weeks(questions, half) if subset == "all" or q.id in answerable]
            sub = [items[i] for i in idx]
            print(row(f"{half}, {subset}, fused", figures(sub, None, args.depth)))
            if blend is not None:
                print(row(f"{half}, {subset}, ranker alone", figures(sub, [alone[i] for i in idx], args.depth)))
            print(row(f"{half}, {subset}, learned", figures(sub, [learned[i] for i in idx], args.depth)))


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.blend is not None and args.no_crossencoder:
        parser.error("--blend joins the cross-encoder to the ranking: leave out --no-crossencoder")
    if args.blend is not None and not math.isfinite(args.blend):
        parser.error("--blend takes a number")
    if args.blend_top < 2:
        parser.error("--blend-top must be at least 2")
    if args.crossencoder_weeks == "every" and args.blend is None:
        parser.error("--crossencoder-weeks every is for a blend (--blend): as the ranker's features, its scores "
                     "of the ranker's own weeks would be learned by heart")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from ..bench.index import not_files

    if not_files(*(folder / name for name in ("articles.jsonl.gz", "questions.jsonl", "answerable.json")
                   for folder in [args.train] + ([args.bench] if args.bench else []))):
        return 1
    return guarded(lambda: run(args))


def guarded(job: Callable[[], int]) -> int:
    """A training command's exit code: a one-line error for bad data or settings, and a word on resuming
    when stopped (the caches in --out keep what was done)."""
    try:
        return job()
    except (RagError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stopped: run the same command again to resume", file=sys.stderr)
        return 130
