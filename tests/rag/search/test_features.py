"""What the ranking stage knows of a candidate: rag.search.features on passages made by hand."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from rag.core.types import Chunk, Passage
from rag.search.features import (CROSSENCODER_NAMES, NAMES, Context, features, passage_text, question_names,
                                 with_crossencoder)


def passage(cid: str, text: str, title: str = "", published: date | None = None, score: float = 0.1,
            dense: float | None = 0.5, lexical: float | None = None, ordinal: int = 0, article: str = "",
            outlets: tuple[str, ...] = ()) -> Passage:
    chunk = Chunk(cid, article or cid, "h", ordinal, 0, len(text), text, title, published=published)
    return Passage(chunk, score, dense, lexical, outlets=outlets)


def column(x: np.ndarray, name: str) -> list[float]:
    return [round(float(v), 4) for v in x[:, NAMES.index(name)]]


def test_one_row_per_passage_in_the_order_given():
    ps = [passage("a", "The council approved the tram."), passage("b", "Rain is expected.")]
    x = features(Context("What did the council approve?"), ps)
    assert x.shape == (2, len(NAMES)) and x.dtype == np.float32
    assert column(x, "fused_rank") == [0.0, round(float(np.log1p(1)), 4)]
    assert features(Context("anything"), []).shape == (0, len(NAMES))


def test_scores_are_read_relative_to_the_best_candidate():
    ps = [passage("a", "x y", score=0.04, dense=0.7, lexical=8.0),
          passage("b", "x z", score=0.02, dense=0.5, lexical=None)]
    x = features(Context("x"), ps)
    assert column(x, "fused_score") == [1.0, 0.5]
    assert column(x, "dense_gap") == [0.0, -0.2]
    assert column(x, "bm25") == [1.0, 0.0] and column(x, "bm25_found") == [1.0, 0.0]


def test_words_names_and_numbers_of_the_question_found_in_the_passage():
    q = "How many jobs will Lumetra create in Valdoria by 2026?"  # names, and a year as a date
    ps = [passage("a", "Lumetra will create 1,200 jobs in Valdoria from 2026.", title="Lumetra battery plant"),
          passage("b", "Rain is expected across the region.", title="Weather")]
    x = features(Context(q), ps)
    assert column(x, "names") == [1.0, 0.0]
    assert column(x, "numbers") == [1.0, 0.0]
    assert column(x, "text_overlap")[0] > 0.5 and column(x, "text_overlap")[1] == 0.0
    assert column(x, "title_overlap")[0] > 0.0 and column(x, "idf_overlap")[0] > column(x, "idf_overlap")[1]


@pytest.mark.parametrize("question, names", [
    ("Who won the Indianapolis 500?", ["Indianapolis 500"]),
    ("Which country's prime minister resigned, Jacinda Ardern or Rishi Sunak?", ["Jacinda Ardern", "Rishi Sunak"]),
    ("What did the Bank of England decide?", ["Bank of England"]),
    ("what happened this week?", []),
])
def test_question_names_are_the_mention_readers_without_the_opening_word(question, names):
    assert [n.text for n in question_names(question)] == names


def test_dates_against_the_question_and_its_window():
    ctx = Context("storm", latest=date(2024, 3, 10), window=(date(2024, 3, 3), date(2024, 3, 10)))
    ps = [passage("a", "storm", published=date(2024, 3, 9)), passage("b", "storm", published=date(2024, 1, 1)),
          passage("c", "storm", published=None)]
    x = features(ctx, ps)
    assert column(x, "in_window") == [1.0, 0.0, 0.0]
    assert column(x, "age")[0] == round(float(np.log1p(1)), 4) and column(x, "age")[1] > 4
    assert column(x, "undated") == [0.0, 0.0, 1.0] and column(x, "has_window") == [1.0, 1.0, 1.0]


def test_passages_of_an_article_ranked_lower_than_its_first_count_their_elders():
    ps = [passage("a1", "x", article="a"), passage("b1", "x", article="b"), passage("a2", "x", article="a"),
          passage("a3", "x", article="a", outlets=("wire", "herald"))]
    x = features(Context("x"), ps)
    assert column(x, "article_rank") == [0.0, 0.0, round(float(np.log1p(1)), 4), round(float(np.log1p(2)), 4)]
    assert column(x, "outlets")[3] == round(float(np.log1p(2)), 4)


def test_the_crossencoder_columns_follow_the_features():
    x = features(Context("x"), [passage("a", "x"), passage("b", "y"), passage("c", "z")])
    full = with_crossencoder(x, np.array([0.5, 2.0, -1.0]))
    assert full.shape == (3, len(NAMES) + len(CROSSENCODER_NAMES))
    ce = full[:, len(NAMES):]
    assert ce[:, 0].tolist() == [0.5, 2.0, -1.0]
    assert ce[:, 1].tolist() == [-1.5, 0.0, -3.0]
    assert ce[:, 2].tolist() == pytest.approx(np.log1p([1, 0, 2]).tolist())


def test_a_window_keeps_the_headline_and_the_sentences_that_share_the_question_words():
    body = ("The weather was mild. Officials met on Monday. The council approved the tram line on Monday "
            "by nine votes to four. Critics wanted buses. The line opens in 2027.")
    text = f"Tram line approved\n{body}"
    assert passage_text("When was the tram line approved?", text, 0) == text
    short = passage_text("When was the tram line approved?", text, 95)
    assert short.startswith("Tram line approved\n") and len(short) <= 95
    assert "The council approved the tram line on Monday by nine votes to four." in short
    assert "The weather was mild." not in short
    # With more room the rest fills it in the article's order, the closest sentences first.
    longer = passage_text("When was the tram line approved?", text, 140)
    assert longer.index("The line opens") > longer.index("The council approved") and len(longer) <= 140


def test_a_sentence_that_holds_the_question_and_a_candidate_of_its_kind_is_seen():
    q = "How many jobs will the Lumetra factory create?"
    answers = passage("a", "Lumetra announced a factory on Tuesday. The factory will create 1,200 jobs in Valdoria. "
                           "Production starts in 2026.")
    restates = passage("b", "Lumetra has not said how many jobs the factory will create. Officials met in Valdoria.")
    elsewhere = passage("c", "Rain fell on Tuesday. Lumetra factory jobs were discussed. The union said 300 workers protested.")
    x = features(Context(q), [answers, restates, elsewhere])
    assert column(x, "asks_number") == [1.0, 1.0, 1.0] and column(x, "asks_name") == [0.0, 0.0, 0.0]
    assert column(x, "best_sentence")[0] >= 0.5 and 0.0 < column(x, "second_sentence")[0] <= column(x, "best_sentence")[0]
    assert column(x, "slot_in_best") == [1.0, 0.0, 0.0]
    assert column(x, "slot_near_best")[2] == 1.0  # "300 workers" stands next to the best sentence
    assert column(x, "slots")[0] > 0 and column(x, "slots")[1] == 0.0


def test_a_question_that_is_not_of_fact_has_no_slots():
    x = features(Context("What is happening in Valdoria?"), [passage("a", "Valdoria imposed water limits on Monday.")])
    assert column(x, "slots") == [0.0] and column(x, "slot_in_best") == [0.0]
    assert sum(column(x, n)[0] for n in ("asks_number", "asks_date", "asks_name", "asks_thing")) == 0.0
