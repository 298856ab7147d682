"""`python -m rag.bench.calibrate`: derive the refusal and verification thresholds from the bench data.

    python -m rag.bench.calibrate --articles ARTICLES.jsonl.gz --questions QUESTIONS.jsonl [--data-dir DIR]

Uses the index `python -m rag.bench` built in DIR. Both calibrations are over the whole
question set, never single questions:

- refusal (MIN_EVIDENCE): the best answer-sentence score of questions whose answer is in
  the retrieved passages (should be answered) against questions asked with ``as_of`` moved
  120 days back, when no article then published contains the answer (should be refused);
- verification (rag/verify.py): each question's ``evidence`` sentence, written by the quiz's
  own source, checked against the best retrieved passage that contains the answer (a
  supported paraphrase) and against the best one that does not (unsupported).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from ..answer import ExtractiveAnswerer
from ..context import Numbered, PassageBook
from ..settings import Settings
from ..text import split_sentences
from ..types import Filters
from ..verify import Verifier
from .data import contains_answer, load_questions

SHIFT = timedelta(days=120)


def _published_texts(articles: Path) -> list[tuple[date | None, str]]:
    out = []
    with gzip.open(articles, "rt", encoding="utf-8") if articles.suffix == ".gz" else articles.open() as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                out.append((date.fromisoformat(d["published"]) if d.get("published") else None, d["text"].lower()))
    return out


def _best_threshold(pos: list[float], neg: list[float]) -> tuple[float, float, float]:
    best = (0.0, 0.0, 0.0, -1.0)
    for i in range(0, 121):
        t = i / 100
        tpr = sum(s >= t for s in pos) / len(pos)
        tnr = sum(s < t for s in neg) / len(neg)
        if tpr + tnr - 1 > best[3]:
            best = (t, tpr, tnr, tpr + tnr - 1)
    return best[:3]


def calibrate_refusal(service, questions, articles: Path) -> dict:
    answerer = ExtractiveAnswerer(service.embeddings, 0.0)
    texts = _published_texts(articles)
    pos, neg = [], []
    for q in questions:
        passages = service.search(q.question, Filters(as_of=q.asked), k=8)
        if any(contains_answer(p.chunk.text, q.answer) for p in passages):
            ev = answerer.evidence(q.question, passages)
            pos.append(ev[0].score if ev else 0.0)
        earlier = q.asked - SHIFT
        if q.asked >= date(2023, 4, 1) and not any(
                d and d <= earlier and q.answer.lower() in t for d, t in texts):
            passages = service.search(q.question, Filters(as_of=earlier), k=8)
            ev = answerer.evidence(q.question, passages)
            neg.append(ev[0].score if ev else 0.0)
    if not pos or not neg:
        return {"answerable": len(pos), "unanswerable": len(neg), "note": "too few questions to calibrate"}
    t, tpr, tnr = _best_threshold(pos, neg)
    current = service.settings.min_evidence
    return {"answerable": len(pos), "unanswerable": len(neg), "best_threshold": t,
            "answered_at_best": tpr, "refused_at_best": tnr, "current_threshold": current,
            "answered_at_current": sum(s >= current for s in pos) / len(pos),
            "refused_at_current": sum(s < current for s in neg) / len(neg)}


def calibrate_verifier(service, questions) -> dict:
    verifier = Verifier(service.embeddings)
    pairs: list[tuple[bool, float, float]] = []  # (supported, lexical, semantic)
    for q in questions:
        if not q.evidence:
            continue
        passages = service.search(q.question, Filters(as_of=q.asked), k=8)
        with_answer = [p for p in passages if contains_answer(p.chunk.text, q.answer)]
        without = [p for p in passages if not contains_answer(p.chunk.text, q.answer)]
        for label, group in ((True, with_answer), (False, without)):
            if group:
                book = PassageBook()
                book.shown([Numbered(1, group[0], group[0].chunk.text)])
                cited = " ".join(q.evidence[a:b] + " [1]" for a, b in split_sentences(q.evidence))
                claims = verifier.check(cited, book)
                for claim in claims:
                    pairs.append((label, claim.lexical, claim.semantic))
    best = None
    for lex in [x / 20 for x in range(8, 20)]:
        for sem in [x / 20 for x in range(8, 18)]:
            for lex2 in [x / 20 for x in range(2, 12)]:
                tp = sum(1 for s, l, m in pairs if s and (l >= lex or (m >= sem and l >= lex2)))
                fp = sum(1 for s, l, m in pairs if not s and (l >= lex or (m >= sem and l >= lex2)))
                npos = sum(1 for s, _, _ in pairs if s)
                nneg = len(pairs) - npos
                # Precision matters more than recall: a false "supported" lets an invention through.
                score = (tp / npos) - 2 * (fp / nneg)
                if best is None or score > best[0]:
                    best = (score, lex, sem, lex2, tp / npos, fp / nneg)
    return {"pairs": len(pairs), "lexical": best[1], "semantic": best[2], "semantic_min_lexical": best[3],
            "supported_accepted": best[4], "unsupported_accepted": best[5]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m rag.bench.calibrate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--articles", type=Path, required=True)
    p.add_argument("--questions", type=Path, required=True)
    p.add_argument("--data-dir", type=Path, default=Path("bench-data"))
    p.add_argument("--limit", type=int, help="use about N questions, spread over the whole set")
    args = p.parse_args(argv)
    from ..service import RagService

    service = RagService(replace(Settings.from_env(), data_dir=args.data_dir / "ours"))
    questions = load_questions(args.questions)
    if args.limit:
        questions = questions[::max(1, len(questions) // args.limit)]
    result = {"refusal": calibrate_refusal(service, questions, args.articles),
              "verifier": calibrate_verifier(service, questions)}
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
