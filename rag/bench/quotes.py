"""`python -m rag.bench quotes`: what answers, summaries and timelines quote, judged by the furniture rules.

    python -m rag.bench quotes --articles ARTICLES.jsonl.gz [--data-dir DIR] [--sample 40] [--show 30]

Uses the index `python -m rag.bench` built in DIR. Samples articles at random (fixed seed),
and for each asks its title as a question, summarises it, and builds the timeline of its
title; every quoted sentence is then looked up in its article, marked afresh by the rules in
rag/core/sentences.py (corpus/README.md, "What is quoted"), and counted as furniture unless it is a
sentence of prose. Prints the share, and ``--show`` sampled quotes to read by eye.
"""

from __future__ import annotations

import argparse
import random
import sys

from ..sources.ingest import load_corpus
from ..core.sentences import SENTENCE, mark
from ..core.types import Citation, Filters
from .index import add_data_arguments, corpus_folder, not_files, open_index


def kind_of(citation: Citation, text: str) -> str:
    """The mark of the sentence a citation quotes, from its article's text marked afresh."""
    for a, b, kind in mark(text):
        if a <= citation.start and citation.end <= b:
            return kind
    return "?"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m rag.bench quotes", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_arguments(p, questions=False)
    p.add_argument("--sample", type=int, default=40, help="articles sampled (default 40)")
    p.add_argument("--show", type=int, default=30, help="quoted sentences printed to read by eye (default 30)")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    if not_files(args.articles):
        return 1
    service = open_index(args.data_dir)
    refs = service.find_articles("", limit=10 ** 9)
    rng = random.Random(args.seed)
    chosen = rng.sample(refs, min(args.sample, len(refs)))
    quotes: list[tuple[str, str, str]] = []  # (where, kind, quote)
    articles, _ = load_corpus(corpus_folder(service.settings.data_dir, args.articles))
    texts = {a.id: a.text for a in articles}  # the cleaned text, as indexed: quotes' spans index into it

    def article_text(article_id: str) -> str:
        return texts.get(article_id, "")

    def collect(where: str, citations) -> None:
        for c in citations:
            quotes.append((where, kind_of(c, article_text(c.article_id)), c.quote))

    for ref in chosen:
        as_of = Filters(as_of=ref.published) if ref.published else Filters()
        collect("answer", service.ask(ref.title, as_of).citations)
        collect("summary", service.summarize_article(ref.id).citations)
        collect("timeline", service.timeline(ref.title, as_of).citations)
    if not quotes:
        print("nothing was quoted")
        return 1
    furniture = [q for q in quotes if q[1] != SENTENCE]
    by_place = {w: [q for q in quotes if q[0] == w] for w in ("answer", "summary", "timeline")}
    print(f"{len(chosen)} articles, {len(quotes)} quoted sentences: "
          f"{100 * len(furniture) / len(quotes):.1f}% furniture by the rules "
          + "(" + ", ".join(f"{w} {sum(q[1] != SENTENCE for q in qs)}/{len(qs)}" for w, qs in by_place.items()) + ")")
    for where, kind, quote in rng.sample(quotes, min(args.show, len(quotes))):
        print(f"- [{where}, {kind}] {' '.join(quote.split())[:200]}")
    for where, kind, quote in furniture[:20]:
        print(f"! furniture [{where}, {kind}] {' '.join(quote.split())[:200]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
