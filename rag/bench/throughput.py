"""`python -m rag.bench throughput`: indexing speed of the tutorial pipeline and of this project.

    python -m rag.bench throughput --articles ARTICLES.jsonl.gz [--sample 300] [--rounds 3]
                                   [--json] [--report DIR]

One run, the same sample of articles, each pipeline into a fresh folder, one after the
other: the LangChain tutorial pipeline (RecursiveCharacterTextSplitter 1000/200, Chroma
through langchain-chroma, all-MiniLM-L6-v2 through sentence-transformers), then this
project with the unquantised model (EMBEDDING_RUNTIME=torch), then with the int8 model.
Each figure is the whole indexing job after the model is loaded: reading, chunking,
embedding, writing to Chroma and (for this project) the BM25 index. Models are warmed
up before timing. A fourth row times the int8 model alone on this project's chunk texts
of the same sample, in the indexer's batches, with nothing read, chunked or written while
the clock runs: the ceiling the whole job can approach, since the job embeds every one
of those texts and does more besides.

Each pipeline runs in a process of its own: torch and CTranslate2 bring their own thread
pools, and when all ran in one process the torch pipelines indexed 14-15 chunks/s in the
rounds after CTranslate2 had been loaded, against 24-27 in the first. On a
shared 2-core machine one pipeline's speed still moves by up to a quarter between runs,
so the three are run in turn ``--rounds`` times; each row gives the median round with
every round's figure, and the ratio to the tutorial is taken round by round (the
pipelines of one round ran minutes apart) and its median reported.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..cli import TerminalProgress
from ..core.fsutil import place_file
from ..core.settings import Settings, load_dotenv_once
from ..index.embeddings import use_model_environment
from .index import not_files


def sample_articles(articles: Path, n: int, out: Path) -> int:
    """Every k-th article (spread over the whole file), written to ``out``; returns how many."""
    opener = gzip.open if articles.suffix == ".gz" else open
    with opener(articles, "rt", encoding="utf-8") as fh:
        lines = [line for line in fh if line.strip()]
    step = max(1, len(lines) // n)
    chosen = lines[::step][:n]
    with gzip.open(out, "wt", encoding="utf-8") as fh:
        fh.writelines(chosen)
    return len(chosen)


def run_tutorial(sample: Path, folder: Path, settings: Settings, progress) -> dict:
    from ..index.embeddings import make_embeddings
    from .baseline import TutorialPipeline

    embeddings = make_embeddings(settings.replace(embedding_runtime="torch"))
    embeddings.embed_documents(["warm-up"] * 8)
    chunks, seconds = TutorialPipeline(folder, embeddings).index(sample, progress)
    return {"pipeline": "LangChain tutorial (1000/200 splitter, sentence-transformers)",
            "chunks_embedded": chunks, "seconds": seconds, "chunks_per_s": chunks / seconds}


def _corpus_of(sample: Path, folder: Path) -> Path:
    """A new corpus folder ``folder`` holding the sample (a hard link to it, or a copy)."""
    folder.mkdir(parents=True)
    place_file(sample, folder / sample.name)
    return folder


def run_ours(sample: Path, folder: Path, settings: Settings, runtime: str, progress) -> dict:
    from ..service import RagService

    corpus = _corpus_of(sample, folder / "corpus")
    service = RagService(settings.replace(data_dir=folder / "data", embedding_runtime=runtime))
    service.embeddings.embed_documents(["warm-up"] * 8)
    report = service.reindex(corpus, progress=progress)
    return {"pipeline": f"this project ({runtime})", "chunks_embedded": report.chunks_embedded,
            "seconds": report.seconds, "chunks_per_s": report.chunks_embedded / report.seconds}


def run_model_only(sample: Path, folder: Path, settings: Settings, runtime: str) -> dict:
    from ..index.chunking import chunk_article, embedding_text
    from ..index.embeddings import make_embeddings
    from ..index.indexer import write_batch_size
    from ..sources.ingest import load_corpus

    articles, _ = load_corpus(_corpus_of(sample, folder), settings.max_file_bytes)
    texts = [embedding_text(c) for a in articles
             for c in chunk_article(a, settings.chunk_tokens, settings.chunk_overlap)]
    embeddings = make_embeddings(settings.replace(embedding_runtime=runtime))
    embeddings.embed_documents(["warm-up"] * 8)
    step = write_batch_size(settings.embedding_batch_size)
    started = time.perf_counter()
    for i in range(0, len(texts), step):
        embeddings.embed_documents(texts[i:i + step])
    seconds = time.perf_counter() - started
    return {"pipeline": f"{runtime} model alone (same chunk texts, nothing else)", "ceiling": True,
            "chunks_embedded": len(texts), "seconds": seconds, "chunks_per_s": len(texts) / seconds}


PIPELINES = ("tutorial", "torch", "ct2-int8", "ct2-int8-model-only")


def _child(pipeline: str, sample: Path, folder: Path) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    load_dotenv_once()
    settings = Settings.from_env().replace(llm_provider="none")
    use_model_environment("torch" if pipeline == "tutorial" else pipeline.removesuffix("-model-only"))
    progress = TerminalProgress()
    if pipeline == "tutorial":
        row = run_tutorial(sample, folder, settings, progress)
    elif pipeline.endswith("-model-only"):
        row = run_model_only(sample, folder, settings, pipeline.removesuffix("-model-only"))
    else:
        row = run_ours(sample, folder, settings, pipeline, progress)
    print(json.dumps(row), flush=True)
    return 0


def _in_child(sample: Path, folder: Path, pipeline: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "rag.bench", "throughput", "--articles", str(sample),
                           "--child", pipeline, str(folder)],
                          stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit(f"error: the {pipeline} run failed (its error is above)")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m rag.bench throughput", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--articles", type=Path, required=True, help="articles (.jsonl or .jsonl.gz)")
    p.add_argument("--sample", type=int, default=300, help="articles to index (default 300)")
    p.add_argument("--rounds", type=int, default=3, help="times each pipeline runs (default 3)")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.add_argument("--report", type=Path, help="also write report.md and throughput.png into this folder")
    p.add_argument("--child", nargs=2, metavar=("PIPELINE", "FOLDER"),
                   help=argparse.SUPPRESS)  # internal: one pipeline's run, in its own process
    args = p.parse_args(argv)
    if args.child:
        return _child(args.child[0], args.articles, Path(args.child[1]))
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not_files(args.articles):
        return 1
    if args.rounds < 1:
        print("error: --rounds must be at least 1", file=sys.stderr)
        return 1
    load_dotenv_once()
    rounds: list[list[dict]] = []
    with tempfile.TemporaryDirectory(prefix="rag-throughput-") as tmp:
        work = Path(tmp)
        sample = work / "sample.jsonl.gz"
        n = sample_articles(args.articles, args.sample, sample)
        for i in range(args.rounds):
            print(f"round {i + 1} of {args.rounds}", file=sys.stderr)
            rounds.append([_in_child(sample, work / f"{name}-{i}", name) for name in PIPELINES])
    rows = summarise(rounds, n)
    if args.report:
        from .report import write_report

        write_report(args.report, [], command=" ".join(["python -m rag.bench throughput", *(argv or sys.argv[2:])]),
                     throughput=rows)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"{n} articles, indexed by each pipeline in turn, {len(rounds)} round(s); median round "
              "(slowest-fastest)")
        print("| pipeline | chunks | seconds | chunks/s | articles/s | vs tutorial |")
        print("|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['pipeline']} | {r['chunks_embedded']} | {r['seconds']:.1f} | {r['chunks_per_s']:.1f} "
                  f"({min(r['chunks_per_s_rounds']):.1f}-{max(r['chunks_per_s_rounds']):.1f}) "
                  f"| {'n/a' if r['articles_per_s'] is None else format(r['articles_per_s'], '.2f')} "
                  f"| {r['vs_tutorial']:.2f}x "
                  f"({min(r['vs_tutorial_rounds']):.2f}-{max(r['vs_tutorial_rounds']):.2f}) |")
    return 0


def summarise(rounds: list[list[dict]], articles: int) -> list[dict]:
    """One row per pipeline: medians over the rounds, with each round's figures kept."""
    rows = []
    for i, first in enumerate(rounds[0]):
        runs = [r[i] for r in rounds]
        ratios = [r[i]["chunks_per_s"] / r[0]["chunks_per_s"] for r in rounds]
        seconds = statistics.median(run["seconds"] for run in runs)
        rows.append({**first, "rounds": len(runs), "seconds": seconds,
                     "chunks_per_s": statistics.median(run["chunks_per_s"] for run in runs),
                     "chunks_per_s_rounds": [round(run["chunks_per_s"], 2) for run in runs],
                     "articles": articles,
                     "articles_per_s": None if first.get("ceiling") else articles / seconds,
                     "vs_tutorial": statistics.median(ratios),
                     "vs_tutorial_rounds": [round(x, 3) for x in ratios]})
    return rows


if __name__ == "__main__":
    sys.exit(main())
