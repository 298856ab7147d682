"""`python -m rag.bench`: retrieval and answer quality, indexing throughput, query latency.

    python -m rag.bench --articles ARTICLES.jsonl.gz --questions QUESTIONS.jsonl \
        [--data-dir DIR] [--limit N] [--pipeline ours|tutorial|both] [--json]

Indexes the articles (reusing an index already in DIR), asks every question with
``as_of`` = the date it was asked, and prints one row per pipeline.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from dataclasses import replace
from pathlib import Path

from ..cli import TerminalProgress
from ..settings import Settings, load_dotenv_once
from ..types import Filters
from .data import contains_answer, first_hit, load_questions, percentile

log = logging.getLogger(__name__)


def _corpus_folder(data_dir: Path, articles: Path) -> Path:
    """A corpus folder holding just the articles file (as a link), so ingestion reads it as is."""
    folder = data_dir / "corpus"
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / articles.name
    if link.is_symlink() or link.exists():
        if link.resolve() == articles.resolve():
            return folder
        link.unlink()
    link.symlink_to(articles.resolve())
    return folder


def run_ours(settings: Settings, articles: Path, questions, progress) -> dict:
    from ..service import RagService

    service = RagService(settings)
    report = service.reindex(_corpus_folder(settings.data_dir, articles), progress=progress)
    stats = service.stats()
    r5 = r10 = acc = refused = written = rejected = fallbacks = 0
    rr = 0.0
    search_ms, ask_ms = [], []
    for i, q in enumerate(questions, start=1):
        filters = Filters(as_of=q.asked)
        t = time.perf_counter()
        passages = service.search(q.question, filters, k=10)
        search_ms.append(1000 * (time.perf_counter() - t))
        rank = first_hit([p.chunk.text for p in passages], q.answer)
        r5 += rank is not None and rank <= 5
        r10 += rank is not None
        rr += 1 / rank if rank else 0
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
    return {
        "pipeline": (f"this project (hybrid, {settings.llm_provider}:{settings.llm_model})"
                     if settings.llm_enabled else "this project (hybrid, extractive)"),
        "written_sentences": written, "rejected_share": rejected / written if written else None,
        "extractive_fallbacks": fallbacks,
        "chunks": stats.chunks,
        "chunks_embedded": report.chunks_embedded,
        "chunks_per_s": report.chunks_embedded / report.seconds if report.chunks_embedded else None,
        "recall@5": r5 / n, "recall@10": r10 / n, "mrr@10": rr / n,
        "accuracy": acc / n, "refusal_rate": refused / n,
        "search_p50_ms": percentile(search_ms, 50), "search_p95_ms": percentile(search_ms, 95),
        "ask_p50_ms": percentile(ask_ms, 50), "ask_p95_ms": percentile(ask_ms, 95),
        "questions": n,
    }


def run_tutorial(settings: Settings, articles: Path, questions, progress) -> dict:
    from ..embeddings import make_embeddings
    from .baseline import TutorialPipeline

    pipeline = TutorialPipeline(settings.data_dir / "tutorial", make_embeddings(settings))
    embedded, seconds = pipeline.index(articles, progress)
    r5 = r10 = 0
    rr = 0.0
    search_ms = []
    for i, q in enumerate(questions, start=1):
        t = time.perf_counter()
        texts = pipeline.search(q.question, 10)
        search_ms.append(1000 * (time.perf_counter() - t))
        rank = first_hit(texts, q.answer)
        r5 += rank is not None and rank <= 5
        r10 += rank is not None
        rr += 1 / rank if rank else 0
        progress("tutorial questions", i, len(questions))
    n = len(questions)
    return {
        "pipeline": "LangChain tutorial (1000/200 splitter, top-k similarity)",
        "chunks": pipeline.count(), "chunks_embedded": embedded,
        "chunks_per_s": embedded / seconds if embedded else None,
        "recall@5": r5 / n, "recall@10": r10 / n, "mrr@10": rr / n,
        "accuracy": None, "refusal_rate": None,
        "search_p50_ms": percentile(search_ms, 50), "search_p95_ms": percentile(search_ms, 95),
        "ask_p50_ms": None, "ask_p95_ms": None, "questions": n,
    }


def _cell(value, pct: bool = False) -> str:
    if value is None:
        return "n/a"
    if pct:
        return f"{100 * value:.1f}%"
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def table(rows: list[dict]) -> str:
    head = ("| pipeline | chunks | chunks/s | recall@5 | recall@10 | MRR@10 | accuracy | refusals "
            "| search p50/p95 ms | ask p50/p95 ms |")
    lines = [head, "|" + "---|" * 10]
    for r in rows:
        lines.append(
            f"| {r['pipeline']} | {r['chunks']} | {_cell(r['chunks_per_s'])} | {_cell(r['recall@5'], True)} "
            f"| {_cell(r['recall@10'], True)} | {r['mrr@10']:.3f} | {_cell(r['accuracy'], True)} "
            f"| {_cell(r['refusal_rate'], True)} | {_cell(r['search_p50_ms'])} / {_cell(r['search_p95_ms'])} "
            f"| {_cell(r['ask_p50_ms'])} / {_cell(r['ask_p95_ms'])} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m rag.bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--articles", type=Path, required=True, help="articles (.jsonl or .jsonl.gz)")
    p.add_argument("--questions", type=Path, required=True, help="questions (.jsonl)")
    p.add_argument("--data-dir", type=Path, default=Path("bench-data"),
                   help="where the bench indexes live (default ./bench-data; reused between runs)")
    p.add_argument("--limit", type=int, help="only the first N questions")
    p.add_argument("--pipeline", choices=("ours", "tutorial", "both"), default="ours")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.add_argument("--llm", action="store_true",
                   help="answer with the LLM configured in the environment / .env (LLM_PROVIDER ...)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for f in (args.articles, args.questions):
        if not f.is_file():
            print(f"error: {f} is not a file", file=sys.stderr)
            return 1
    load_dotenv_once()
    settings = replace(Settings.from_env(), data_dir=args.data_dir / "ours")
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
        rows.append(run_ours(settings, args.articles, questions, progress))
    if args.pipeline in ("tutorial", "both"):
        rows.append(run_tutorial(replace(settings, data_dir=args.data_dir), args.articles, questions, progress))
    print(json.dumps(rows, indent=2) if args.json else table(rows))
    for r in rows:
        if r.get("written_sentences"):
            print(f"{r['pipeline']}: {r['written_sentences']} sentences written, "
                  f"{100 * r['rejected_share']:.1f}% rejected by the verifier, "
                  f"{r['extractive_fallbacks']} answers fell back to extractive")
    return 0


if __name__ == "__main__":
    sys.exit(main())
