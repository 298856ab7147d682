"""`python -m rag.bench scale`: this project at N chunks: indexing, memory, disk, start-up, latency.

    python -m rag.bench scale --chunks 100000 --articles ARTICLES.jsonl.gz \\
        --questions QUESTIONS.jsonl [--data-dir bench-data] [--queries 300] [--json]

Builds a corpus of about N chunks from the bench articles: the originals, then copies
made different enough that nothing is a cache hit (sentences dropped and reordered,
numbers changed, a copy number in the title, the date moved), so every chunk is embedded
and stored for real. Then, each in its own process so that the figures are its own:

* ``python -m rag index`` over the corpus: chunks/s and peak memory (RSS);
* an answering process: start-up (from process start to the first search answered,
  the BM25 index loaded from disk, not rebuilt), then dense + BM25 + fusion latency
  p50/p95 over the questions (each as of the date it was asked), and its peak RSS.

The corpus and index stay in DATA_DIR/scale-N and are reused (delete it to start over).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import resource
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

TARGETS = {"search_p95_ms": 50, "rss_mb": 1536, "startup_s": 5}


def _perturb(article: dict, copy: int, rng: random.Random) -> dict:
    """A copy of ``article`` that embeds differently: shuffled, trimmed, renumbered, re-dated."""
    sentences = re.split(r"(?<=[.!?])\s+", article.get("text") or "")
    keep = [s for s in sentences if rng.random() > 0.15] or sentences
    if len(keep) > 3:
        i = rng.randrange(1, len(keep) - 1)
        keep[i], keep[i + 1] = keep[i + 1], keep[i]
    text = re.sub(r"\d+", lambda m: str(int(m[0]) + rng.randint(1, 9)), " ".join(keep))
    published = article.get("published")
    if published:
        published = (date.fromisoformat(published) + timedelta(days=rng.randint(-20, 20))).isoformat()
    return {**article, "id": f"{article['id']}-c{copy}", "url": f"{article.get('url') or ''}#copy-{copy}",
            "title": f"{article.get('title') or ''} (copy {copy})", "published": published, "text": text}


def build_corpus(articles: Path, chunks: int, out: Path) -> tuple[int, int]:
    """Write articles making ``chunks`` chunks (or just over: whole articles) to ``out``.

    The originals first, then perturbed copies of them, round after round; every article
    written is chunked as the indexer will chunk it, so the count is exact. Returns
    (articles, chunks).
    """
    from ..index.chunking import chunk_article
    from ..sources.records import parse_record
    from ..core.types import Article

    opener = gzip.open if articles.suffix == ".gz" else open
    with opener(articles, "rt", encoding="utf-8") as fh:
        raw = [json.loads(line) for line in fh if line.strip()]
    rng = random.Random(7)
    total = written = copy = 0
    with gzip.open(out, "wt", encoding="utf-8") as fh:
        while total < chunks and raw:
            for r in raw:
                item = r if copy == 0 else _perturb(r, copy, rng)
                article = parse_record(item, out.name, f"{out.name}:{written + 1}")
                if not isinstance(article, Article):
                    continue  # the indexer would skip it too
                fh.write(json.dumps(item, ensure_ascii=False) + "\n")
                written += 1
                total += len(chunk_article(article))
                if total >= chunks:
                    break
            copy += 1
    return written, total


def _du(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def _child_env(corpus: Path, data: Path) -> dict:
    return {**os.environ, "CORPUS_DIR": str(corpus), "DATA_DIR": str(data), "LLM_PROVIDER": "none",
            "CHROMA_HOST": "", "LOG_LEVEL": "WARNING"}


def probe(data: Path, questions: Path, limit: int) -> dict:
    """Run in the answering child process: start-up, then search latency over the questions."""
    from ..index.embeddings import use_model_environment
    from ..service import RagService
    from ..core.settings import Settings
    from ..core.types import Filters
    from .data import load_questions, percentile

    qs = load_questions(questions, limit)
    settings = Settings.from_env()
    use_model_environment(settings.embedding_runtime)
    service = RagService(settings.replace(data_dir=data, llm_provider="none"))
    service.retrieve(qs[0].question, Filters(as_of=qs[0].asked), k=10)
    ready = time.time()
    ms = []
    for q in qs:
        t = time.perf_counter()
        service.retrieve(q.question, Filters(as_of=q.asked), k=10)
        ms.append(1000 * (time.perf_counter() - t))
    return {"ready_at": ready, "search_p50_ms": percentile(ms, 50), "search_p95_ms": percentile(ms, 95),
            "search_mean_ms": sum(ms) / len(ms), "queries": len(ms),
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def index_child(corpus: Path, data: Path) -> dict:
    """Run in the indexing child process: an incremental reindex of the scale corpus."""
    from ..cli import TerminalProgress
    from ..index.embeddings import use_model_environment
    from ..service import RagService
    from ..core.settings import Settings

    settings = Settings.from_env()
    use_model_environment(settings.embedding_runtime)
    service = RagService(settings.replace(corpus_dir=corpus, data_dir=data, llm_provider="none"))
    terminal = TerminalProgress()
    peaks: dict[str, float] = {}
    stage = ["start"]

    def progress(name: str, done: int, total: int) -> None:
        stage[0] = name
        terminal(name, done, total)

    def sample(stop: threading.Event) -> None:  # peak RSS per stage: where indexing memory goes
        while not stop.wait(0.1):
            peaks[stage[0]] = max(peaks.get(stage[0], 0.0), _rss_mb())

    stop = threading.Event()
    sampler = threading.Thread(target=sample, args=(stop,), daemon=True)
    sampler.start()
    try:
        report = service.reindex(corpus, progress=progress)
    finally:
        stop.set()
        sampler.join()
    stats = service.stats()
    return {"chunks_embedded": report.chunks_embedded, "seconds": report.seconds,
            "chunks_total": stats.chunks, "articles_total": stats.articles,
            "rss_mb_by_stage": {k: round(v) for k, v in peaks.items()}}


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m rag.bench scale", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chunks", type=int, required=True, help="corpus size in chunks, e.g. 100000")
    p.add_argument("--articles", type=Path, required=True)
    p.add_argument("--questions", type=Path, required=True)
    p.add_argument("--data-dir", type=Path, default=Path("bench-data"))
    p.add_argument("--queries", type=int, default=300, help="questions timed (default 300)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--probe", type=Path, help=argparse.SUPPRESS)  # internal: the answering child process
    p.add_argument("--index-child", type=Path, help=argparse.SUPPRESS)  # internal: the indexing child process
    args = p.parse_args(argv)
    if args.index_child:
        folder = args.index_child
        print(json.dumps(index_child(folder / "corpus", folder / "data")), flush=True)
        return 0
    if args.probe:
        print(json.dumps(probe(args.probe, args.questions, args.queries)), flush=True)
        return 0
    from .index import not_files

    if not_files(args.articles, args.questions):
        return 1
    folder = args.data_dir / f"scale-{args.chunks}"
    corpus, data = folder / "corpus", folder / "data"
    corpus.mkdir(parents=True, exist_ok=True)
    target = corpus / "articles.jsonl.gz"
    if not target.exists():
        print(f"building a corpus of {args.chunks} chunks ...", file=sys.stderr)
        articles, total = build_corpus(args.articles, args.chunks, target)
        print(f"{articles} articles, {total} chunks", file=sys.stderr)

    started = time.perf_counter()
    index = subprocess.run([sys.executable, "-m", "rag.bench", "scale", "--chunks", str(args.chunks),
                            "--articles", str(args.articles), "--questions", str(args.questions),
                            "--index-child", str(folder)],
                           env=_child_env(corpus, data), stdout=subprocess.PIPE, text=True)
    index_s = time.perf_counter() - started
    if index.returncode != 0:
        print("error: indexing failed (its error is above)", file=sys.stderr)
        return 1
    index_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    report = json.loads(index.stdout.strip().splitlines()[-1])

    launched = time.time()
    answer = subprocess.run([sys.executable, "-m", "rag.bench", "scale", "--chunks", str(args.chunks),
                             "--articles", str(args.articles), "--questions", str(args.questions),
                             "--queries", str(args.queries), "--probe", str(data)],
                            env=_child_env(corpus, data), capture_output=True, text=True)
    if answer.returncode != 0:
        print(f"error: the answering process failed: {answer.stderr.strip()[-2000:]}", file=sys.stderr)
        return 1
    measured = json.loads(answer.stdout.strip().splitlines()[-1])
    from ..core.settings import Settings

    settings = Settings.from_env()
    row = {
        "chunks": report.get("chunks_total") or report.get("chunks_embedded"),
        "articles": report.get("articles_total"),
        "chunks_embedded": report.get("chunks_embedded"),
        "index_seconds": report.get("seconds"),
        "chunks_per_s": (report["chunks_embedded"] / report["seconds"]) if report.get("chunks_embedded") else None,
        "index_rss_mb": index_rss,
        "index_rss_by_stage": report.get("rss_mb_by_stage", {}),
        "disk_mb": _du(data) / 2**20,
        "startup_s": measured["ready_at"] - launched,
        "search_p50_ms": measured["search_p50_ms"], "search_p95_ms": measured["search_p95_ms"],
        "answer_rss_mb": measured["rss_mb"], "queries": measured["queries"],
        "embedding": f"{settings.embedding_model} ({settings.embedding_runtime})",
        "index_wall_s": index_s,
    }
    if args.json:
        print(json.dumps(row, indent=2))
    else:
        ok = lambda v, t: "meets" if v is not None and v < t else "misses"  # noqa: E731
        print(f"| measure at {row['chunks']} chunks | value | target |")
        print("|---|---|---|")
        print(f"| indexing | {row['chunks_per_s'] or 0:.1f} chunks/s ({row['chunks_embedded']} embedded "
              f"in {row['index_seconds'] or 0:.0f} s) | |")
        by_stage = ", ".join(f"{k} {v} MB" for k, v in row["index_rss_by_stage"].items())
        print(f"| peak RSS while indexing | {row['index_rss_mb']:.0f} MB (by stage: {by_stage}) "
              f"| < {TARGETS['rss_mb']} MB ({ok(row['index_rss_mb'], TARGETS['rss_mb'])}) |")
        print(f"| on disk (Chroma + BM25 + manifest) | {row['disk_mb']:.0f} MB | |")
        print(f"| start-up to first answer | {row['startup_s']:.1f} s | < {TARGETS['startup_s']} s "
              f"({ok(row['startup_s'], TARGETS['startup_s'])}) |")
        print(f"| retrieval p50 / p95 ({row['queries']} questions) | {row['search_p50_ms']:.1f} / "
              f"{row['search_p95_ms']:.1f} ms | p95 < {TARGETS['search_p95_ms']} ms "
              f"({ok(row['search_p95_ms'], TARGETS['search_p95_ms'])}) |")
        print(f"| peak RSS of the answering process | {row['answer_rss_mb']:.0f} MB | < {TARGETS['rss_mb']} MB "
              f"({ok(row['answer_rss_mb'], TARGETS['rss_mb'])}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
