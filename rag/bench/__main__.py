"""`python -m rag.bench`: retrieval and answer quality, indexing throughput, query latency.

    python -m rag.bench --articles ARTICLES.jsonl.gz --questions QUESTIONS.jsonl \
        [--data-dir DIR] [--limit N] [--pipeline ours|tutorial|both] [--json] \
        [--time-windows filter|boost|off|compare] [--report DIR]
    python -m rag.bench throughput --articles ARTICLES.jsonl.gz [--sample N] [--rounds N]
    python -m rag.bench scale --chunks N --articles ARTICLES.jsonl.gz --questions QUESTIONS.jsonl
    python -m rag.bench calibrate --articles ... --questions ...
    python -m rag.bench verify --articles ... --questions ... [--weeks first-half|second-half|all]
    python -m rag.bench quotes --articles ... [--sample 40] [--show 30]

Indexes the articles (reusing an index already in DIR), asks every question with
``as_of`` = the date it was asked, and prints one row per pipeline.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

from ..cli import TerminalProgress
from ..core.settings import Settings, SettingsError, load_dotenv_once
from ..core.types import Filters
from ..index.embeddings import use_model_environment
from .index import add_data_arguments, corpus_folder, not_files, ours_folder
from .data import add_weeks_argument, contains_answer, first_hit, load_ids, load_questions, percentile, weeks

log = logging.getLogger(__name__)


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


def _quote_kinds(answer) -> list[str]:
    """What each quoted sentence of an answer is by the furniture rules, marked afresh on its passage:
    "s" a sentence, "h" a short line backing the short answer (allowed), "f" furniture, "i" an
    instruction, or "h!" a short line quoted without a short answer (counted as furniture)."""
    from ..core.sentences import mark

    kinds = []
    for c in answer.citations:
        for p in answer.passages:
            chunk = p.chunk
            if chunk.article_id == c.article_id and chunk.start <= c.start and c.end <= chunk.end:
                units = {(chunk.start + a, chunk.start + b): k for a, b, k in mark(chunk.text)}
                kind = units.get((c.start, c.end), "?")
                kinds.append("h!" if kind == "h" and not answer.short else kind)
                break
        else:
            kinds.append("?")
    return kinds


def run_ours(settings: Settings, articles: Path, questions, progress, answers: bool = True,
             subset: set[str] | None = None, misses: int = 0) -> dict:
    from ..answer.extractive import UNSETTLED
    from ..core.extract import analyse
    from ..service import RagService
    from ..search.timeframe import resolve

    service = RagService(settings)
    report = service.reindex(corpus_folder(settings.data_dir, articles), progress=progress)
    stats = service.stats()
    records = []
    for i, q in enumerate(questions, start=1):
        filters = Filters(as_of=q.asked)
        rec = {"id": q.id, "question": q.question, "gold": q.answer, "timed": resolve(q.question, q.asked) is not None,
               "type": analyse(q.question).kind}
        t = time.perf_counter()
        passages, _ = service.retrieve(q.question, filters, k=K_MAX)
        rec["search_ms"] = 1000 * (time.perf_counter() - t)
        rec["rank"] = first_hit([p.chunk.text for p in passages], q.answer)
        if answers:
            t = time.perf_counter()
            answer = service.ask(q.question, filters)
            rec["ask_ms"] = 1000 * (time.perf_counter() - t)
            rec.update(refused=answer.refused, text=answer.text, short=answer.short,
                       correct=(not answer.refused) and contains_answer(answer.text, q.answer),
                       short_correct=bool(answer.short) and contains_answer(answer.short, q.answer),
                       listed=answer.text.startswith(UNSETTLED),  # a first line listing names
                       written=answer.written, rejected=answer.rejected, quote_kinds=_quote_kinds(answer),
                       fallback=bool(settings.llm_enabled and answer.mode != "generative" and not answer.refused))
        records.append(rec)
        progress("questions", i, len(questions))
    mode = "" if settings.time_windows == "off" else f", time windows: {settings.time_windows}"
    if settings.reranker.lower() != "none":
        mode += f", reranker: {_reranker_label(settings.reranker)}"
    if answers and not settings.llm_enabled:
        mode += ", answers: " + ("learned" if settings.answer_model == "builtin" else "hand-set")
        if settings.answer_model == "builtin" and settings.refusal == "learned":
            mode += ", learned refusal"
    row = {
        "pipeline": (f"this project (hybrid, {settings.llm_provider}:{settings.llm_model}{mode})"
                     if settings.llm_enabled else f"this project (hybrid, extractive{mode})"),
        "embedding": f"{settings.embedding_model} ({settings.embedding_runtime})",
        "time_windows": settings.time_windows,
        "chunks": stats.chunks,
        "chunks_embedded": report.chunks_embedded,
        "chunks_per_s": report.chunks_embedded / report.seconds if report.chunks_embedded else None,
        **measures(records, answers),
    }
    if subset is not None:
        row["answerable"] = measures([r for r in records if r["id"] in subset], answers)
    row["misses"] = [r for r in records if answers and not r["correct"]][:misses]
    return row


def _reranker_label(value: str) -> str:
    """A RERANKER value as a row names it: builtin, none, a URL's host, or a folder's name."""
    if value.lower() in ("none", "builtin"):
        return value.lower()
    if value.lower().startswith(("http://", "https://")):
        from urllib.parse import urlsplit

        return urlsplit(value).netloc
    return Path(value).name


def measures(records: list[dict], answers: bool = True) -> dict:
    """Recall, answer accuracy, short-answer accuracy (also by question type), refusals, latency, furniture."""
    n = len(records) or 1
    ranks = [r["rank"] for r in records]
    out = {
        **recall_fields(ranks),
        **recall_fields([r["rank"] for r in records if r["timed"]], "timed_"),
        **recall_fields([r["rank"] for r in records if not r["timed"]], "untimed_"),
        "timed_questions": sum(r["timed"] for r in records),
        "recall_curve": recall_curve(ranks),
        "search_p50_ms": percentile([r["search_ms"] for r in records], 50),
        "search_p95_ms": percentile([r["search_ms"] for r in records], 95),
        "search_ms": [r["search_ms"] for r in records],
        "questions": len(records),
        "accuracy": None, "short_accuracy": None, "refusal_rate": None, "ask_p50_ms": None, "ask_p95_ms": None,
    }
    if not answers:
        return out
    kinds = [k for r in records for k in r["quote_kinds"]]
    written = sum(r["written"] for r in records)
    out.update({
        "accuracy": sum(r["correct"] for r in records) / n,
        "short_accuracy": sum(r["short_correct"] for r in records) / n,
        "short_answered": sum(bool(r["short"]) for r in records) / n,
        "short_precision": (sum(r["short_correct"] for r in records) / max(1, sum(bool(r["short"]) for r in records))),
        "listed_first_lines": sum(r["listed"] for r in records),
        "refusal_rate": sum(r["refused"] for r in records) / n,
        "ask_p50_ms": percentile([r["ask_ms"] for r in records], 50),
        "ask_p95_ms": percentile([r["ask_ms"] for r in records], 95),
        "quoted_sentences": len(kinds),
        "furniture_share": (sum(k in ("f", "i", "h!") for k in kinds) / len(kinds)) if kinds else None,
        "unmatched_quotes": sum(k == "?" for k in kinds),
        "written_sentences": written,
        "rejected_share": sum(r["rejected"] for r in records) / written if written else None,
        "extractive_fallbacks": sum(r["fallback"] for r in records),
        "by_type": {
            t: {"questions": len(group), "recall@5": sum(r["rank"] is not None and r["rank"] <= 5 for r in group) / len(group),
                "accuracy": sum(r["correct"] for r in group) / len(group),
                "short_accuracy": sum(r["short_correct"] for r in group) / len(group)}
            for t in sorted({r["type"] for r in records})
            for group in [[r for r in records if r["type"] == t]]
        },
    })
    return out


def run_tutorial(settings: Settings, articles: Path, questions, progress, subset: set[str] | None = None) -> dict:
    from ..index.embeddings import make_embeddings
    from .baseline import TutorialPipeline

    # The tutorial runs the model as sentence-transformers does, unquantised.
    use_model_environment("torch")
    pipeline = TutorialPipeline(settings.data_dir / "tutorial",
                                make_embeddings(settings.replace(embedding_runtime="torch")))
    embedded, seconds = pipeline.index(articles, progress)
    ranks, search_ms = [], []
    for i, q in enumerate(questions, start=1):
        t = time.perf_counter()
        texts = pipeline.search(q.question, K_MAX)
        search_ms.append(1000 * (time.perf_counter() - t))
        ranks.append(first_hit(texts, q.answer))
        progress("tutorial questions", i, len(questions))
    n = len(questions)
    answerable = None
    if subset is not None:
        sub = [r for r, q in zip(ranks, questions) if q.id in subset]
        answerable = {**recall_fields(sub), "questions": len(sub), "accuracy": None, "short_accuracy": None,
                      "refusal_rate": None, "search_p50_ms": None, "search_p95_ms": None,
                      "ask_p50_ms": None, "ask_p95_ms": None}
    return {
        "answerable": answerable,
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


def _plain(row: dict) -> dict:
    """A row without the per-question latency lists (for --json)."""
    out = {k: v for k, v in row.items() if k != "search_ms"}
    if isinstance(out.get("answerable"), dict):
        out["answerable"] = {k: v for k, v in out["answerable"].items() if k != "search_ms"}
    return out


def _cell(value, pct: bool = False) -> str:
    if value is None:
        return "n/a"
    if pct:
        return f"{100 * value:.1f}%"
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def table(rows: list[dict], subset: str = "") -> str:
    """One line per pipeline; with ``subset`` ("answerable"), the same measures on that subset."""
    head = ("| pipeline | questions | recall@5 | recall@5 relative-time / other | recall@10 | MRR@10 "
            "| accuracy | short-answer accuracy (answered) | refusals | furniture quoted | search p50/p95 ms "
            "| ask p50/p95 ms |")
    lines = [head, "|" + "---|" * 12]
    for row in rows:
        r = row.get(subset) if subset else row
        if r is None:
            continue
        split = (f"{_cell(r['timed_recall@5'], True)} ({r['timed_questions']}) / {_cell(r['untimed_recall@5'], True)}"
                 if "timed_recall@5" in r else "n/a")
        short = (f"{_cell(r['short_accuracy'], True)} ({_cell(r.get('short_answered'), True)})"
                 if r.get("short_accuracy") is not None else "n/a")
        lines.append(
            f"| {row['pipeline']} | {r['questions']} | {_cell(r['recall@5'], True)} "
            f"| {split} | {_cell(r['recall@10'], True)} | {r['mrr@10']:.3f} | {_cell(r['accuracy'], True)} "
            f"| {short} | {_cell(r['refusal_rate'], True)} | {_cell(r.get('furniture_share'), True)} "
            f"| {_cell(r['search_p50_ms'])} / {_cell(r['search_p95_ms'])} "
            f"| {_cell(r['ask_p50_ms'])} / {_cell(r['ask_p95_ms'])} |"
        )
    return "\n".join(lines)


def type_table(row: dict) -> str:
    """Accuracy by the kind of answer a question asks for (rag.core.extract)."""
    lines = ["| question type | questions | recall@5 | accuracy | short-answer accuracy |", "|---|---|---|---|---|"]
    for t, m in row.get("by_type", {}).items():
        lines.append(f"| {t} | {m['questions']} | {_cell(m['recall@5'], True)} | {_cell(m['accuracy'], True)} "
                     f"| {_cell(m['short_accuracy'], True)} |")
    return "\n".join(lines)


SUBCOMMANDS = ("throughput", "scale", "calibrate", "verify", "quotes")


def _main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in SUBCOMMANDS:
        import importlib

        return importlib.import_module(f"{__package__}.{argv[0]}").main(argv[1:])
    p = argparse.ArgumentParser(prog="python -m rag.bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_arguments(p)
    p.add_argument("--limit", type=int, help="only the first N questions")
    add_weeks_argument(p)
    p.add_argument("--answerable", type=Path,
                   help="a JSON list of question ids (answerable.json): also report the measures on them")
    p.add_argument("--misses", type=int, default=0, metavar="N",
                   help="print the first N questions answered wrongly, with what the bot said")
    p.add_argument("--pipeline", choices=("ours", "tutorial", "both"), default="ours")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.add_argument("--time-windows", choices=("filter", "boost", "off", "compare"),
                   help="what relative time in questions does (default: TIME_WINDOWS); "
                        "compare runs off, then filter, then boost, on the same index")
    p.add_argument("--reranker", metavar="none|builtin|PATH|URL[,...]",
                   help="the ranking stage (default: RERANKER); several, comma-separated, give a row each "
                        "from one run, e.g. none,builtin")
    p.add_argument("--answer-model", metavar="builtin|none[,...]",
                   help="what judges extractive answers (default: ANSWER_MODEL); several, comma-separated, give "
                        "a row each from one run, e.g. builtin,none (none: the hand-set rules)")
    p.add_argument("--retrieval-only", action="store_true",
                   help="measure retrieval only (recall, MRR, search latency), not the answers")
    p.add_argument("--report", type=Path, help="also write report.md and PNG plots into this folder")
    p.add_argument("--llm", action="store_true",
                   help="answer with the LLM configured in the environment / .env (LLM_PROVIDER ...)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not_files(args.articles, args.questions, args.answerable):
        return 1
    load_dotenv_once()
    settings = Settings.from_env()
    settings = settings.replace(data_dir=args.data_dir / ours_folder(settings))
    use_model_environment(settings.embedding_runtime)
    if not args.llm:
        settings = settings.replace(llm_provider="none")
    elif not settings.llm_enabled:
        print("error: --llm needs LLM_PROVIDER and LLM_MODEL (and LLM_BASE_URL for a local server)",
              file=sys.stderr)
        return 1
    questions = weeks(load_questions(args.questions, args.limit), args.weeks)
    subset = load_ids(args.answerable) if args.answerable else None
    progress = TerminalProgress()
    rows = []
    if args.pipeline in ("ours", "both"):
        modes = (("off", "filter", "boost") if args.time_windows == "compare"
                 else (args.time_windows or settings.time_windows,))
        rerankers = [r.strip() for r in (args.reranker or settings.reranker).split(",") if r.strip()]
        judges = [a.strip() for a in (args.answer_model or settings.answer_model).split(",") if a.strip()]
        if args.retrieval_only:
            judges = judges[:1]  # the answer model changes no passage
        for mode in modes:
            for reranker in rerankers:
                for judge in judges:
                    try:
                        variant = Settings.from_env({**os.environ, "RERANKER": reranker, "ANSWER_MODEL": judge}).replace(
                            **{k: getattr(settings, k) for k in ("data_dir", "llm_provider")}, time_windows=mode)
                    except SettingsError as exc:
                        print(f"error: {exc}", file=sys.stderr)
                        return 1
                    rows.append(run_ours(variant, args.articles, questions, progress,
                                         answers=not args.retrieval_only, subset=subset, misses=args.misses))
    if args.pipeline in ("tutorial", "both"):
        rows.append(run_tutorial(settings.replace(data_dir=args.data_dir), args.articles, questions, progress,
                                 subset))
    if args.report:
        from .report import write_report

        write_report(args.report, rows, command=" ".join(["python -m rag.bench", *argv]))
    if args.json:
        print(json.dumps([_plain(r) for r in rows], indent=2))
    else:
        print(f"{len(questions)} questions ({args.weeks} of the weeks)")
        print(table(rows))
        if subset is not None:
            print(f"\nAnswerable subset ({args.answerable.name}):")
            print(table(rows, "answerable"))
        for r in rows:
            print_details(r)
    for r in rows:
        if r.get("written_sentences"):
            print(f"{r['pipeline']}: {r['written_sentences']} sentences written, "
                  f"{100 * r['rejected_share']:.1f}% rejected by the verifier, "
                  f"{r['extractive_fallbacks']} answers fell back to extractive")
    return 0


def print_details(r: dict) -> None:
    """A row's bold answers and listing first lines, its accuracy by question type, and its misses."""
    if r.get("short_answered") is not None:
        print(f"\n{r['pipeline']}: bold short answers given for {100 * r['short_answered']:.1f}% of the "
              f"questions, right {100 * r['short_precision']:.1f}% of the time; "
              f"{r['listed_first_lines']} first lines list names")
        sub = r.get("answerable")
        if sub and sub.get("short_answered") is not None:
            print(f"  answerable subset: bold for {100 * sub['short_answered']:.1f}%, right "
                  f"{100 * sub['short_precision']:.1f}%; {sub['listed_first_lines']} first lines list names")
    if r.get("by_type"):
        print(f"\n{r['pipeline']}, by question type:")
        print(type_table(r))
    for m in r.get("misses", []):
        said = " ".join(m["text"].split())
        print(f"\nMISS {m['id']}: {m['question']}\n  gold: {m['gold']}\n  said: {said[:400]}")


def main(argv: list[str] | None = None) -> int:
    """The benchmark's exit code: a one-line error for what the project reports (a reindex already
    running on the bench index, an unreadable model), never a traceback."""
    from ..core.errors import RagError

    try:
        return _main(argv)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
