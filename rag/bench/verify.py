"""`python -m rag.bench verify`: how well the citation check tells supported claims from invented ones.

    python -m rag.bench verify --articles ARTICLES.jsonl.gz --questions QUESTIONS.jsonl \
        [--data-dir DIR] [--limit N] [--weeks first-half|second-half|all] [--json]

Uses the index `python -m rag.bench` built in DIR. For each question whose answer is in one of
the passages retrieved for it (as of the day it was asked, k=8), the first such passage with a
sentence that says something besides the answer (not a bare list line) is the cited passage,
and four kinds of claim are judged against it (rag.answer.verify.Verifier.judge, with the question):

- own: the passage's own sentence that holds the answer (must be accepted);
- swapped: that sentence with the answer replaced by each wrong quiz choice (must be rejected),
  split into names and numbers by the answer;
- evidence: the quiz's evidence sentence, another outlet's wording of the answer (reported;
  most should be accepted);
- evidence, other passage: the same sentence against the best retrieved passage that does not
  hold the answer (reported; most should be rejected).

``--weeks`` splits the questions at the median day they were asked, so that thresholds chosen on
the first half can be checked on the second.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..core.text import split_sentences
from ..core.types import Filters, Passage
from ..answer.verify import Claim, Verifier, named
from ..core.mentions import Number
from .data import Question, add_weeks_argument, contains_answer, load_questions, weeks
from .index import add_data_arguments, not_files, open_index

log = logging.getLogger(__name__)

K = 8
KINDS = ("own", "swapped", "evidence", "evidence, other passage")
TARGETS = {("own", ""): ">= 100%", ("swapped", "names"): "<= 5%", ("swapped", "numbers"): "<= 5%",
           ("evidence", ""): ">= 50%"}


@dataclass(frozen=True)
class Trial:
    question: str  # question id
    kind: str  # one of KINDS
    group: str  # "names" or "numbers": what the answer is
    claim: str
    accepted: bool
    reason: str


def group_of(answer: str) -> str:
    """Whether an answer is a figure (numbers) or anything else (names)."""
    return "numbers" if any(isinstance(m, Number) for m in named(answer)) else "names"


MIN_CONTEXT_WORDS = 3  # an own sentence says something besides the answer (not a bare list line)


def answer_sentence(text: str, answer: str) -> str | None:
    """The first sentence of ``text`` holding ``answer`` (case-insensitive) and some words besides."""
    for a, b in split_sentences(text):
        sentence = text[a:b]
        if contains_answer(sentence, answer) and \
                len(swap(sentence, answer, "").split()) >= MIN_CONTEXT_WORDS:
            return sentence
    return None


def swap(sentence: str, answer: str, other: str) -> str:
    """``sentence`` with every occurrence of ``answer`` (any case) replaced by ``other``."""
    low, key = sentence.lower(), answer.lower()
    out, i = [], 0
    while True:
        j = low.find(key, i)
        if j < 0:
            break
        out += [sentence[i:j], other]
        i = j + len(answer)
    return "".join(out) + sentence[i:]


def evidence_sentence(evidence: str, answer: str) -> str:
    """The evidence sentence that holds the answer, else the first one."""
    return answer_sentence(evidence, answer) or (
        evidence[slice(*split_sentences(evidence)[0])] if split_sentences(evidence) else "")


def trials(questions: Sequence[Question], search: Callable[[Question], list[Passage]],
           verifier: Verifier) -> tuple[list[Trial], int]:
    """Every claim judged, and how many questions had the answer in a retrieved passage."""
    out: list[Trial] = []
    usable = 0
    for q in questions:
        passages = search(q)
        holding = [(p, answer_sentence(p.chunk.text, q.answer)) for p in passages
                   if contains_answer(p.chunk.text, q.answer)]
        holding = [(p, s) for p, s in holding if s]
        if not holding:
            continue
        usable += 1
        text, own = holding[0][0].chunk.text, holding[0][1]
        group = group_of(q.answer)

        def judge(kind: str, claim: str, passage: str) -> None:
            c: Claim = verifier.judge(claim, passage, q.question)
            out.append(Trial(q.id, kind, group, claim, c.supported, c.reason))

        judge("own", own, text)
        for choice in q.choices:
            if choice.lower() == q.answer.lower() or not choice.strip():
                continue
            judge("swapped", swap(own, q.answer, choice), text)
        evidence = evidence_sentence(q.evidence, q.answer) if q.evidence else ""
        if evidence:
            judge("evidence", evidence, text)
            others = [p for p in passages if not contains_answer(p.chunk.text, q.answer)]
            if others:
                judge("evidence, other passage", evidence, others[0].chunk.text)
    return out, usable


def summarise(results: Sequence[Trial]) -> list[dict]:
    """Accept rates by kind, overall and for names and numbers."""
    rows = []
    for kind in KINDS:
        for group in ("", "names", "numbers"):
            chosen = [t for t in results if t.kind == kind and (not group or t.group == group)]
            if chosen:
                rows.append({"kind": kind, "group": group or "all", "claims": len(chosen),
                             "accepted": sum(t.accepted for t in chosen),
                             "rate": sum(t.accepted for t in chosen) / len(chosen),
                             "target": TARGETS.get((kind, group), "")})
    return rows


_WHY = (("does not name", "names what the passage does not"), ("where this says", "swaps a name or figure"),
        ("quotation", "misquotes"), ("holds what this names", "names things no sentence holds together"),
        ("does not say this", "too far from every sentence"))


def reasons(results: Sequence[Trial], kind: str) -> dict[str, int]:
    """Why claims of one kind were rejected, by the verifier's reason."""
    out: dict[str, int] = {}
    for t in results:
        if t.kind == kind and not t.accepted:
            label = next((label for key, label in _WHY if key in t.reason), t.reason or "other")
            out[label] = out.get(label, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def table(rows: Sequence[dict]) -> str:
    lines = ["| claim | answer | claims | accepted | target |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['kind']} | {r['group']} | {r['claims']} | {100 * r['rate']:.1f}% | {r['target']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m rag.bench verify", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_arguments(p)
    p.add_argument("--limit", type=int, help="only the first N questions (after --weeks)")
    add_weeks_argument(p)
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.add_argument("--show", type=int, default=0, help="also print N wrong verdicts of each kind")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not_files(args.articles, args.questions):
        return 1
    service = open_index(args.data_dir)
    settings = service.settings
    if not (settings.data_dir / "manifest.json").is_file():
        print(f"error: no bench index in {settings.data_dir}; build it first with "
              f"`python -m rag.bench --articles {args.articles} --questions {args.questions} "
              f"--data-dir {args.data_dir} --retrieval-only`", file=sys.stderr)
        return 1
    questions = weeks(load_questions(args.questions), args.weeks)
    if args.limit:
        questions = questions[:args.limit]
    results, usable = trials(questions, lambda q: service.search(q.question, Filters(as_of=q.asked), k=K),
                             Verifier(service.embeddings))
    rows = summarise(results)
    if args.json:
        print(json.dumps({"questions": len(questions), "answer_retrieved": usable, "rows": rows,
                          "rejected": {k: reasons(results, k) for k in KINDS}}, indent=2))
    else:
        print(f"{len(questions)} questions ({args.weeks}), {usable} with the answer in a retrieved passage\n")
        print(table(rows))
        for kind in ("evidence", "swapped"):
            why = reasons(results, kind)
            if why:
                print(f"\n{kind} rejected: " + ", ".join(f"{label} {n}" for label, n in why.items()))
    for kind, want in (("own", True), ("swapped", False), ("evidence", True), ("evidence, other passage", False)):
        wrong = [t for t in results if t.kind == kind and t.accepted != want][:args.show]
        for t in wrong:
            print(f"\n[{kind}, {'accepted' if t.accepted else 'rejected'}] {t.question}: {t.claim}\n    {t.reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
