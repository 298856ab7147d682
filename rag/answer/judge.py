"""Learned judgement of extractive answers: which candidate answers the question, and whether any does.

Three small models trained on 133 weeks of news and quiz questions (``python -m rag.learn answers``)
read what the pipeline already knows:

- the **candidate model** scores each short answer the passages offer (rag.answer.shorts) from its
  hand-set score and rank, how many articles and outlets give it, how well its best sentence
  matches the question and how close it stands to the question's words there, whether the
  headline names it, what kind it is against what the question asks for, the rank of its passage,
  how far behind the best candidate it is on each of those, and how it reads in its sentence by
  meaning (the question against the sentence with the question word in its place, the question
  restated with it as the answer against the sentence): the probability that it is the answer;
- the **refusal model** judges the question from the best sentence's match, the ranking stage's
  view of the passages, the names, words and figures of the question no passage gives and the best
  candidate's probability: the probability that the passages answer it at all;
- the **sentence model** scores the best sentences by their hand-set score and its parts, their
  article's headline and place, their neighbours in the passage, the candidates of the kind asked for
  they hold and the candidate model's probabilities of the judged ones they give: the probability that a sentence gives the
  answer, by which the answer chooses what to quote when it names no answer in bold.

The same functions make the rows in training and in use; the models (LightGBM, a few hundred
kilobytes) and the thresholds chosen on the training weeks are in ``rag/models/answers``.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import NamedTuple

import numpy as np
from langchain_core.embeddings import Embeddings

from ..core import extract, mentions
from ..core.errors import ConfigError
from ..core.sentences import SENTENCE
from ..core.terms import terms
from ..core.types import Passage
from .shorts import QUESTION, Candidate, Short, backing, distance, in_window, stemmed_words, term_positions

log = logging.getLogger(__name__)

CANDIDATES_JUDGED = 10  # the hand-set order's best candidates the model scores

CANDIDATE_FEATURES = (
    "score",  # the hand-set score (rag.answer.shorts), log
    "score_share",  # ... over the best candidate's
    "score_next",  # ... over the next candidate's (for the last, over the floor)
    "rank",  # log(1 + its place in the hand-set order)
    "articles",  # log(1 + articles that give it)
    "outlets",  # log(1 + outlets that give it or ran the story)
    "backing",  # how well the sentence that backs it best matches the question
    "support",  # its best occurrence's support
    "distance",  # log(1 + words between it and the nearest question word in its best sentence)
    "in_headline",  # a headline of its articles names it
    "in_window",  # an article dated inside the question's date window gives it
    "words",  # log(1 + its words)
    "passage_rank",  # log(1 + the rank of the passage of its best occurrence)
    "line",  # its best occurrence is a short line (a list under a heading), not prose
    "asked_in_article",  # its best occurrence is a question the article asks
    "person",  # the question asks "who" and it is shaped like a person's name
    "type_fit",  # how well it fits the question's X ("which country"), when checked
    "span_number", "span_date", "span_name", "span_thing",  # what it is
    "asks_number", "asks_date", "asks_name", "asks_thing",  # what the question asks for
    "candidates",  # log(1 + candidates in all)
    # Where it stands and what surrounds it:
    "left_overlap",  # share of the question's words among the NEAR_WORDS words before it in its best sentence
    "right_overlap",  # ... and after it
    "near_overlap",  # the two together
    "mentions",  # log(1 + times the passages mention it)
    "in_top_passages",  # one of the TOP_PASSAGES best passages mentions it
    "in_best_sentence",  # the sentence that matches the question best mentions it
    "ordinal",  # log(1 + the place in its article of the passage of its best occurrence)
    "prose_articles",  # log(1 + articles that give it in a sentence of prose)
    # How far behind the best of the judged candidates it is (0 for the best):
    "backing_behind", "support_behind", "articles_behind", "outlets_behind", "near_overlap_behind",
    "mentions_behind",
    # By meaning (the embedding model), so that a candidate is read in its sentence, not only counted:
    "masked_similarity",  # the question against its context with the question word in its place
    "restated_similarity",  # the question restated with it as the answer (extract.restate) against its sentence
    "masked_behind", "restated_behind",
)
NEAR_WORDS = 6
CONTEXT_WORDS = 10  # of each side of a candidate, for masked_similarity
TOP_PASSAGES = 3

QUESTION_FEATURES = (
    "best_sentence",  # the best quotable sentence's score, without recency
    "second_sentence",  # the next one's
    "best_overlap",  # the share of the question's words in that sentence
    "top_dense",  # the best passage's cosine similarity to the question
    "top_lexical",  # 1 when BM25 found the best passage
    "missing_names",  # names of the question no passage mentions
    "names",  # names the question gives
    "best_probability",  # the candidate model's best probability (0 when it judged none)
    "probability_gap",  # the best probability less the second's
    "candidates",  # log(1 + candidates)
    "factoid",  # the question asks for a name, a date, a number or an X
    "asks_number", "asks_date", "asks_name", "asks_thing",
    "has_window",  # the question names a time ("this week")
    "in_window_share",  # share of the passages dated in that window
    # How much of the question the passages tell: a story that is not in the corpus leaves its own words
    # and figures out, while an older story on the same subject gives the rest.
    "terms",  # log(1 + the question's search terms)
    "terms_missing",  # share of them that no passage (headline or text) has
    "top_coverage",  # share of them in the best passage
    "best_coverage",  # the best share among the TOP_PASSAGES best passages
    "numbers",  # figures the question gives
    "numbers_missing",  # ... that no passage gives
)

SENTENCES_JUDGED = 20  # the hand-set order's best sentences the sentence model scores

SENTENCE_FEATURES = (
    "score",  # the hand-set score (rag.answer.extractive: similarity, word overlap, rank, recency)
    "score_share",  # ... over the best sentence's
    "rank",  # log(1 + its place in the hand-set order)
    "overlap",  # the share of the question's terms it has
    "title_overlap",  # ... its article's headline has
    "recency",  # the part of its score that is its article's age
    "passage_rank",  # log(1 + the rank of its passage)
    "ordinal",  # log(1 + the place of its passage in its article)
    "place",  # where it starts in its passage (0 to 1)
    "chars",  # log(1 + its length)
    "in_window",  # its article is dated inside the question's date window
    "article_sentences",  # log(1 + the judged sentences of the same article)
    "fitting",  # log(1 + the candidates of the kind asked for it holds, judged or not)
    # Its neighbours, the sentences just before and after it in its passage:
    "neighbour_overlap",  # the best share of the question's terms they have
    "neighbour_rank",  # log(1 + the best place of theirs in the hand-set order)
    "next_to_best",  # one of them is the hand-set order's best sentence
    "factoid", "asks_number", "asks_date", "asks_name", "asks_thing",
    # From the judged candidates it gives, by the candidate model's probabilities:
    "candidates_held",  # how many
    "best_held",  # the best probability among them (0 for none)
    "held_sum",  # their sum
    "holds_likeliest",  # it gives the likeliest candidate
    "best_held_share",  # the best probability among them over the likeliest candidate's
)
SENTENCE_BASE = SENTENCE_FEATURES.index("candidates_held")  # the features read before the candidates are judged


@dataclass(frozen=True)
class Judged:
    """What the models said of one question."""

    probabilities: tuple[float, ...]  # of the judged candidates, in the hand-set order
    answers: float  # the probability that the passages answer the question
    sentences: tuple[float, ...] = ()  # that each of the first SENTENCES_JUDGED sentences gives the answer


def _kind(kind: str) -> list[float]:
    return [kind == extract.NUMBER, kind == extract.DATE, kind == extract.NAME, kind == extract.THING]


def candidate_rows(question: str, qtype: extract.QuestionType, shorts: Sequence[Short],
                   window: tuple[date | None, date] | None, passages: Sequence[Passage],
                   sentences: Sequence[Candidate], embeddings: Embeddings) -> np.ndarray:
    """One row of CANDIDATE_FEATURES for each of the first CANDIDATES_JUDGED candidates.

    No feature says how old a passage is: quiz questions are asked the week of their story, and a
    model that learned that would refuse or doubt a member asking about last year's article."""
    judged = list(shorts[:CANDIDATES_JUDGED])
    if not judged:
        return np.zeros((0, len(CANDIDATE_FEATURES)), dtype=np.float32)
    rows = []
    scores = [s.score for s in shorts]
    top = max(scores[0], 1e-9) if scores else 1.0
    asks = _kind(qtype.kind) if qtype.factoid else [0.0] * 4
    qterms = extract.asked_terms(question)
    # The passages and the best sentence as candidates are compared (extract.key), read once per question.
    keyed = [f" {extract.key(p.chunk.text)} " for p in passages]
    best_sentence = f" {extract.key(sentences[0].text)} " if sentences else ""
    firsts = []  # (text, best occurrence's sentence, its span) of each judged candidate
    for i, s in enumerate(judged):
        occurrences = s.occurrences()
        support, best, span = occurrences[0]
        firsts.append((s.text, best, span))
        own = [c.passage for _, c, _ in occurrences]  # the passages that give it
        outlets = {p.chunk.source for p in own} | {o for p in own for o in p.outlets}
        nxt = scores[i + 1] if i + 1 < len(scores) else 0.0
        head = any(f" {s.key} " in f" {extract.key(p.chunk.title)} " for p in own)
        words = stemmed_words(best.text)
        near = distance(best.text, span, term_positions(best.text, qterms, words))
        rows.append([
            math.log1p(s.score), s.score / top, s.score / max(nxt, 1e-3), math.log1p(i),
            math.log1p(len(s.best)), math.log1p(len(outlets)), backing(s), support, math.log1p(near),
            float(head), float(any(in_window(p, window) for p in own)), math.log1p(len(s.key.split())),
            math.log1p(best.rank), float(best.kind not in (SENTENCE, QUESTION)),
            float(best.kind == QUESTION), float(qtype.person and extract.person_like(s.text)), s.weight - 1.0,
            *_kind(span.kind), *asks, math.log1p(len(shorts)),
            *_surroundings(s, best, span, words, qterms, keyed, best_sentence),
        ])
    x = np.asarray(rows, dtype=np.float32)
    behind = [CANDIDATE_FEATURES.index(n) for n in ("backing", "support", "articles", "outlets", "near_overlap",
                                                    "mentions")]
    meaning = _meaning(question, qtype, firsts, embeddings)
    x = np.hstack([x, x[:, behind] - x[:, behind].max(axis=0), meaning, meaning - meaning.max(axis=0)])
    return x.astype(np.float32)


def _surroundings(short: Short, best: Candidate, span: extract.Span, words: list, qterms: set[str],
                  keyed: Sequence[str], best_sentence: str) -> list[float]:
    """The candidate features from "left_overlap" to "prose_articles" of one candidate, given its best
    occurrence (``best``, ``span``, the sentence's :func:`stemmed_words`), the passages' texts and the best
    sentence as candidates are compared (padded with a space)."""
    inside = [i for i, (m, _) in enumerate(words) if m.start() >= span.start and m.end() <= span.end + 1]
    left = right = 0.0
    if inside and qterms:
        before = {st for _, st in words[max(0, inside[0] - NEAR_WORDS):inside[0]] if st}
        after = {st for _, st in words[inside[-1] + 1:inside[-1] + 1 + NEAR_WORDS] if st}
        left, right = len(before & qterms) / len(qterms), len(after & qterms) / len(qterms)
    padded = f" {short.key} "
    count = sum(text.count(short.key) for text in keyed)
    top = any(padded in text for text in keyed[:TOP_PASSAGES])
    return [left, right, left + right, math.log1p(count), float(top), float(padded in best_sentence),
            math.log1p(best.passage.chunk.ordinal), math.log1p(len(short.prose))]


def _meaning(question: str, qtype: extract.QuestionType, firsts: Sequence[tuple[str, Candidate, extract.Span]],
             embeddings: Embeddings) -> np.ndarray:
    """(masked_similarity, restated_similarity) of each judged candidate, given as (its text, the sentence
    of its best occurrence, its span there): one batch of the embedding model."""
    wh = (qtype.wh or "what").lower()
    batch = [question]
    for text, best, span in firsts:
        left = best.text[:span.start].split()[-CONTEXT_WORDS:]
        right = best.text[span.end:].split()[:CONTEXT_WORDS]
        batch += [" ".join([*left, wh, *right]), extract.restate(question, text)]
    vectors = np.asarray(embeddings.embed_documents(batch), dtype=np.float32)
    masked = vectors[1::2] @ vectors[0]
    restated = np.asarray([float(best.vector @ v) if best.vector is not None else 0.0
                           for (_, best, _), v in zip(firsts, vectors[2::2])])
    return np.stack([masked, restated], axis=1)


def question_row(question: str, qtype: extract.QuestionType, sentences: Sequence[Candidate],
                 passages: Sequence[Passage], missing: int, names: int, probabilities: Sequence[float],
                 candidates: int, window: tuple[date | None, date] | None) -> np.ndarray:
    """The row of QUESTION_FEATURES for one question."""
    plain = sorted((c.score - c.recency for c in sentences), reverse=True)
    best = max(sentences, key=lambda c: c.score - c.recency, default=None)
    wanted = extract.asked_terms(question)
    overlap = (len(wanted & set(terms([best.text])[0])) / len(wanted)) if best is not None and wanted else 0.0
    top = passages[0] if passages else None
    probs = sorted(probabilities, reverse=True)
    dated = [p for p in passages if in_window(p, window)]
    row = [
        plain[0] if plain else 0.0, plain[1] if len(plain) > 1 else 0.0, overlap,
        (top.dense or 0.0) if top else 0.0, float(top is not None and top.lexical is not None),
        float(missing), float(names), probs[0] if probs else 0.0,
        (probs[0] - probs[1]) if len(probs) > 1 else (probs[0] if probs else 0.0),
        math.log1p(candidates), float(qtype.factoid), *(_kind(qtype.kind) if qtype.factoid else [0.0] * 4),
        float(window is not None), len(dated) / len(passages) if passages else 0.0,
        *_coverage(question, passages),
    ]
    return np.asarray([row], dtype=np.float32)


def _coverage(question: str, passages: Sequence[Passage]) -> list[float]:
    """The values of the question features from "terms" to "numbers_missing"."""
    asked = set(terms([question])[0])
    told = [set(terms([f"{p.chunk.title} {p.chunk.text}"])[0]) for p in passages]
    share = [len(asked & t) / len(asked) if asked else 0.0 for t in told]
    missing = len(asked - set().union(*told)) / len(asked) if asked else 0.0
    figures = {n.value for n in mentions.numbers(question) if n.value is not None}
    given = {n.value for p in passages for n in mentions.numbers(p.chunk.text)}
    return [math.log1p(len(asked)), missing, share[0] if share else 0.0, max(share[:TOP_PASSAGES], default=0.0),
            float(len(figures)), float(len(figures - given))]


def sentence_base(question: str, qtype: extract.QuestionType, sentences: Sequence[Candidate],
                  shorts: Sequence[Short], window: tuple[date | None, date] | None) -> tuple[np.ndarray, np.ndarray]:
    """The features of the first SENTENCES_JUDGED sentences read before the candidates are judged (up to
    "candidates_held"), and which of the judged candidates each gives ((n, CANDIDATES_JUDGED), 0 or 1)."""
    judged = sentences[:SENTENCES_JUDGED]
    base = np.zeros((len(judged), SENTENCE_BASE), dtype=np.float32)
    holds = np.zeros((len(judged), CANDIDATES_JUDGED), dtype=np.float32)
    if not judged:
        return base, holds
    asked = set(terms([question])[0])
    # A sentence's share of the question's terms is its scored ``overlap``; a headline's is read once per article.
    titles = {c.passage.chunk.article_id: c.passage.chunk.title for c in judged}
    headline = {aid: len(asked & set(t)) / len(asked) if asked else 0.0
                for aid, t in zip(titles, terms(list(titles.values())))}
    keys = [f" {s.key} " for s in shorts[:CANDIDATES_JUDGED]]
    kinds = extract.kinds_for(qtype)
    per_article = Counter(c.passage.chunk.article_id for c in judged)
    neighbours = _neighbours(sentences, len(judged))
    top = max(judged[0].score, 1e-6)
    asks = _kind(qtype.kind) if qtype.factoid else [0.0] * 4
    for i, c in enumerate(judged):
        chunk = c.passage.chunk
        fitting = sum(extract.fits(sp, qtype) for sp in extract.spans(c.text, qtype.focus, kinds)) if qtype.factoid else 0
        base[i] = [c.score, c.score / top, math.log1p(i), c.overlap, headline[chunk.article_id], c.recency,
                   math.log1p(c.rank),
                   math.log1p(chunk.ordinal), c.start / max(1, len(chunk.text)), math.log1p(len(c.text)),
                   float(in_window(c.passage, window)), math.log1p(per_article[chunk.article_id]),
                   math.log1p(fitting),
                   max((sentences[j].overlap for j in neighbours[i]), default=0.0),
                   math.log1p(min(neighbours[i], default=len(sentences))), float(0 in neighbours[i]),
                   float(qtype.factoid), *asks]
        keyed = f" {extract.key(c.text)} "
        holds[i, :len(keys)] = [k in keyed for k in keys]
    return base, holds


def _neighbours(sentences: Sequence[Candidate], first: int) -> list[tuple[int, ...]]:
    """For each of the ``first`` sentences, the places in ``sentences`` of the sentences just before and
    after it in its passage (of those ``sentences`` holds)."""
    order = sorted(range(len(sentences)), key=lambda j: (sentences[j].passage.chunk.id, sentences[j].start))
    before, after = {}, {}
    for a, b in zip(order, order[1:]):
        if sentences[a].passage.chunk.id == sentences[b].passage.chunk.id:
            after[a], before[b] = b, a
    return [tuple(j for j in (before.get(i), after.get(i)) if j is not None) for i in range(min(first, len(sentences)))]


def sentence_rows(base: np.ndarray, holds: np.ndarray, probabilities: Sequence[float]) -> np.ndarray:
    """Rows of SENTENCE_FEATURES: :func:`sentence_base`'s with what the judged candidates each sentence
    gives bring, by their ``probabilities`` (of the candidate model, in the hand-set order)."""
    p = np.zeros(CANDIDATES_JUDGED, dtype=np.float32)
    given = np.asarray(probabilities, dtype=np.float32)[:CANDIDATES_JUDGED]
    p[:len(given)] = given
    held = holds * p
    best = held.max(axis=1) if len(holds) else np.zeros(0, dtype=np.float32)
    likeliest = holds[:, int(p.argmax())] if len(given) else np.zeros(len(holds), dtype=np.float32)
    extra = np.stack([holds.sum(axis=1), best, held.sum(axis=1), likeliest, best / max(float(p.max()), 1e-6)],
                     axis=1) if len(holds) else np.zeros((0, 5), dtype=np.float32)
    return np.hstack([base, extra]).astype(np.float32)


def with_probabilities(row: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """A question row (of :func:`question_row`, made before the candidates were judged) with their best
    probability and its gap to the second filled in."""
    out = np.array(row, dtype=np.float32, copy=True).reshape(-1)
    top = np.sort(np.asarray(probabilities, dtype=np.float32))[::-1]
    out[QUESTION_FEATURES.index("best_probability")] = top[0] if len(top) else 0.0
    out[QUESTION_FEATURES.index("probability_gap")] = (top[0] - top[1]) if len(top) > 1 else (top[0] if len(top) else 0.0)
    return out


class AnswerJudge:
    """The three models of ``rag/models/answers`` (or another folder), loaded on first use.

    ``bold`` is the candidate probability from which an answer opens with the candidate in bold,
    ``likely`` the one from which it opens naming the candidate as likely (not in bold),
    ``refuse`` the answer probability under which the passages do not answer; both were chosen on
    the training weeks (see docs/models.md). When the files are missing or broken, ``status`` says
    why (logged once) and :meth:`judge` returns None: answers fall back to the hand-set rules.
    """

    def __init__(self, folder: Path, refuses: bool = False) -> None:
        self.folder = folder
        self.refuses = refuses  # REFUSAL=learned: the refusal model decides; else the hand-set floor
        self.status = ""
        self.bold = 1.0
        self.likely = 1.0
        self.refuse = 0.0
        self.refuses_every_question = False  # the refusal model learned from every kind of question
        self._models = None
        self._lock = threading.Lock()

    def _load(self):
        if self._models is not None or self.status:  # loaded, or known to be unusable: no lock on every question
            return self._models
        with self._lock:
            if self._models is not None or self.status:
                return self._models
            try:
                models = load_models(self.folder)
                description = models.description
                self.bold, self.refuse = float(description["bold"]), float(description["refuse"])
                self.likely = min(self.bold, float(description.get("likely", self.bold)))
                self.refuses_every_question = description.get("refusal_questions") == "every"
                self._models = models  # last: a question that sees the models sees their thresholds too
            except ConfigError as exc:
                self.status = str(exc)
                log.error("%s; answers use the hand-set rules", exc)
            except Exception as exc:  # a broken model must not cost the answers
                self.status = f"the answer models could not be loaded ({' '.join(str(exc).split())[:200]})"
                log.error("%s; answers use the hand-set rules", self.status)
            return self._models

    def available(self) -> bool:
        return self._load() is not None

    def candidates(self, rows: np.ndarray) -> np.ndarray:
        models = self._load()
        if models is None or not len(rows):
            return np.zeros(len(rows), dtype=np.float32)
        return np.asarray(models.candidates.predict(rows, num_threads=1), dtype=np.float32)

    def sentences(self, rows: np.ndarray) -> np.ndarray:
        models = self._load()
        if models is None or not len(rows):
            return np.zeros(len(rows), dtype=np.float32)
        return np.asarray(models.sentences.predict(rows, num_threads=1), dtype=np.float32)

    def answers(self, row: np.ndarray) -> float:
        models = self._load()
        return float(models.refusal.predict(row.reshape(1, -1), num_threads=1)[0]) if models is not None else 1.0

    def answered(self, question: str, qtype: extract.QuestionType, sentences: Sequence[Candidate],
                 passages: Sequence[Passage], missing: int, names: int,
                 window: tuple[date | None, date] | None) -> float | None:
        """For a question whose candidates are not judged (one that asks what happened, or why), the
        probability that the passages answer it (0 when they give no sentence); None when the refusal model did
        not learn from such questions or the models are unavailable."""
        if not self.available() or not self.refuses_every_question:
            return None
        if not sentences:
            return 0.0
        row = question_row(question, qtype, sentences, passages, missing, names, (), 0, window)
        return self.answers(with_probabilities(row, np.zeros(0, dtype=np.float32)))

    def judge(self, question: str, qtype: extract.QuestionType, shorts: Sequence[Short],
              sentences: Sequence[Candidate], passages: Sequence[Passage], missing: int, names: int,
              window: tuple[date | None, date] | None, embeddings: Embeddings) -> Judged | None:
        """The candidates' probabilities and the question's, or None when the models are unavailable."""
        if not self.available():
            return None
        probabilities = self.candidates(candidate_rows(question, qtype, shorts, window, passages, sentences,
                                                       embeddings))
        row = question_row(question, qtype, sentences, passages, missing, names, (), len(shorts), window)
        base, holds = sentence_base(question, qtype, sentences, shorts, window)
        quoted = self.sentences(sentence_rows(base, holds, probabilities))
        return Judged(tuple(float(p) for p in probabilities), self.answers(with_probabilities(row, probabilities)),
                      tuple(float(p) for p in quoted))


class Models(NamedTuple):
    """The boosters of an answer model folder and its description (model.json)."""

    candidates: object
    refusal: object
    sentences: object
    description: dict


def load_models(folder: Path) -> Models:
    """The models of an answer model folder; ConfigError naming a bad file."""
    import hashlib

    import lightgbm

    path = folder / "model.json"
    try:
        description = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"the answer model's {path} is missing") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"the answer model's {path} is unreadable ({exc})") from None
    if (tuple(description.get("candidate_features", ())) != CANDIDATE_FEATURES
            or tuple(description.get("question_features", ())) != QUESTION_FEATURES
            or tuple(description.get("sentence_features", ())) != SENTENCE_FEATURES):
        raise ConfigError(f"the answer model in {folder} was trained on other features; retrain it with "
                          "`python -m rag.learn answers`")
    boosters = []
    for part in ("candidates", "refusal", "sentences"):
        spec = description.get(part) or {}
        file = folder / spec.get("file", f"{part}.txt")
        if not file.is_file():
            raise ConfigError(f"the answer model's {file} is missing")
        if hashlib.sha256(file.read_bytes()).hexdigest() != spec.get("sha256"):
            raise ConfigError(f"the answer model's {file} does not match the checksum in model.json")
        try:
            boosters.append(lightgbm.Booster(model_file=str(file)))
        except Exception as exc:
            raise ConfigError(f"the answer model's {file} is unreadable ({exc})") from None
    return Models(*boosters, description)
