"""What the learned ranking stage knows of a candidate passage: one row of numbers per passage.

The same function serves training (``rag.learn`` records these rows for the training weeks'
candidates) and answering (``rag.search.rerank`` scores them), so a model never sees a feature
computed one way in training and another way in use. Every feature is cheap: it reads the
scores fusion already computed, the passage's metadata and a few word sets; the cross-encoder's
score, when there is one, is added by the caller.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from ..core import extract
from ..core.mentions import Name, dates, names, numbers
from ..core.terms import terms
from ..core.text import split_sentences
from ..core.types import Passage

# The order of the columns; a model records the names it was trained on and is refused when they
# differ (rag.search.rerank).
NAMES = (
    "fused_rank",  # log(1 + position in the fused order)
    "fused_score",  # the fused score over the best one's
    "dense",  # cosine similarity of the chunk (with its title) to the question
    "dense_gap",  # that similarity less the best candidate's
    "dense_rank",  # log(1 + rank by similarity among the candidates)
    "bm25",  # BM25 score over the best candidate's (0 when BM25 did not find it)
    "bm25_found",  # 1 when BM25 found it among its candidates
    "bm25_rank",  # log(1 + rank by BM25 among the candidates)
    "age",  # log(1 + days between publication and the question's latest date); 0 undated
    "undated",
    "in_window",  # published inside the date window the question asks about
    "has_window",
    "ordinal",  # log(1 + the chunk's position in its article)
    "title_overlap",  # share of the question's terms in the headline
    "text_overlap",  # share of the question's terms in the chunk
    "idf_overlap",  # the same, each term weighted by its rarity among the candidates
    "names",  # share of the question's names (rag.core.mentions) the chunk or headline gives, or their last word
    "numbers",  # share of the question's numbers and dates (as written) the chunk or headline holds
    "outlets",  # log(1 + other outlets that ran the story)
    "article_rank",  # log(1 + passages of the same article ranked above this one)
    "question_terms",  # log(1 + the question's term count)
    "best_sentence",  # share of the question's terms in the chunk's sentence that has most of them
    "second_sentence",  # ... in the sentence with the next most
    "slots",  # log(1 + candidates of the kind the question asks for, in sentences sharing its words)
    "slot_in_best",  # 1 when the best sentence holds such a candidate
    "slot_near_best",  # 1 when it or a sentence next to it does
    "asks_number",  # what the question asks for (rag.core.extract): a number, a date, a name, an X
    "asks_date",
    "asks_name",
    "asks_thing",
)

@dataclass(frozen=True)
class Context:
    """What the ranking knows of the question besides its words."""

    question: str
    latest: date | None = None  # the question's latest date (as_of, or the end of its window)
    window: tuple[date | None, date] | None = None  # (since, until) the question's time words ask about


def question_names(question: str) -> list[Name]:
    """The names a question gives ("Jacinda Ardern", "New Zealand"), as the mention reader reads them."""
    return [n for n in names(question) if n.parts and not n.title_only]


_WORDS = re.compile(r"[\w'’]+")
_POSSESSIVE = re.compile(r"['’](?:s\b)?|,")


def _flat(text: str) -> str:
    """A text's words as name parts are compared (lower case, no dots, no possessive: rag.core.words.key),
    space-separated: a quick stand-in for mentions.Found on the 30 to 50 passages a question ranks."""
    return " " + " ".join(_POSSESSIVE.sub("", w) for w in _WORDS.findall(text.lower().replace(".", ""))) + " "


def _names_in(flat: str, parts: Sequence[str]) -> bool:
    """A question's name in a passage: all its words in order, or its last word (a surname, "Ardern")."""
    return f" {' '.join(parts)} " in flat or (len(parts) > 1 and f" {parts[-1]} " in flat)


def _rank(values: np.ndarray, descending: bool = True) -> np.ndarray:
    order = np.argsort(-values if descending else values, kind="stable")
    ranks = np.empty(len(values), dtype=np.float32)
    ranks[order] = np.arange(len(values), dtype=np.float32)
    return ranks


def features(context: Context, passages: Sequence[Passage]) -> np.ndarray:
    """One row of :data:`NAMES` per passage, in the order given (the fused order)."""
    n = len(passages)
    out = np.zeros((n, len(NAMES)), dtype=np.float32)
    if not n:
        return out
    col = {name: i for i, name in enumerate(NAMES)}
    qterms = set(terms([context.question])[0])
    # Each chunk's sentences, and their terms in one call (the tokenizer's overhead is per call);
    # a chunk's terms are its sentences'.
    sentences = [[p.chunk.text[a:b] for a, b in split_sentences(p.chunk.text)] or [p.chunk.text] for p in passages]
    shared = terms([x for ss in sentences for x in ss] + [p.chunk.title or "" for p in passages])
    sentence_terms, k = [], 0
    for ss in sentences:
        sentence_terms.append([set(t) for t in shared[k:k + len(ss)]])
        k += len(ss)
    chunk_terms = [set().union(*st) for st in sentence_terms]
    title_terms = [set(t) for t in shared[k:]]
    df = {t: sum(t in ct or t in tt for ct, tt in zip(chunk_terms, title_terms)) for t in qterms}
    idf = {t: math.log(1 + n / (1 + df[t])) for t in qterms}
    # Sums in a fixed order (sets iterate in an order that changes between runs): the same rows every run.
    idf_total = sum(idf[t] for t in sorted(qterms)) or 1.0
    given = question_names(context.question)
    figures = [*numbers(context.question), *dates(context.question)]

    _score_columns(passages, out, col)
    out[:, col["has_window"]] = context.window is not None
    out[:, col["question_terms"]] = math.log1p(len(qterms))
    seen: dict[str, int] = {}
    for i, p in enumerate(passages):
        c = p.chunk
        row = out[i]
        if c.published is None:
            row[col["undated"]] = 1.0
        elif context.latest is not None:
            row[col["age"]] = math.log1p(max(0, (context.latest - c.published).days))
        if context.window is not None and c.published is not None:
            since, until = context.window
            row[col["in_window"]] = (since is None or since <= c.published) and c.published <= until
        row[col["ordinal"]] = math.log1p(c.ordinal)
        if qterms:
            row[col["title_overlap"]] = len(qterms & title_terms[i]) / len(qterms)
            row[col["text_overlap"]] = len(qterms & chunk_terms[i]) / len(qterms)
            row[col["idf_overlap"]] = sum(idf[t] for t in sorted(qterms & (chunk_terms[i] | title_terms[i]))) / idf_total
        if given:
            flat = _flat(f"{c.title}\n{c.text}")
            row[col["names"]] = sum(_names_in(flat, n.parts) for n in given) / len(given)
        if figures:
            hay = f"{c.title}\n{c.text}".lower()
            row[col["numbers"]] = sum(m.text.lower() in hay for m in figures) / len(figures)
        row[col["outlets"]] = math.log1p(len(p.outlets))
        row[col["article_rank"]] = math.log1p(seen.get(c.article_id, 0))
        seen[c.article_id] = seen.get(c.article_id, 0) + 1
    _sentence_features(context.question, sentences, sentence_terms, out, col)
    return out


def _score_columns(passages: Sequence[Passage], out: np.ndarray, col: dict[str, int]) -> None:
    """The columns read from the scores fusion computed: fused, dense and BM25, with their ranks."""
    scores = np.array([p.score for p in passages], dtype=np.float32)
    dense = np.array([p.dense if p.dense is not None else 0.0 for p in passages], dtype=np.float32)
    bm25 = np.array([p.lexical if p.lexical is not None else 0.0 for p in passages], dtype=np.float32)
    out[:, col["fused_rank"]] = np.log1p(np.arange(len(passages), dtype=np.float32))
    out[:, col["fused_score"]] = scores / max(float(scores.max()), 1e-9)
    out[:, col["dense"]] = dense
    out[:, col["dense_gap"]] = dense - dense.max()
    out[:, col["dense_rank"]] = np.log1p(_rank(dense))
    out[:, col["bm25"]] = bm25 / max(float(bm25.max()), 1e-9)
    out[:, col["bm25_found"]] = [p.lexical is not None for p in passages]
    out[:, col["bm25_rank"]] = np.log1p(_rank(bm25))


def _sentence_features(question: str, sentences: list[list[str]], sentence_terms: list[list[set[str]]],
                       out: np.ndarray, col: dict[str, int]) -> None:
    """The columns read sentence by sentence: how much of the question one sentence holds, and
    whether candidates of the kind the question asks for stand in or next to it."""
    qtype = extract.analyse(question)
    kinds = extract.kinds_for(qtype)
    wanted = extract.asked_terms(question)
    asked = set(extract.key(question).split())
    for name, kind in (("asks_number", extract.NUMBER), ("asks_date", extract.DATE), ("asks_name", extract.NAME),
                       ("asks_thing", extract.THING)):
        out[:, col[name]] = qtype.factoid and qtype.kind == kind
    for i, ss in enumerate(sentences):
        share = np.array([len(wanted & t) / max(1, len(wanted)) for t in sentence_terms[i]])
        order = np.argsort(-share, kind="stable")
        best = int(order[0])
        out[i, col["best_sentence"]] = share[best]
        out[i, col["second_sentence"]] = share[order[1]] if len(ss) > 1 else 0.0
        if not qtype.factoid:
            continue
        slots = in_best = near = 0
        for j, sentence in enumerate(ss):
            if share[j] == 0 and abs(j - best) > 1:
                continue
            found = sum(1 for span in extract.spans(sentence, qtype.focus, kinds)
                        if extract.fits(span, qtype) and not set(extract.key(span.text).split()) <= asked)
            slots += found if share[j] > 0 else 0
            in_best += found if j == best else 0
            near += found if abs(j - best) <= 1 else 0
        out[i, col["slots"]] = math.log1p(slots)
        out[i, col["slot_in_best"]] = in_best > 0
        out[i, col["slot_near_best"]] = near > 0


# Columns the cross-encoder adds when the model has one, after NAMES.
CROSSENCODER_NAMES = (
    "ce",  # the cross-encoder's logit
    "ce_gap",  # that logit less the best candidate's
    "ce_rank",  # log(1 + rank by the logit among the candidates)
)


def with_crossencoder(x: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """The feature rows with the :data:`CROSSENCODER_NAMES` columns of ``logits`` appended."""
    logits = np.asarray(logits, dtype=np.float32).reshape(-1)
    if not len(logits):
        return np.zeros((0, x.shape[1] + len(CROSSENCODER_NAMES)), dtype=np.float32)
    extra = np.stack([logits, logits - logits.max(), np.log1p(_rank(logits))], axis=1)
    return np.hstack([x, extra]).astype(np.float32)


def passage_text(question: str, text: str, window: int) -> str:
    """What the cross-encoder reads of a passage (``text`` = its headline, a newline, the chunk):
    all of it, or with ``window`` > 0 the headline and the chunk's sentences sharing most words with
    the question, in their order, within ``window`` characters."""
    if window <= 0 or len(text) <= window:
        return text
    title, _, body = text.partition("\n")
    spans = split_sentences(body)
    if not spans:
        return text[:window]
    sentences = [body[s:e] for s, e in spans]
    qterms = set(terms([question])[0])
    shared = [len(qterms & set(t)) for t in terms(sentences)]
    room = window - len(title) - 1
    keep: list[int] = []
    for i in sorted(range(len(sentences)), key=lambda i: (-shared[i], i)):
        if len(sentences[i]) + 1 > room and keep:
            continue
        keep.append(i)
        room -= len(sentences[i]) + 1
        if room <= 20:
            break
    return f"{title}\n" + " ".join(sentences[i] for i in sorted(keep))
