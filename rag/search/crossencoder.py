"""The built-in cross-encoder: trained here, committed as its fine-tuned layers, served int8.

``rag/models/reranker/`` holds what training changed of all-MiniLM-L6-v2 (the transformer layers,
the pooler and a one-logit head, linear weights stored int8 with a scale per row) and
``model.json``, which records their checksum. The word-piece embeddings, which training leaves
frozen, are read from the packaged model; :func:`prepare` puts the two together and converts the
result to an int8 CTranslate2 model in the user cache (once, a few seconds: ``make install`` runs
it, and the first question does when it was not run). Answering needs only ctranslate2,
tokenizers and numpy; torch and transformers are imported to build.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ..core.errors import ConfigError
from ..core.fsutil import ARRAY_READS
from ..core.settings import Settings, SettingsError, load_dotenv_once

log = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "reranker"  # as Settings.reranker_path defaults
DESCRIPTION = "model.json"
RECIPE = 1  # bump when the build steps change: cached builds are redone
QUANTIZATION = "int8_float32"
RECORD = "build.json"
HEAD = "head.npz"
# Probe pairs for the build check: the int8 model must order them as the unquantised one does.
_PROBES = [
    ("Who won the election?", "Results\nThe incumbent won the election with 54% of the vote, officials said."),
    ("Who won the election?", "Weather\nRain is expected across the region on Tuesday."),
    ("How many people died in the storm?", "Storm\nAt least 12 people died when the storm hit the coast."),
    ("How many people died in the storm?", "Markets\nShares rose 3% after the central bank held rates."),
    ("Which company bought the bank?", "Deal\nUBS agreed to buy Credit Suisse for $3.2 billion on Sunday."),
    ("Which company bought the bank?", "Sport\nThe team won its third title in a row."),
]
MIN_PROBE_CORRELATION = 0.98


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def describe(model_dir: Path = MODEL_DIR) -> dict:
    """``model.json`` of a model folder, or a ConfigError naming what is missing or unreadable."""
    path = model_dir / DESCRIPTION
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"the built-in reranker's {path} is missing") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"the built-in reranker's {path} is unreadable ({exc})") from None


def weights_file(model_dir: Path, description: dict) -> Path:
    """The committed layers' file, checked against the checksum ``model.json`` records."""
    spec = description.get("crossencoder") or {}
    path = model_dir / spec.get("file", "crossencoder.safetensors")
    if not path.is_file():
        raise ConfigError(f"the built-in reranker's {path} is missing")
    if sha256(path) != spec.get("sha256"):
        raise ConfigError(f"the built-in reranker's {path} does not match the checksum in {DESCRIPTION}")
    return path


# --- storing the trained layers ------------------------------------------------------------------

def pack(state: dict, out: Path) -> str:
    """Write a trained classifier's state (torch tensors) without its word-piece embeddings: linear
    weights as int8 with a float32 scale per row, other tensors float32. Returns the file's sha256."""
    from safetensors.numpy import save_file

    tensors = {}
    for name, value in state.items():
        if "word_embeddings" in name or name.endswith("position_ids"):
            continue
        w = value.detach().float().numpy()
        if w.ndim == 2 and "embeddings" not in name:
            scale = np.maximum(np.abs(w).max(axis=1, keepdims=True), 1e-12) / 127.0
            tensors[f"{name}.int8"] = np.round(w / scale).astype(np.int8)
            tensors[f"{name}.scale"] = scale.astype(np.float32)
        else:
            tensors[name] = w.astype(np.float32)
    save_file(tensors, str(out))
    return sha256(out)


def unpack(path: Path, word_embeddings: np.ndarray) -> dict:
    """The full state dict (numpy arrays) from the committed file and the packaged word-piece embeddings."""
    from safetensors.numpy import load_file

    stored = load_file(str(path))
    state = {"bert.embeddings.word_embeddings.weight": word_embeddings}
    for name, value in stored.items():
        if name.endswith(".int8"):
            base = name[:-len(".int8")]
            state[base] = value.astype(np.float32) * stored[f"{base}.scale"]
        elif not name.endswith(".scale"):
            state[name] = value
    return state


# --- building the int8 model ---------------------------------------------------------------------

def _expected(model_dir: Path, description: dict) -> dict:
    import ctranslate2

    from ..index.quantized import model_source

    weights_file(model_dir, description)  # present and as recorded
    return {"recipe": RECIPE, "weights_sha256": description["crossencoder"]["sha256"],
            "source_sha256": sha256(model_source() / "model.safetensors"), "ctranslate2": ctranslate2.__version__}


def _current(target: Path, expected: dict) -> bool:
    record = target / RECORD
    if not record.is_file() or not (target / "model.bin").is_file() or not (target / HEAD).is_file():
        return False
    try:
        return all(json.loads(record.read_text()).get(k) == v for k, v in expected.items())
    except ValueError:
        return False


def prepare(model_dir: Path, target: Path, force: bool = False) -> Path:
    """Build the int8 cross-encoder into ``target`` unless a current, checked build is there."""
    from ..index.quantized import build_lock

    description = describe(model_dir)
    target = Path(target)
    expected = _expected(model_dir, description)
    with build_lock(target):
        if not force and _current(target, expected):
            return target
        started = time.perf_counter()
        work = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
        try:
            correlation = _build(model_dir, description, work)
            record = {**expected, "probe_correlation": round(correlation, 5),
                      "built": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
            (work / RECORD).write_text(json.dumps(record, indent=2) + "\n")
            if target.exists():
                shutil.rmtree(target)
            os.replace(work, target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        log.info("int8 reranker built in %.0f s (probe correlation %.4f)", time.perf_counter() - started, correlation)
        return target


def pair_scorer(bert, pooling: str):
    """The cross-encoder as torch runs it: BERT over "[CLS] question [SEP] passage [SEP]", pooled
    (``cls``: BERT's pooler on the first token; ``mean``: the tokens' mean, as the sentence
    model was trained to pool), then one linear unit. Training builds it, and so does the build's check."""
    import torch

    class PairScorer(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert
            self.pooling = pooling
            self.classifier = torch.nn.Linear(bert.config.hidden_size, 1)

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            out = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            if self.pooling == "cls":
                pooled = out.pooler_output
            else:
                mask = attention_mask.unsqueeze(-1).to(out.last_hidden_state.dtype)
                pooled = (out.last_hidden_state * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return self.classifier(pooled).view(-1)

    return PairScorer()


def torch_model(model_dir: Path, description: dict):
    """The committed cross-encoder as torch runs it (float32), and its tokenizer."""
    import torch
    from safetensors import safe_open
    from transformers import AutoTokenizer, BertConfig, BertModel

    from ..index.quantized import model_source

    source = model_source()
    spec = description["crossencoder"]
    with safe_open(str(source / "model.safetensors"), "np") as fh:
        words = fh.get_tensor("embeddings.word_embeddings.weight")
    config = BertConfig.from_pretrained(str(source))
    model = pair_scorer(BertModel(config), spec.get("pooling", "cls"))
    state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in
             unpack(weights_file(model_dir, description), words).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("position_ids")]
    if missing or unexpected:
        raise ConfigError(f"the built-in reranker's weights do not fit the model (missing {missing[:3]}, "
                          f"unexpected {unexpected[:3]})")
    return model.eval(), AutoTokenizer.from_pretrained(str(source))


def _build(model_dir: Path, description: dict, work: Path) -> float:
    import torch
    from ctranslate2.converters import TransformersConverter
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    model, tokenizer = torch_model(model_dir, description)
    model.bert.save_pretrained(str(work / "hf"), safe_serialization=True)
    tokenizer.save_pretrained(str(work / "hf"))
    TransformersConverter(str(work / "hf"), low_cpu_mem_usage=True).convert(
        str(work / "converted"), quantization=QUANTIZATION, force=True)
    for path in (work / "converted").iterdir():
        os.replace(path, work / path.name)
    (work / "converted").rmdir()
    shutil.copy2(work / "hf" / "tokenizer.json", work / "tokenizer.json")
    shutil.rmtree(work / "hf")
    np.savez(work / HEAD, weight=model.classifier.weight.detach().numpy().astype(np.float32),
             bias=model.classifier.bias.detach().numpy().astype(np.float32))
    (work / DESCRIPTION).write_text(json.dumps(description, indent=2) + "\n")
    max_length = int(description["crossencoder"]["max_length"])
    with torch.inference_mode():
        enc = tokenizer([q for q, _ in _PROBES], [t for _, t in _PROBES], truncation="only_second",
                        max_length=max_length, padding=True, return_tensors="pt")
        expected = model(**enc).numpy()
    got = np.asarray(Int8CrossEncoder(work, workers=1).logits([q for q, _ in _PROBES], [t for _, t in _PROBES]))
    correlation = float(np.corrcoef(expected, got)[0, 1])
    if correlation < MIN_PROBE_CORRELATION:
        raise ConfigError(f"the int8 reranker failed its check (probe correlation {correlation:.4f} "
                          f"< {MIN_PROBE_CORRELATION})")
    return correlation


# --- serving -------------------------------------------------------------------------------------

class Int8CrossEncoder:
    """Relevance logits of (question, passage) pairs from the int8 build, one pair per run, a
    single-threaded replica per core (as the int8 embedder runs)."""

    def __init__(self, folder: Path, workers: int | None = None) -> None:
        import ctranslate2
        from tokenizers import Tokenizer

        folder = Path(folder)
        description = json.loads((folder / DESCRIPTION).read_text())
        self.max_length = int(description["crossencoder"]["max_length"])
        self.pooling = description["crossencoder"].get("pooling", "cls")
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=self.max_length, strategy="only_second")
        self._tokenizer.no_padding()
        with ARRAY_READS, np.load(folder / HEAD) as head:
            self._weight, self._bias = head["weight"].reshape(-1), float(head["bias"].reshape(-1)[0])
        self.workers = max(1, workers or os.cpu_count() or 1)
        self._encoder = ctranslate2.Encoder(str(folder), device="cpu", compute_type=QUANTIZATION,
                                            inter_threads=self.workers, intra_threads=1)
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="rerank") if self.workers > 1 else None

    def _run(self, encodings) -> list[float]:
        out = self._encoder.forward_batch([e.ids for e in encodings], token_type_ids=[e.type_ids for e in encodings])
        if self.pooling == "cls":
            pooled = np.asarray(out.pooler_output)
        else:  # one pair per run, unpadded: every token counts
            pooled = np.asarray(out.last_hidden_state).mean(axis=1)
        return (pooled @ self._weight + self._bias).tolist()

    def logits(self, queries: Sequence[str], texts: Sequence[str]) -> list[float]:
        pairs = [(q.encode("utf-8", "replace").decode("utf-8"), t.encode("utf-8", "replace").decode("utf-8"))
                 for q, t in zip(queries, texts)]
        encodings = self._tokenizer.encode_batch(pairs)
        if self._pool is None or len(encodings) == 1:
            return [x for e in encodings for x in self._run([e])]
        return [x for part in self._pool.map(lambda e: self._run([e]), encodings) for x in part]

    def scores(self, query: str, texts: Sequence[str], timeout: float = 0.0) -> list[float]:
        """The Scorer protocol (rag.search.rerank): a logit per text for one query."""
        return self.logits([query] * len(texts), texts)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m rag.search.crossencoder",
                                description="Build and check the built-in reranker's int8 cross-encoder.")
    p.add_argument("command", choices=["prepare"])
    p.add_argument("--model", type=Path, default=None, help="the model folder (default: RERANKER_DIR or the shipped one)")
    p.add_argument("--dir", type=Path, default=None,
                   help="where to build (default: RERANKER_BUILD_DIR or the user cache)")
    p.add_argument("--force", action="store_true", help="rebuild even if a checked build exists")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        load_dotenv_once()
        settings = Settings.from_env()
        model = args.model or settings.reranker_path
        if not describe(model).get("crossencoder"):
            print(f"the built-in reranker in {model} has no cross-encoder: nothing to build")
            return 0
        folder = prepare(model, args.dir or settings.reranker_build_path, force=args.force)
    except (ConfigError, SettingsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    record = json.loads((folder / RECORD).read_text())
    print(f"int8 reranker ready in {folder} (probe correlation {record['probe_correlation']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
