"""The built-in ranking stage (RERANKER=builtin): the shipped model, and a model whose files are missing or broken."""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from rag.core.settings import Settings
from rag.core.types import Chunk, Passage
from rag.search import crossencoder
from rag.search.features import CROSSENCODER_NAMES, NAMES, Context
from rag.core.errors import ConfigError
from rag.search.rerank import Blend, LearnedRanker, check_builtin, make_reranker

SHIPPED = Settings().reranker_path

STORY = "Lumetra to open battery factory with 1,200 jobs"
PASSAGES = [
    ("tram", "Riverton council approves new tram line",
     "The Riverton city council voted 9 to 4 on Monday to approve a new tram line linking the harbour "
     "district to the university campus."),
    ("cup", "Riverton Rovers win the cup final",
     "Riverton Rovers beat Port Aldine 2-1 in the cup final on Saturday, their first trophy in twelve years."),
    ("drought", "Drought forces water restrictions in Valdoria",
     "Authorities in Valdoria imposed water restrictions on Tuesday after the driest winter in forty years."),
    ("factory", STORY,
     "The technology company Lumetra will build a battery factory outside Valdoria, creating 1,200 jobs, its "
     "chief executive Ana Ruiz announced on Tuesday."),
]


def passages() -> list[Passage]:
    """Hand-made candidates in a fused order that puts the story that answers last."""
    out = []
    for i, (cid, title, text) in enumerate(PASSAGES):
        chunk = Chunk(cid, cid, "h", 0, 0, len(text), text, title, published=date(2024, 3, 12))
        out.append(Passage(chunk, 0.05 - 0.01 * i, 0.5 - 0.05 * i, 5.0 - i))
    return out


def model_without_crossencoder(folder: Path, seed: int = 1) -> Path:
    """A real (if small) feature ranker written as `python -m rag.learn reranker --no-crossencoder` writes one."""
    import lightgbm as lgb

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(200, len(NAMES)))
    y = (x[:, NAMES.index("text_overlap")] > 0.5).astype(float)
    booster = lgb.train({"objective": "lambdarank", "verbosity": -1, "min_data_in_leaf": 5, "num_threads": 1},
                        lgb.Dataset(x, y, group=[10] * 20), num_boost_round=5)
    folder.mkdir(parents=True, exist_ok=True)
    booster.save_model(str(folder / "ranker.txt"))
    (folder / "model.json").write_text(json.dumps({
        "format": 1, "depth": 10, "features": list(NAMES), "crossencoder": None,
        "ranker": {"file": "ranker.txt", "sha256": crossencoder.sha256(folder / "ranker.txt")}}))
    return folder


def test_the_shipped_model_ranks_the_passage_that_answers_above_off_topic_ones(tmp_path):
    ranker = LearnedRanker(SHIPPED, Settings().reranker_build_path)
    question = "How many jobs will the Lumetra battery factory create?"
    ranked = ranker.rerank(Context(question, date(2024, 3, 20)), passages())
    assert ranked[0].chunk.id == "factory", [p.chunk.id for p in ranked]
    assert ranker.status == "" and "best" in ranker.describe()
    description = json.loads((SHIPPED / "model.json").read_text())
    assert description["features"][:len(NAMES)] == list(NAMES)


def test_the_shipped_model_files_are_small_enough_to_commit():
    sizes = {p.name: p.stat().st_size for p in SHIPPED.iterdir() if p.is_file()}
    assert "model.json" in sizes and "ranker.txt" in sizes
    assert all(size < 25_000_000 for size in sizes.values()) and sum(sizes.values()) <= 25_000_000


@pytest.mark.parametrize("damage, named", [
    (lambda d: (d / "ranker.txt").unlink(), "ranker.txt is missing"),
    (lambda d: (d / "ranker.txt").write_text("tree\n"), "ranker.txt does not match the checksum"),
    (lambda d: (d / "model.json").write_text("{not json"), "model.json is unreadable"),
    (lambda d: (d / "model.json").unlink(), "model.json is missing"),
])
def test_a_missing_or_broken_model_file_keeps_the_fused_order_and_says_which_once(tmp_path, caplog, damage,
                                                                                    named):
    folder = model_without_crossencoder(tmp_path / "model")
    damage(folder)
    ranker = LearnedRanker(folder, tmp_path / "build")
    given = passages()
    with caplog.at_level(logging.ERROR, logger="rag.search.rerank"):
        assert ranker.rerank(Context("How many jobs?"), given) == given
        assert ranker.rerank(Context("How many jobs?"), given) == given
    assert named in ranker.status and str(folder) in ranker.status
    assert "off:" in ranker.describe()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "\n" not in errors[0].getMessage() and named in errors[0].getMessage()


def described(folder: Path, **changes) -> Path:
    """The model folder with its model.json changed as given."""
    description = json.loads((folder / "model.json").read_text())
    (folder / "model.json").write_text(json.dumps({**description, **changes}))
    return folder


def test_a_broken_crossencoder_file_is_named_too(tmp_path):
    folder = model_without_crossencoder(tmp_path / "model")
    (folder / "crossencoder.safetensors").write_bytes(b"not the trained layers")
    described(folder, features=list(NAMES + CROSSENCODER_NAMES),
              crossencoder={"file": "crossencoder.safetensors", "sha256": "0" * 64, "max_length": 64})
    ranker = LearnedRanker(folder, tmp_path / "build")
    assert ranker.rerank(Context("How many jobs?"), passages()) == passages()
    assert "crossencoder.safetensors does not match the checksum" in ranker.status


def test_a_model_trained_on_other_features_is_refused(tmp_path):
    folder = model_without_crossencoder(tmp_path / "model")
    described(folder, features=json.loads((folder / "model.json").read_text())["features"][:-1])
    ranker = LearnedRanker(folder, tmp_path / "build")
    assert ranker.rerank(Context("jobs"), passages()) == passages()
    assert "trained on other features" in ranker.status


def test_a_feature_ranker_without_crossencoder_reorders_by_its_score(tmp_path):
    folder = model_without_crossencoder(tmp_path / "model")
    ranker = LearnedRanker(folder, tmp_path / "build")
    given = passages()
    scores = ranker.scores(Context("Lumetra battery factory jobs"), given)
    ranked = ranker.rerank(Context("Lumetra battery factory jobs"), given)
    assert [p.chunk.id for p in ranked] == [given[i].chunk.id for i in np.argsort(-scores, kind="stable")]
    assert ranker.depth == 10


def test_reranker_setting_builds_the_stage_it_names(tmp_path):
    folder = model_without_crossencoder(tmp_path / "model")
    built = make_reranker(Settings().replace(reranker="builtin", reranker_dir=folder))
    assert isinstance(built, LearnedRanker) and built.model_dir == folder
    assert make_reranker(Settings().replace(reranker="none")) is None
    assert Settings().reranker == "builtin"  # on by default


def test_a_blended_crossencoder_rescores_only_the_rankers_best_and_keeps_them_ahead():
    blend = Blend(weight=1.0, top=3)
    asked = []

    def logits(indices):
        asked.append(list(indices))
        return np.array([0.0, 0.0, 10.0])  # the ranker's third best reads as the most relevant

    scores = blend.apply(np.array([1.0, 5.0, 4.0, 3.0, 4.5]), logits)
    assert asked == [[1, 4, 2]]  # the ranker's best three, best first
    assert list(np.argsort(-scores, kind="stable")) == [2, 1, 4, 3, 0]
    # Past the blended three, the ranker's order stands even where the logit would have lifted one.
    assert list(np.argsort(-Blend(weight=100.0, top=2).apply(np.array([3.0, 2.0, 1.0]),
                                                             lambda idx: np.array([0.0, -1.0]))))[2] == 2


@pytest.mark.parametrize("blend", [{"weight": "heavy", "top": 20}, {"top": 20}, {"weight": 0.5, "top": 1}])
def test_an_unreadable_blend_is_named(tmp_path, blend):
    folder = model_without_crossencoder(tmp_path / "model")
    described(folder, crossencoder={"file": "crossencoder.safetensors", "sha256": "0" * 64, "blend": blend})
    with pytest.raises(ConfigError, match="model.json has an unreadable blend"):
        check_builtin(folder)
