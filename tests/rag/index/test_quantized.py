"""The int8 embedding model: built from the packaged weights, checked, and close to them."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from rag.index import quantized, runtime
from rag.index.embeddings import make_embeddings, model_environment, spec_for, use_model_environment
from rag.core.errors import ConfigError
from rag.core.settings import Settings

TEXTS = [
    "Riverton council approves new tram line",
    "The drought in Valdoria has cut the wheat harvest by a third, the agriculture ministry said on "
    "Tuesday, and the government will import grain for the first time in a decade.",
    "Who won the cup final?",
]


@pytest.fixture(scope="module")
def built():
    """The build the default settings use (made once per machine, at install or first use)."""
    return quantized.prepare(Settings().quantized_model_path)


@pytest.fixture(scope="module")
def exact():
    """The packaged model as sentence-transformers runs it, unquantised."""
    return make_embeddings(Settings().replace(embedding_runtime="torch"))


def test_build_is_recorded_and_passed_its_check(built):
    record = json.loads((built / quantized.RECORD_FILE).read_text())
    assert record["recipe"] == quantized.RECIPE
    assert record["min_probe_cosine"] >= quantized.MIN_PROBE_COSINE
    assert record["model_sha256"] == quantized._sha256(built / quantized.MODEL_FILE)


@pytest.mark.slow
def test_int8_vectors_stay_close_to_the_packaged_model(embeddings, exact):
    assert isinstance(embeddings, quantized.Int8Embeddings)  # the default the other tests run on
    a = np.asarray(embeddings.embed_documents(TEXTS))
    b = np.asarray(exact.embed_documents(TEXTS))
    assert a.shape == b.shape == (3, 384)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-4)
    assert (np.sum(a * b, axis=1) > 0.97).all()
    # The query path and the batch path agree, whatever the batch's order and padding.
    assert np.dot(np.asarray(embeddings.embed_query(TEXTS[2])), a[2]) > 0.9999


@pytest.mark.slow
def test_long_input_is_truncated_like_sentence_transformers(embeddings, exact):
    long = " ".join(["The storm cut power to the coastal districts overnight."] * 80)  # ~900 word pieces
    a, b = np.asarray(embeddings.embed_query(long)), np.asarray(exact.embed_query(long))
    assert float(np.dot(a, b)) > 0.97
    assert embeddings.max_seq_length == 256


def test_a_tampered_model_is_refused(built, tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(built, copy)
    with open(copy / quantized.MODEL_FILE, "r+b") as fh:
        fh.seek(-64, 2)
        fh.write(b"\0" * 64)
    with pytest.raises(ConfigError, match="checksum"):
        quantized.Int8Embeddings(copy)


@pytest.mark.slow  # the rebuild converts the packaged model again
def test_a_current_build_is_reused_and_a_stale_one_rebuilt(built, tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(built, copy)
    model = copy / quantized.MODEL_FILE
    stamp = model.stat().st_mtime_ns
    assert quantized.prepare(copy) == copy and model.stat().st_mtime_ns == stamp  # reused as is
    record = json.loads((copy / quantized.RECORD_FILE).read_text())
    (copy / quantized.RECORD_FILE).write_text(json.dumps({**record, "recipe": -1}))
    quantized.prepare(copy)  # built by an older recipe: rebuilt and checked again
    rebuilt = json.loads((copy / quantized.RECORD_FILE).read_text())
    assert rebuilt["recipe"] == quantized.RECIPE and rebuilt["built"] >= record["built"]
    assert rebuilt["model_sha256"] == quantized._sha256(model)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".model-")]  # no build left behind


def test_runtimes_are_told_apart_in_the_index_spec():
    int8, torch = Settings(), Settings().replace(embedding_runtime="torch")
    assert spec_for(int8).label() == "local:all-MiniLM-L6-v2+ct2-int8"
    assert spec_for(torch).label() == "local:all-MiniLM-L6-v2"
    assert spec_for(int8.replace(embedding_provider="openai")).label() == "openai:all-MiniLM-L6-v2"


def test_the_replaced_onnx_runtime_is_named_in_a_clear_error():
    from rag.core.settings import SettingsError

    with pytest.raises(SettingsError, match="ct2-int8.*index --full"):
        Settings.from_env({"EMBEDDING_RUNTIME": "onnx-int8"})
    assert Settings.from_env({"EMBEDDING_RUNTIME": "torch"}).embedding_runtime == "torch"
    assert Settings.from_env({}).embedding_runtime == "ct2-int8"


def test_the_model_environment_is_what_each_runtime_reads_and_leaves_set_values_alone(monkeypatch):
    monkeypatch.setattr(runtime, "cpu_isa_environment", lambda: {"CT2_FORCE_CPU_ISA": "AVX512"})
    assert model_environment("ct2-int8") == {"HF_HUB_OFFLINE": "1", "CT2_FORCE_CPU_ISA": "AVX512"}
    assert model_environment("torch") == {"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    environ = {"CT2_FORCE_CPU_ISA": "AVX2"}
    use_model_environment("ct2-int8", environ)
    assert environ == {"CT2_FORCE_CPU_ISA": "AVX2", "HF_HUB_OFFLINE": "1"}
