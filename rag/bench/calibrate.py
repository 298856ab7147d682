"""`python -m rag.bench.calibrate`: derive the refusal and verification thresholds from the bench data.

    python -m rag.bench.calibrate --articles ARTICLES.jsonl.gz --questions QUESTIONS.jsonl \
        [--answerable ANSWERABLE.json] [--data-dir DIR]

Uses the index `python -m rag.bench` built in DIR. Both calibrations are over the whole
question set, never single questions:

- refusal (MIN_EVIDENCE): the best answer-sentence score of questions whose answer is in
  the retrieved passages (should be answered) against questions asked with ``as_of`` moved
  120 days back, when no article then published contains the answer (should be refused),
  printed as a curve over thresholds for alternate weeks (choose on one, check on the other);
- bold answers: for bars on the answer judge's likeliest candidate, how many questions would get it
  in bold and how often it is the answer, by half of the weeks (the bar is chosen on the training
  weeks; this shows what moving it would cost here, and the most any bar could give: the 0 row);
- verification (rag/answer/verify.py): each question's ``evidence`` sentence, written by the quiz's
  own source, checked against the best retrieved passage that contains the answer (a
  supported paraphrase) and against the best one that does not (unsupported).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import NamedTuple

from ..answer.extractive import MISSING_NAME_EVIDENCE, best_match, weak_evidence
from ..answer.context import Numbered, PassageBook
from ..core.text import split_sentences
from ..core.types import Filters
from ..answer.verify import Verifier
from .data import SHIFT, before_its_story, contains_answer, load_ids, load_questions, published_texts
from .data import weeks as halves
from .index import add_data_arguments, not_files, open_index

THRESHOLDS = [round(0.40 + 0.05 * i, 2) for i in range(9)]  # 0.40 .. 0.80
LEARNED_THRESHOLDS = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]  # the answer judge's probability
# The likeliest candidate's probability; 0 is every factoid question's likeliest, the most a bar could give.
BOLD_THRESHOLDS = [0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]


class Reading(NamedTuple):
    """A question read once as answering reads it."""

    score: float  # the best sentence's match (the hand-set floor's score, :func:`best_match`)
    missing: bool  # a name the question gives is in no passage
    passages: list
    answers: float  # the answer judge's probability that the passages answer it (1.0 without the models)
    likeliest: tuple[float, str] | None  # the judge's likeliest candidate: (its probability, its text); factoid only


def _read(service, question: str, as_of: date) -> Reading:
    """A question asked as of ``as_of``, read as answering reads it (rag.learn.answers.read) and judged."""
    from ..learn.answers import read

    r = read(service, question, as_of)
    return Reading(best_match(r.sentences), r.missing > 0, r.passages, *_learned(service, question, r))


def _learned(service, question: str, r) -> tuple[float, tuple[float, str] | None]:
    """The answer judge's probability that the passages of a reading answer the question, and its
    likeliest candidate with that candidate's probability (None for a question without candidates)."""
    judge = service.answering.judge
    if judge is None or not judge.available():
        return 1.0, None
    if not r.qtype.factoid:  # the refusal model's when it learned from such questions, else the floor's 0 or 1
        p = judge.answered(question, r.qtype, r.sentences, r.passages, r.missing, r.names, r.window)
        if p is not None:
            return p, None
        return float(not weak_evidence(best_match(r.sentences), False, bool(r.missing),
                                       service.settings.min_evidence)), None
    judged = judge.judge(question, r.qtype, r.shorts, r.sentences, r.passages, r.missing, r.names, r.window,
                         service.embeddings)
    if judged is None:
        return 1.0, None
    if not judged.probabilities:
        return judged.answers, None
    best = max(range(len(judged.probabilities)), key=lambda i: (judged.probabilities[i], -i))
    return judged.answers, (judged.probabilities[best], r.shorts[best].text)


def calibrate_refusal(service, questions, articles: Path, progress=lambda *a: None,
                      answerable: set[str] | None = None) -> dict:
    """The refusal curve: for each threshold, the share of answerable questions refused (false
    refusals) and of unanswerable ones refused, on alternate weeks (even, odd) and on all; and the
    same for the answer judge's probability (ANSWER_MODEL=builtin), on each half of the weeks.

    Also the bold curve: for each bar on the judge's likeliest candidate, how many questions it would
    be stated for in bold and how often it is the answer (the bench's rule), on each half, over all
    questions and over the ``answerable`` ones (the ids given, else those whose passages hold the answer)."""
    texts = published_texts(articles)
    weeks = {d: i % 2 for i, d in enumerate(sorted({q.asked for q in questions}))}
    second = set(q.id for q in halves(questions, "second-half"))
    pos: list[tuple[int, float, bool, float, int]] = []  # (week parity, best sentence, a name missing, p, half)
    neg: list[tuple[int, float, bool, float, int]] = []
    bold: list[tuple[int, bool, float | None, bool]] = []  # (half, answerable, likeliest's p, it is the answer)
    for i, q in enumerate(questions, start=1):
        half = int(q.id in second)
        r = _read(service, q.question, q.asked)
        held = any(contains_answer(x.chunk.text, q.answer) for x in r.passages)
        if held:
            pos.append((weeks[q.asked], r.score, r.missing, r.answers, half))
        likeliest = r.likeliest or (None, "")
        bold.append((half, q.id in answerable if answerable is not None else held, likeliest[0],
                     bool(likeliest[1]) and contains_answer(likeliest[1], q.answer)))
        earlier = q.asked - SHIFT
        if q.asked >= date(2023, 4, 1) and before_its_story(q, texts):
            e = _read(service, q.question, earlier)
            neg.append((weeks[q.asked], e.score, e.missing, e.answers, half))
        progress("questions", i, len(questions))
    if not pos or not neg:
        return {"answerable": len(pos), "unanswerable": len(neg), "note": "too few questions to calibrate"}

    def rates(refused, part: int | None) -> dict:
        p = [r for r in pos if part is None or r[0] == part]
        n = [r for r in neg if part is None or r[0] == part]
        return {"false_refusals": sum(map(refused, p)) / max(1, len(p)),
                "unanswerable_refused": sum(map(refused, n)) / max(1, len(n)), "answerable": len(p),
                "unanswerable": len(n)}

    def row(t: float, refused) -> dict:
        return {"threshold": t, "even_weeks": rates(refused, 0), "odd_weeks": rates(refused, 1),
                "all": rates(refused, None)}

    def learned_rates(t: float, half: int | None) -> dict:
        p = [r for r in pos if half is None or r[4] == half]
        n = [r for r in neg if half is None or r[4] == half]
        return {"false_refusals": sum(r[3] < t for r in p) / max(1, len(p)),
                "unanswerable_refused": sum(r[3] < t for r in n) / max(1, len(n)), "answerable": len(p),
                "unanswerable": len(n)}

    judge = service.answering.judge
    chosen = judge.refuse if judge is not None and judge.available() else None
    # The model's own threshold exactly as answering compares with it (rounded, a row could refuse otherwise).
    grid = sorted({*LEARNED_THRESHOLDS, *([float(chosen)] if chosen is not None else [])})
    learned = [{"threshold": t, "chosen": chosen is not None and t == float(chosen),
                "first_half": learned_rates(t, 0), "second_half": learned_rates(t, 1), "all": learned_rates(t, None)}
               for t in grid] if chosen is not None else []
    floor = service.settings.min_evidence
    curve = [row(t, lambda r, t=t: r[1] < t) for t in THRESHOLDS]
    # The second signal: a name the question gives that no passage mentions, below a higher bar.
    names = [row(t, lambda r, t=t: r[1] < floor or (r[2] and r[1] < t)) for t in THRESHOLDS if t >= floor]
    return {"answerable": len(pos), "unanswerable": len(neg), "min_evidence": floor,
            "missing_name_evidence": MISSING_NAME_EVIDENCE, "curve": curve, "missing_name_curve": names,
            "learned": learned, "learned_threshold": chosen, "bold": bold_curve(bold, judge),
            "bold_threshold": judge.bold if judge is not None and judge.available() else None}


def bold_curve(rows: list[tuple[int, bool, float | None, bool]], judge) -> list[dict]:
    """For each bar on the likeliest candidate's probability: how many questions there are, for how many it
    would be stated in bold and for how many of those it is the answer, by half (first, second, both) and
    subset (all, answerable)."""
    if judge is None or not judge.available():
        return []
    chosen = float(judge.bold)  # exactly as answering compares (rounded, a bar could count a question it does not)
    out = []
    for t in sorted({*BOLD_THRESHOLDS, chosen}):
        row: dict = {"threshold": t, "chosen": t == chosen}
        for half, label in ((0, "first_half"), (1, "second_half"), (None, "all_weeks")):
            for subset in ("all", "answerable"):
                group = [r for r in rows if (half is None or r[0] == half) and (subset == "all" or r[1])]
                given = [r for r in group if r[2] is not None and r[2] >= t]
                row[f"{label}_{subset}"] = {"questions": len(group), "given": len(given),
                                            "right": sum(r[3] for r in given)}
        out.append(row)
    return out


def bold_table(result: dict) -> str:
    def cell(c: dict) -> str:
        if not c["questions"]:
            return "n/a"
        return f"{100 * c['given'] / c['questions']:.1f}% ({100 * c['right'] / max(1, c['given']):.1f}%)"

    lines = ["| likeliest candidate at or above | answerable: bold given (right) first / second half | "
             "all questions: first / second half |", "|---|---|---|"]
    for row in result.get("bold", []):
        ans = " / ".join(cell(row[f"{h}_answerable"]) for h in ("first_half", "second_half"))
        every = " / ".join(cell(row[f"{h}_all"]) for h in ("first_half", "second_half"))
        lines.append(f"| {row['threshold']:.3f}{' (the model)' if row['chosen'] else ''} | {ans} | {every} |")
    return "\n".join(lines)


def learned_table(result: dict) -> str:
    lines = ["| answer probability under | false refusals first / second / all | asked before their story: "
             "refused first / second / all |", "|---|---|---|"]
    for row in result.get("learned", []):
        fr = " / ".join(f"{100 * row[k]['false_refusals']:.1f}%" for k in ("first_half", "second_half", "all"))
        tr = " / ".join(f"{100 * row[k]['unanswerable_refused']:.1f}%" if row[k]["unanswerable"] else "n/a"
                        for k in ("first_half", "second_half", "all"))
        lines.append(f"| {row['threshold']:.3f}{' (the model)' if row['chosen'] else ''} | {fr} | {tr} |")
    return "\n".join(lines)


def refusal_table(result: dict, key: str = "curve", label: str = "MIN_EVIDENCE") -> str:
    lines = [f"| {label} | false refusals even / odd / all | unanswerable refused even / odd / all |",
             "|---|---|---|"]
    for row in result.get(key, []):
        fr = " / ".join(f"{100 * row[k]['false_refusals']:.1f}%" for k in ("even_weeks", "odd_weeks", "all"))
        tr = " / ".join(f"{100 * row[k]['unanswerable_refused']:.1f}%" for k in ("even_weeks", "odd_weeks", "all"))
        lines.append(f"| {row['threshold']:.2f} | {fr} | {tr} |")
    return "\n".join(lines)


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
    add_data_arguments(p)
    p.add_argument("--answerable", type=Path, help="answerable.json: the bold curve's answerable subset "
                   "(default: the questions whose passages hold the answer)")
    p.add_argument("--limit", type=int, help="use about N questions, spread over the whole set")
    p.add_argument("--json", action="store_true", help="print everything as JSON")
    args = p.parse_args(argv)
    if not_files(args.articles, args.questions, args.answerable):
        return 1
    service = open_index(args.data_dir)
    questions = load_questions(args.questions)
    if args.limit:
        questions = questions[::max(1, len(questions) // args.limit)]
    from ..cli import TerminalProgress

    answerable = load_ids(args.answerable) if args.answerable else None
    refusal = calibrate_refusal(service, questions, args.articles, TerminalProgress(), answerable)
    if args.json:
        print(json.dumps({"refusal": refusal, "verifier": calibrate_verifier(service, questions)}, indent=2))
        return 0
    print(f"Refusals: {refusal['answerable']} answerable questions (the answer is in the retrieved passages), "
          f"{refusal['unanswerable']} unanswerable ones (asked {SHIFT.days} days before any article held the answer)")
    print("\nRefused when the best sentence scores under MIN_EVIDENCE:")
    print(refusal_table(refusal))
    print(f"\nRefused under MIN_EVIDENCE = {refusal['min_evidence']}, or when a name the question gives is in no "
          f"passage and the best sentence scores under the threshold (MISSING_NAME_EVIDENCE, now "
          f"{refusal['missing_name_evidence']}):")
    print(refusal_table(refusal, "missing_name_curve", "MISSING_NAME_EVIDENCE"))
    if refusal.get("learned"):
        print(f"\nRefused by the answer judge (ANSWER_MODEL=builtin) when the probability that the passages "
              f"answer is under the threshold; the model's is {refusal['learned_threshold']:.3f}, chosen on the "
              f"training weeks (halves of the weeks by asking date; questions asked before their story exist "
              f"only where the corpus reaches {SHIFT.days} days back):")
        print(learned_table(refusal))
    if refusal.get("bold"):
        subset = "in answerable.json" if answerable is not None else "whose passages hold the answer"
        print(f"\nBold answers (ANSWER_MODEL=builtin): the judge's likeliest candidate stated in bold when its "
              f"probability is at or above the bar (the model's is {refusal['bold_threshold']:.3f}, chosen on the "
              f"training weeks for 80% right), and how often it is the answer; answerable = the questions {subset}:")
        print(bold_table(refusal))
    print(json.dumps({"verifier": calibrate_verifier(service, questions)}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
