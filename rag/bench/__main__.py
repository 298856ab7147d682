"""`python -m rag.bench`: retrieval and answer quality, indexing throughput, query latency.

    python -m rag.bench --articles ARTICLES.jsonl.gz --questions QUESTIONS.jsonl \
        [--data-dir DIR] [--limit N] [--pipeline ours|tutorial|both] [--json] \
        [--time-windows filter|boost|off|compare] [--report DIR]
    python -m rag.bench throughput --articles ARTICLES.jsonl.gz [--sample N] [--rounds N]
    python -m rag.bench scale --chunks N --articles ARTICLES.jsonl.gz --questions QUESTIONS.jsonl
    python -m rag.bench calibrate --articles ... --questions ...

Indexes the articles (reusing an index already in DIR), asks every question with
``as_of`` = the date it was asked, and prints one row per pipeline.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import logging
import sys
import time
from dataclasses import replace
from pathlib import Path

from ..cli import TerminalProgress
from ..fsutil import place_file
from ..settings import Settings, load_dotenv_once
from ..types import Filters
from .data import contains_answer, first_hit, load_questions, percentile

log = logging.getLogger(__name__)


def _corpus_folder(data_dir: Path, articles: Path) -> Path:
    """A corpus folder holding just the articles file (a hard link to it, or a copy), read as is."""
    folder = data_dir / "corpus"
    folder.mkdir(parents=True, exist_ok=True)
    placed = folder / articles.name
    if placed.is_symlink() or placed.exists():
        if not placed.is_symlink() and filecmp.cmp(placed, articles):  # the same link or an equal copy
            return folder
        placed.unlink()
    place_file(articles, placed)
    return folder


def _ours_folder(settings: Settings) -> str:
    """One bench index per embedding runtime: their vectors differ."""
    return "ours" if settings.embedding_runtime == "torch" else f"ours-{settings.embedding_runtime}"


K_MAX = 20  # passages retrieved per question: recall@k is reported for k = 1..20


def recall_fields(ranks: list[int | None], prefix: str = "") -> dict:
    """recall@5, recall@10 and MRR@10 of first-hit ranks (None = no hit in the top K_MAX)."""
    n = len(ranks) or 1
    return {
        f"{prefix}recall@5": sum(r is not None and r <= 5 for r in ranks) / n,
        f"{prefix}recall@10": sum(r is not None and r <= 10 for r in ranks) / n,
        f"{prefix}mrr@10": sum(1 / r for r in ranks if r is not None and r <= 10) / n,
    }


def recall_curve(ranks: list[int | None]) -> list[float]:
    """recall@k for k = 1..K_MAX."""
    n = len(ranks) or 1
    return [sum(r is not None and r <= k for r in ranks) / n for k in range(1, K_MAX + 1)]


def run_ours(settings: Settings, articles: Path, questions, progress, answers: bool = True) -> dict:
    from ..service import RagService
    from ..timeframe import resolve

    service = RagService(settings)
    report = service.reindex(_corpus_folder(settings.data_dir, articles), progress=progress)
    stats = service.stats()
    acc = refused = written = rejected = fallbacks = 0
    ranks, timed = [], []
    search_ms, ask_ms = [], []
    for i, q in enumerate(questions, start=1):
        filters = Filters(as_of=q.asked)
        timed.append(resolve(q.question, q.asked) is not None)
        t = time.perf_counter()
        passages, _ = service.retrieve(q.question, filters, k=K_MAX)
        search_ms.append(1000 * (time.perf_counter() - t))
        ranks.append(first_hit([p.chunk.text for p in passages], q.answer))
        if not answers:
            progress("questions", i, len(questions))
            continue
        t = time.perf_counter()
        answer = service.ask(q.question, filters)
        ask_ms.append(1000 * (time.perf_counter() - t))
        refused += answer.refused
        acc += (not answer.refused) and contains_answer(answer.text, q.answer)
        written += answer.written
        rejected += answer.rejected
        fallbacks += bool(settings.llm_enabled and answer.mode != "generative" and not answer.refused)
        progress("questions", i, len(questions))
    n = len(questions)
    mode = "" if settings.time_windows == "off" else f", time windows: {settings.time_windows}"
    return {
        "pipeline": (f"this project (hybrid, {settings.llm_provider}:{settings.llm_model}{mode})"
                     if settings.llm_enabled else f"this project (hybrid, extractive{mode})"),
        "embedding": f"{settings.embedding_model} ({settings.embedding_runtime})",
        "time_windows": settings.time_windows,
        "written_sentences": written, "rejected_share": rejected / written if written else None,
        "extractive_fallbacks": fallbacks,
        "chunks": stats.chunks,
        "chunks_embedded": report.chunks_embedded,
        "chunks_per_s": report.chunks_embedded / report.seconds if report.chunks_embedded else None,
        **recall_fields(ranks),
        **recall_fields([r for r, t in zip(ranks, timed) if t], "timed_"),
        **recall_fields([r for r, t in zip(ranks, timed) if not t], "untimed_"),
        "timed_questions": sum(timed),
        "recall_curve": recall_curve(ranks),
        "accuracy": acc / n if answers else None, "refusal_rate": refused / n if answers else None,
        "search_p50_ms": percentile(search_ms, 50), "search_p95_ms": percentile(search_ms, 95),
        "ask_p50_ms": percentile(ask_ms, 50) if answers else None,
        "ask_p95_ms": percentile(ask_ms, 95) if answers else None,
        "search_ms": search_ms,
        "questions": n,
    }


def run_tutorial(settings: Settings, articles: Path, questions, progress) -> dict:
    from ..embeddings import make_embeddings
    from .baseline import TutorialPipeline

    # The tutorial runs the model as sentence-transformers does, unquantised.
    pipeline = TutorialPipeline(settings.data_dir / "tutorial",
                                make_embeddings(replace(settings, embedding_runtime="torch")))
    embedded, seconds = pipeline.index(articles, progress)
    ranks, search_ms = [], []
    for i, q in enumerate(questions, start=1):
        t = time.perf_counter()
        texts = pipeline.search(q.question, K_MAX)
        search_ms.append(1000 * (time.perf_counter() - t))
        ranks.append(first_hit(texts, q.answer))
        progress("tutorial questions", i, len(questions))
    n = len(questions)
    return {
        "pipeline": "LangChain tutorial (1000/200 splitter, top-k similarity)",
        "embedding": "all-MiniLM-L6-v2 (sentence-transformers)",
        "chunks": pipeline.count(), "chunks_embedded": embedded,
        "chunks_per_s": embedded / seconds if embedded else None,
        **recall_fields(ranks),
        "recall_curve": recall_curve(ranks),
        "accuracy": None, "refusal_rate": None,
        "search_p50_ms": percentile(search_ms, 50), "search_p95_ms": percentile(search_ms, 95),
        "ask_p50_ms": None, "ask_p95_ms": None, "search_ms": search_ms, "questions": n,
    }


def _cell(value, pct: bool = False) -> str:
    if value is None:
        return "n/a"
    if pct:
        return f"{100 * value:.1f}%"
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def table(rows: list[dict]) -> str:
    head = ("| pipeline | chunks | chunks/s | recall@5 | recall@5 relative-time / other questions "
            "| recall@10 | MRR@10 | accuracy | refusals | search p50/p95 ms | ask p50/p95 ms |")
    lines = [head, "|" + "---|" * 11]
    for r in rows:
        split = (f"{_cell(r['timed_recall@5'], True)} ({r['timed_questions']}) / {_cell(r['untimed_recall@5'], True)}"
                 if "timed_recall@5" in r else "n/a")
        lines.append(
            f"| {r['pipeline']} | {r['chunks']} | {_cell(r['chunks_per_s'])} | {_cell(r['recall@5'], True)} "
            f"| {split} | {_cell(r['recall@10'], True)} | {r['mrr@10']:.3f} | {_cell(r['accuracy'], True)} "
            f"| {_cell(r['refusal_rate'], True)} | {_cell(r['search_p50_ms'])} / {_cell(r['search_p95_ms'])} "
            f"| {_cell(r['ask_p50_ms'])} / {_cell(r['ask_p95_ms'])} |"
        )
    return "\n".join(lines)


SUBCOMMANDS = ("throughput", "scale", "calibrate")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in SUBCOMMANDS:
        import importlib

        return importlib.import_module(f"{__package__}.{argv[0]}").main(argv[1:])
    p = argparse.ArgumentParser(prog="python -m rag.bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--articles", type=Path, required=True, help="articles (.jsonl or .jsonl.gz)")
    p.add_argument("--questions", type=Path, required=True, help="questions (.jsonl)")
    p.add_argument("--data-dir", type=Path, default=Path("bench-data"),
                   help="where the bench indexes live (default ./bench-data; reused between runs)")
    p.add_argument("--limit", type=int, help="only the first N questions")
    p.add_argument("--pipeline", choices=("ours", "tutorial", "both"), default="ours")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.add_argument("--time-windows", choices=("filter", "boost", "off", "compare"),
                   help="what relative time in questions does (default: TIME_WINDOWS); "
                        "compare runs off, then filter, then boost, on the same index")
    p.add_argument("--retrieval-only", action="store_true",
                   help="measure retrieval only (recall, MRR, search latency), not the answers")
    p.add_argument("--report", type=Path, help="also write report.md and PNG plots into this folder")
    p.add_argument("--llm", action="store_true",
                   help="answer with the LLM configured in the environment / .env (LLM_PROVIDER ...)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for f in (args.articles, args.questions):
        if not f.is_file():
            print(f"error: {f} is not a file", file=sys.stderr)
            return 1
    load_dotenv_once()
    settings = Settings.from_env()
    settings = replace(settings, data_dir=args.data_dir / _ours_folder(settings))
    if not args.llm:
        settings = replace(settings, llm_provider="none")
    elif not settings.llm_enabled:
        print("error: --llm needs LLM_PROVIDER and LLM_MODEL (and LLM_BASE_URL for a local server)",
              file=sys.stderr)
        return 1
    questions = load_questions(args.questions, args.limit)
    progress = TerminalProgress()
    rows = []
    if args.pipeline in ("ours", "both"):
        modes = (("off", "filter", "boost") if args.time_windows == "compare"
                 else (args.time_windows or settings.time_windows,))
        for mode in modes:
            rows.append(run_ours(replace(settings, time_windows=mode), args.articles, questions, progress,
                                 answers=not args.retrieval_only))
    if args.pipeline in ("tutorial", "both"):
        rows.append(run_tutorial(replace(settings, data_dir=args.data_dir), args.articles, questions, progress))
    if args.report:
        from .report import write_report

        write_report(args.report, rows, command=" ".join(["python -m rag.bench", *argv]))
    print(json.dumps([{k: v for k, v in r.items() if k != "search_ms"} for r in rows], indent=2)
          if args.json else table(rows))
    for r in rows:
        if r.get("written_sentences"):
            print(f"{r['pipeline']}: {r['written_sentences']} sentences written, "
                  f"{100 * r['rejected_share']:.1f}% rejected by the verifier, "
                  f"{r['extractive_fallbacks']} answers fell back to extractive")
    return 0


if __name__ == "__main__":
    sys.exit(main())
