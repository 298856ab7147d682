"""The learned judge of extractive answers (ANSWER_MODEL=builtin) on the real index of the test corpus:
the shipped models, models whose thresholds force each branch, and models whose files are broken."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.answer.judge import (CANDIDATE_FEATURES, QUESTION_FEATURES, SENTENCE_FEATURES, SENTENCES_JUDGED, AnswerJudge,
                               sentence_base, sentence_rows, with_probabilities)
from rag.core.types import Filters
from rag.service import RagService

SHIPPED = Path(__file__).resolve().parents[3] / "rag" / "models" / "answers"
AS_OF = Filters(as_of=__import__("datetime").date(2024, 3, 25))


def models(folder: Path, bold: float, refuse: float, likely: float | None = None, quote: str = "rank",
           sign: float = 1.0, every: bool = False) -> Path:
    """Real (small) candidate, refusal and sentence models with the thresholds given, as `python -m rag.learn
    answers` writes them; each model's probability grows with its first feature, the sentence model's with
    its feature ``quote`` times ``sign``; with ``every``, a refusal model that learned from every kind of question."""
    import lightgbm as lgb

    from rag.learn.answers import write

    rng = np.random.default_rng(3)
    boosters = []
    for names, column, direction in ((CANDIDATE_FEATURES, 0, 1.0), (QUESTION_FEATURES, 0, 1.0),
                                     (SENTENCE_FEATURES, SENTENCE_FEATURES.index(quote), sign)):
        x = rng.normal(size=(200, len(names)))
        y = (direction * x[:, column] > 0).astype(float)
        boosters.append(lgb.train({"objective": "binary", "verbosity": -1, "min_data_in_leaf": 5, "num_threads": 1},
                                  lgb.Dataset(x, y), num_boost_round=5))
    write(folder, boosters[0], boosters[1], {"format": 1, "candidate_features": list(CANDIDATE_FEATURES),
                                              "question_features": list(QUESTION_FEATURES),
                                              "sentence_features": list(SENTENCE_FEATURES), "bold": bold,
                                              "refuse": refuse, **({} if likely is None else {"likely": likely}),
                                              **({"refusal_questions": "every"} if every else {})},
          boosters[2])
    return folder


def judged(indexed: RagService, embeddings, folder: Path | None = None, **changes) -> RagService:
    settings = indexed.settings.replace(answer_model="builtin", answer_model_dir=folder, **changes)
    return RagService(settings, embeddings=embeddings)


def test_the_shipped_models_answer_the_corpus_and_refuse_what_it_does_not_hold(indexed, embeddings):
    service = judged(indexed, embeddings)
    answer = service.ask("How many jobs will the Lumetra battery factory create?", AS_OF)
    assert not answer.refused and "1,200" in answer.text
    assert service.answering.judge.status == "" and service.answer_mode.endswith("answers judged by the learned models")
    off = service.ask("Who won the chess olympiad in Reykjavik?", AS_OF)
    assert off.refused


@pytest.mark.parametrize("question", [
    "How many jobs will the Lumetra battery factory create?",
    "Who scored the winning goal in the cup final?",
    "What percentage of capacity were Valdoria's reservoirs at?",
    "When is the tram line expected to open?",
])
def test_a_learned_answer_never_opens_with_a_list_of_names(indexed, embeddings, question):
    answer = judged(indexed, embeddings).ask(question, AS_OF)
    assert "do not settle this" not in answer.text and "they mention" not in answer.text


def test_a_probable_candidate_opens_the_answer_in_bold(indexed, embeddings, tmp_path):
    service = judged(indexed, embeddings, models(tmp_path / "m", bold=0.0, refuse=0.0))
    answer = service.ask("Who scored the winning goal in the cup final?", AS_OF)
    assert answer.short and answer.text.startswith(f"**{answer.short}**")


def test_an_improbable_candidate_is_not_claimed_its_sentence_leads(indexed, embeddings, tmp_path):
    service = judged(indexed, embeddings, models(tmp_path / "m", bold=1.01, refuse=0.0))
    answer = service.ask("Who scored the winning goal in the cup final?", AS_OF)
    assert not answer.refused and not answer.short and not answer.text.startswith("**")
    assert answer.citations and answer.text.startswith(answer.citations[0].quote.split()[0])


def test_a_less_probable_candidate_is_named_as_likely_not_claimed(indexed, embeddings, tmp_path):
    service = judged(indexed, embeddings, models(tmp_path / "m", bold=1.01, refuse=0.0, likely=0.0))
    answer = service.ask("Who scored the winning goal in the cup final?", AS_OF)
    assert not answer.refused and not answer.short and answer.text.startswith("Likely ")
    named = answer.text[len("Likely "):answer.text.index(" [1] —")]
    assert named and named in answer.citations[0].quote  # the candidate, then the sentence that gives it
    assert "do not settle this" not in answer.text and "**" not in answer.text


def test_passages_judged_not_to_answer_are_refused(indexed, embeddings, tmp_path):
    service = judged(indexed, embeddings, models(tmp_path / "m", bold=0.5, refuse=1.01), refusal="learned")
    assert service.ask("Who scored the winning goal in the cup final?", AS_OF).refused
    # By default (REFUSAL=evidence) the hand-set floor refuses, not the refusal model.
    kept = judged(indexed, embeddings, models(tmp_path / "m", bold=0.5, refuse=1.01))
    assert not kept.ask("Who scored the winning goal in the cup final?", AS_OF).refused


def test_the_learned_refusal_decides_for_a_question_that_is_not_factoid_when_it_learned_from_such(indexed, embeddings,
                                                                                                  tmp_path):
    question = "Why did the council approve the tram line?"  # answered by the hand-set rules, not judged
    every = models(tmp_path / "every", bold=0.5, refuse=1.01, every=True)  # every probability under 1.01: refused
    assert judged(indexed, embeddings, every, refusal="learned").ask(question, AS_OF).refused
    passing = models(tmp_path / "passing", bold=0.5, refuse=0.0, every=True)  # none under 0: answered
    answer = judged(indexed, embeddings, passing, refusal="learned").ask(question, AS_OF)
    assert not answer.refused and "tram" in answer.text
    # A refusal model that learned from factoid questions only leaves it to the hand-set floor, which answers it;
    # and by default (REFUSAL=evidence) the floor decides whatever the model learned from.
    factoid_only = models(tmp_path / "factoid", bold=0.5, refuse=1.01)
    assert not judged(indexed, embeddings, factoid_only, refusal="learned").ask(question, AS_OF).refused
    assert not judged(indexed, embeddings, every).ask(question, AS_OF).refused


def test_a_single_article_that_answers_is_not_refused_by_default(indexed, embeddings):
    """The refusal model learned from quiz weeks where a story's answer comes from many articles: on a
    small corpus it doubts a lone article's clear sentence, which the default (REFUSAL=evidence) answers."""
    service = judged(indexed, embeddings)
    answer = service.ask("How much will the new tram line cost?", AS_OF)
    assert not answer.refused and "310 million euros" in answer.text


@pytest.mark.parametrize("damage, named", [
    (lambda d: (d / "refusal.txt").unlink(), "refusal.txt is missing"),
    (lambda d: (d / "sentences.txt").unlink(), "sentences.txt is missing"),
    (lambda d: (d / "candidates.txt").write_text("tree\n"), "candidates.txt does not match the checksum"),
    (lambda d: (d / "model.json").write_text("{"), "model.json is unreadable"),
])
def test_broken_answer_models_fall_back_to_the_hand_set_rules_and_say_why_once(indexed, embeddings, tmp_path,
                                                                              caplog, damage, named):
    folder = tmp_path / "m"
    shutil.copytree(SHIPPED, folder)
    damage(folder)
    service = judged(indexed, embeddings, folder)
    hand = RagService(indexed.settings.replace(answer_model="none"), embeddings=embeddings)
    question = "How many jobs will the Lumetra battery factory create?"
    with caplog.at_level(logging.ERROR, logger="rag.answer.judge"):
        assert service.ask(question, AS_OF).text == hand.ask(question, AS_OF).text
        service.ask(question, AS_OF)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and named in errors[0] and named in service.answering.judge.status
    assert "answer judge off" in service.answer_mode and named in service.stats().answer_mode


def test_models_trained_on_other_features_are_refused(tmp_path):
    folder = models(tmp_path / "m", 0.5, 0.5)
    description = json.loads((folder / "model.json").read_text())
    description["candidate_features"] = description["candidate_features"][:-1]
    (folder / "model.json").write_text(json.dumps(description))
    judge = AnswerJudge(folder)
    assert not judge.available() and "trained on other features" in judge.status


def test_the_question_row_takes_the_candidates_best_probability_and_its_lead():
    row = np.zeros(len(QUESTION_FEATURES), dtype=np.float32)
    filled = with_probabilities(row, np.array([0.2, 0.7, 0.4]))
    assert filled[QUESTION_FEATURES.index("best_probability")] == pytest.approx(0.7)
    assert filled[QUESTION_FEATURES.index("probability_gap")] == pytest.approx(0.3)
    assert with_probabilities(row, np.array([]))[QUESTION_FEATURES.index("best_probability")] == 0.0


def test_candidates_are_read_in_their_sentences(indexed, embeddings):
    """The candidate who scored reads closest to the question by meaning, and the others read behind it."""
    from rag.answer.judge import candidate_rows
    from rag.learn.answers import read

    question = "Who scored the winning goal in the cup final?"
    qtype, shorts, sentences, passages, _missing, _names, span = read(indexed, question, AS_OF.as_of)
    rows = candidate_rows(question, qtype, shorts, span, passages, sentences, embeddings)
    assert rows.shape == (min(len(shorts), 10), len(CANDIDATE_FEATURES)) and len(rows) > 1
    col = {n: rows[:, i] for i, n in enumerate(CANDIDATE_FEATURES)}
    scorer = next(i for i, s in enumerate(shorts) if "Brekke" in s.text)
    for name in ("masked_similarity", "restated_similarity"):
        assert int(np.argmax(col[name])) == scorer
        assert col[name.replace("similarity", "behind")][scorer] == 0.0
        assert (np.delete(col[name.replace("similarity", "behind")], scorer) < 0).all()
    assert col["in_best_sentence"][scorer] == 1.0 and col["near_overlap"][scorer] > 0
    assert col["in_top_passages"][scorer] == 1.0 and col["mentions"][scorer] > 0
    # Mentions are counted in the passages the question found, not in those that give the candidate:
    # without the passages that name the scorer, nothing mentions him.
    others = [p for p in passages if "brekke" not in p.chunk.text.lower()]
    without = candidate_rows(question, qtype, shorts, span, others, sentences, embeddings)
    assert without[scorer, CANDIDATE_FEATURES.index("in_top_passages")] == 0.0
    assert without[scorer, CANDIDATE_FEATURES.index("mentions")] == 0.0


def test_without_a_probable_candidate_the_sentences_likeliest_to_answer_are_quoted(indexed, embeddings, tmp_path):
    """No candidate named: the answer quotes the sentences in the sentence model's order. A model that
    prefers the first of the hand-set order leads with the hand-set best sentence; one that prefers the
    last ones does not."""
    from rag.learn.answers import read

    question = "Who scored the winning goal in the cup final?"
    sentences = read(indexed, question, AS_OF.as_of)[2]
    assert len(sentences) > 2
    first = {}
    for sign in (1.0, -1.0):
        service = judged(indexed, embeddings, models(tmp_path / f"m{sign}", bold=1.01, refuse=0.0, sign=sign))
        answer = service.ask(question, AS_OF)
        assert not answer.refused and not answer.short and not answer.text.startswith(("**", "Likely"))
        first[sign] = answer.citations[0].quote
    assert first[-1.0] == sentences[0].text
    assert first[1.0] != sentences[0].text and first[1.0] in [c.text for c in sentences[:SENTENCES_JUDGED]]


def test_sentences_are_read_with_the_candidates_they_give(indexed, embeddings):
    """The sentence rows: what each judged sentence gives of the judged candidates, by their probabilities."""
    from rag.learn.answers import read

    question = "Who scored the winning goal in the cup final?"
    qtype, shorts, sentences, _passages, _missing, _names, span = read(indexed, question, AS_OF.as_of)
    base, holds = sentence_base(question, qtype, sentences, shorts, span)
    assert base.shape == (min(len(sentences), SENTENCES_JUDGED), SENTENCE_FEATURES.index("candidates_held"))
    scorer = next(i for i, s in enumerate(shorts) if "Brekke" in s.text)
    giving = [i for i, c in enumerate(sentences[:len(base)]) if "Brekke" in c.text]
    assert giving and all(holds[i, scorer] == 1.0 for i in giving)
    assert all(holds[i, scorer] == 0.0 for i in range(len(base)) if i not in giving)
    probabilities = np.full(len(shorts[:10]), 0.1, dtype=np.float32)
    probabilities[scorer] = 0.9
    rows = sentence_rows(base, holds, probabilities)
    col = {n: rows[:, i] for i, n in enumerate(SENTENCE_FEATURES)}
    assert all(col["holds_likeliest"][i] == 1.0 and col["best_held"][i] == pytest.approx(0.9) for i in giving)
    assert all(col["best_held"][i] < 0.9 for i in range(len(base)) if i not in giving)
    assert col["factoid"].all() and (col["asks_name"] == 1.0).all()
    # Neighbours: the sentences next to the best one in its passage say so, and no sentence of another passage does.
    beside = [i for i in range(len(base)) if col["next_to_best"][i] == 1.0]
    assert beside and 0 not in beside
    assert all(sentences[i].passage.chunk.id == sentences[0].passage.chunk.id for i in beside)
    assert all(col["neighbour_rank"][i] == 0.0 for i in beside)  # the best sentence's place is 0


def test_only_sentences_the_judge_finds_likely_are_quoted_out_of_the_hand_set_order(indexed):
    """A sentence the judge finds at least QUOTE_PROBABILITY likely to answer is quoted first, wherever the
    hand-set order puts it; the others only as the hand-set rules quote them (within KEEP_RATIO of the best
    sentence), so a small corpus's uniformly low probabilities do not bring in an unrelated article."""
    from rag.answer.extractive import KEEP_RATIO, QUOTE_PROBABILITY, by_judgement
    from rag.learn.answers import read

    sentences = read(indexed, "How much will the new tram line cost?", AS_OF.as_of)[2]
    judged = sentences[:SENTENCES_JUDGED]
    far = max(range(len(judged)), key=lambda i: -judged[i].score)  # the hand-set order's last judged sentence
    assert judged[far].score < KEEP_RATIO * judged[0].score
    kept = [c for c in sentences if c.score >= KEEP_RATIO * sentences[0].score]
    low = [QUOTE_PROBABILITY / 4] * len(judged)
    low[far] = QUOTE_PROBABILITY / 2  # the likeliest, but unlikely: left out
    assert by_judgement(sentences, low) == kept
    high = list(low)
    high[far] = QUOTE_PROBABILITY
    assert by_judgement(sentences, high) == [judged[far], *kept]
    assert by_judgement(sentences, []) == kept
