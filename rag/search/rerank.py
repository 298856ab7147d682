"""Optional second-stage reranking of the fused candidates (RERANKER).

Two kinds: a local sentence-transformers CrossEncoder model folder, or an HTTP ``/rerank``
endpoint in the form Text Embeddings Inference, vLLM and Jina-compatible servers speak.
Reranking runs within a time budget (RERANK_TIMEOUT); when it fails or takes longer, the
passages keep their fused order.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ..core.errors import ConfigError
from ..core.types import Passage
from ..index.chunking import embedding_text
from .features import CROSSENCODER_NAMES, NAMES, Context, features, passage_text, with_crossencoder

log = logging.getLogger(__name__)


class Scorer(Protocol):
    def scores(self, query: str, texts: Sequence[str], timeout: float) -> list[float]:
        """A relevance score for each text, in order (higher is better)."""


def is_endpoint(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


def parse_scores(body: object, n: int) -> list[float]:
    """Scores by text index from a TEI response (``[{"index", "score"}]``) or a Jina/vLLM/Cohere one
    (``{"results": [{"index", "relevance_score"}]}``); texts the server left out score lowest."""
    items = body.get("results") if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise ValueError("the response is neither a list nor an object with a results list")
    scores = [float("-inf")] * n
    for item in items:
        if not isinstance(item, dict) or "index" not in item:
            raise ValueError("a result has no index")
        score = item.get("relevance_score", item.get("score"))
        index = item["index"]
        if not isinstance(index, int) or not 0 <= index < n or not isinstance(score, (int, float)):
            raise ValueError(f"a result has an invalid index or score: {item!r}")
        scores[index] = float(score)
    return scores


class EndpointScorer:
    """An HTTP ``/rerank`` endpoint; the request names the texts both ``texts`` (TEI) and ``documents`` (Jina, vLLM)."""

    def __init__(self, url: str, model: str = "", api_key: str = "") -> None:
        self.url = url
        self.model = model
        self.api_key = api_key

    def scores(self, query: str, texts: Sequence[str], timeout: float) -> list[float]:
        # TEI refuses inputs longer than its model reads unless asked to truncate them.
        payload: dict = {"query": query, "texts": list(texts), "documents": list(texts), "truncate": True}
        if self.model:
            payload["model"] = self.model
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.url, json.dumps(payload).encode("utf-8"), headers, method="POST")
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = json.loads(response.read().decode("utf-8"))
        return parse_scores(body, len(texts))


class CrossEncoderScorer:
    """A sentence-transformers CrossEncoder model folder, loaded on first use and kept."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is None:
                from sentence_transformers import CrossEncoder

                self._model = CrossEncoder(str(self.folder), device="cpu", local_files_only=True)
        return self._model

    def scores(self, query: str, texts: Sequence[str], timeout: float) -> list[float]:
        model = self._load()
        return [float(s) for s in model.predict([(query, t) for t in texts], show_progress_bar=False)]


def make_scorer(reranker: str, model: str = "", api_key: str = "") -> Scorer | None:
    """The scorer RERANKER names: None for ``none``, an endpoint for a URL, else a CrossEncoder folder."""
    if reranker.lower() in ("", "none"):
        return None
    if is_endpoint(reranker):
        return EndpointScorer(reranker, model, api_key)
    folder = Path(reranker).expanduser()
    if not (folder / "config.json").is_file():
        raise ConfigError(f"RERANKER={reranker} is neither none, an http(s) /rerank URL, "
                          "nor a folder holding a CrossEncoder model (config.json)")
    return CrossEncoderScorer(folder)


class Reranker:
    """Reorders passages by a text scorer's relevance within a time budget; on failure keeps their order."""

    def __init__(self, scorer: Scorer, timeout: float, depth: int = 20) -> None:
        self.scorer = scorer
        self.timeout = timeout
        self.depth = depth  # fused passages reordered
        # One worker: the budget is enforced by waiting on it, and a call that overran
        # finishes in the background without holding up the answer.
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rerank")

    def describe(self) -> str:
        return f"{type(self.scorer).__name__.removesuffix('Scorer').lower()} reranker"

    def rerank(self, context: Context, passages: Sequence[Passage]) -> list[Passage]:
        """``passages`` best first by the scorer's score for each, or as given when it fails."""
        scores = self._scores(context.question, [embedding_text(p.chunk) for p in passages])
        if scores is None:
            return list(passages)
        order = sorted(range(len(passages)), key=lambda i: -scores[i])  # stable: ties keep the fused order
        return [passages[i] for i in order]

    def _scores(self, query: str, texts: list[str]) -> list[float] | None:
        if len(texts) < 2:
            return None
        future = self._pool.submit(self.scorer.scores, query, texts, self.timeout)
        try:
            scores = future.result(timeout=self.timeout)
        except FutureTimeout:
            log.warning("reranker took longer than %.1f s; keeping the fused order", self.timeout)
            return None
        except (OSError, ValueError, urllib.error.URLError) as exc:
            log.warning("reranker failed (%s); keeping the fused order", exc)
            return None
        except Exception:  # a model or server error must not cost the answer
            log.exception("reranker failed; keeping the fused order")
            return None
        if len(scores) != len(texts):
            log.warning("reranker returned %d scores for %d passages; keeping the fused order",
                        len(scores), len(texts))
            return None
        return scores


class LearnedRanker:
    """The built-in ranking stage (RERANKER=builtin): a ranker trained on 133 weeks of news
    (``python -m rag.learn reranker``) over each candidate's features and, when the model has one,
    the score of its int8 cross-encoder. Loaded on first use; when its files are missing or broken
    it says why once (``status``, logged as one line) and the passages keep their fused order."""

    def __init__(self, model_dir: Path, build_dir: Path, timeout: float = 2.0) -> None:
        self.model_dir = model_dir
        self.build_dir = build_dir
        self.timeout = timeout
        self.status = ""  # why the model is off, once it is known to be
        self.depth = 30
        self._loaded = False
        self._lock = threading.Lock()
        self._booster = None
        self._encoder = None
        self._window = 0
        self._blend: Blend | None = None
        try:
            self.depth = int(describe_model(model_dir).get("depth", self.depth))
        except (ConfigError, ValueError, TypeError):
            pass  # reported when it is first used
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rank")

    def describe(self) -> str:
        """"built-in learned ranking ...", or why it is off; checks the model's files without loading it."""
        if not self._loaded and not self.status:
            try:
                check_builtin(self.model_dir)
            except ConfigError as exc:
                self._fail(str(exc))
        if self.status:
            return f"built-in learned ranking (off: {self.status}; answers use the fused order)"
        return f"built-in learned ranking of the best {self.depth} fused passages"

    def _fail(self, why: str) -> None:
        if not self.status:
            self.status = why
            log.error("%s; answers use the fused order", why)

    def _load(self) -> bool:
        with self._lock:
            if self._loaded or self.status:
                return self._loaded
            try:
                self._booster, self._encoder, self._window, self._blend = load_builtin(self.model_dir,
                                                                                      self.build_dir)
                self._loaded = True
            except ConfigError as exc:
                self._fail(str(exc))
            except Exception as exc:  # a broken model must not cost the answers
                self._fail(f"the built-in reranker could not be loaded ({' '.join(str(exc).split())[:200]})")
            return self._loaded

    def scores(self, context: Context, passages: Sequence[Passage]) -> np.ndarray:
        """The learned score of each passage (higher is better); loads the model if needed."""
        if not self._load():
            raise ConfigError(self.status)
        x = features(context, passages)
        encoder = self._encoder

        def logits(indices: Sequence[int]) -> np.ndarray:
            texts = [passage_text(context.question, embedding_text(passages[i].chunk), self._window) for i in indices]
            return np.asarray(encoder.scores(context.question, texts), dtype=np.float32)

        if encoder is not None and self._blend is None:
            x = with_crossencoder(x, logits(range(len(passages))))
        scores = np.asarray(self._booster.predict(x, num_threads=1), dtype=np.float32)
        if encoder is not None and self._blend is not None:
            scores = self._blend.apply(scores, logits)
        return scores

    def rerank(self, context: Context, passages: Sequence[Passage]) -> list[Passage]:
        """``passages`` best first by the learned score, or as given when the model is unavailable or slow."""
        if len(passages) < 2 or not self._load():
            return list(passages)
        future = self._pool.submit(self.scores, context, passages)
        try:
            scores = future.result(timeout=self.timeout)
        except FutureTimeout:
            log.warning("the built-in reranker took longer than %.1f s; keeping the fused order", self.timeout)
            return list(passages)
        except Exception:
            log.exception("the built-in reranker failed; keeping the fused order")
            return list(passages)
        order = sorted(range(len(passages)), key=lambda i: -float(scores[i]))
        return [passages[i] for i in order]


@dataclass(frozen=True)
class Blend:
    """How a cross-encoder that is not one of the ranker's features joins its order: the ranker's
    best ``top`` passages are scored again as the ranker's score plus ``weight`` times the
    cross-encoder's logit, and stay ahead of the rest (which keep the ranker's order). The
    cross-encoder so reads ``top`` passages, not every candidate."""

    weight: float
    top: int

    @classmethod
    def of(cls, description: dict) -> Blend | None:
        from .crossencoder import DESCRIPTION

        spec = (description.get("crossencoder") or {}).get("blend")
        if not spec:
            return None
        try:
            blend = cls(float(spec["weight"]), int(spec["top"]))
        except (KeyError, TypeError, ValueError):
            blend = None
        if blend is None or blend.top < 2 or not np.isfinite(blend.weight):
            raise ConfigError(f"the built-in reranker's {DESCRIPTION} has an unreadable blend ({spec!r})")
        return blend

    def apply(self, scores: np.ndarray, logits: Callable[[Sequence[int]], np.ndarray]) -> np.ndarray:
        """``scores`` with the best ``top`` re-scored by ``logits(their indices)`` (a logit each), kept ahead."""
        scores = np.asarray(scores, dtype=np.float64)
        best = np.argsort(-scores, kind="stable")[:self.top]
        if len(best) < 2:
            return scores
        lifted = scores[best] + self.weight * np.asarray(logits([int(i) for i in best]), dtype=np.float64)
        rest = np.delete(scores, best)
        out = scores.copy()
        out[best] = lifted - lifted.min() + (rest.max() + 1.0 if len(rest) else 0.0)
        return out


def describe_model(model_dir: Path) -> dict:
    from .crossencoder import describe

    return describe(model_dir)


def check_builtin(model_dir: Path) -> tuple[dict, Path, Blend | None]:
    """The built-in model's description, ranker file and blend (None: the cross-encoder, if any, gives
    features), checked (present, as recorded, trained on today's features); a ConfigError naming what is wrong."""
    from . import crossencoder

    description = crossencoder.describe(model_dir)
    blend = Blend.of(description)
    as_feature = bool(description.get("crossencoder")) and blend is None
    if tuple(description.get("features", ())) != NAMES + (CROSSENCODER_NAMES if as_feature else ()):
        raise ConfigError(f"the built-in reranker in {model_dir} was trained on other features; "
                          "retrain it with `python -m rag.learn reranker`")
    ranker = model_dir / description.get("ranker", {}).get("file", "ranker.txt")
    if not ranker.is_file():
        raise ConfigError(f"the built-in reranker's {ranker} is missing")
    if crossencoder.sha256(ranker) != description["ranker"].get("sha256"):
        raise ConfigError(f"the built-in reranker's {ranker} does not match the checksum in {crossencoder.DESCRIPTION}")
    if description.get("crossencoder"):
        crossencoder.weights_file(model_dir, description)
    return description, ranker, blend


def load_builtin(model_dir: Path, build_dir: Path):
    """The built-in model's ranker (a LightGBM booster), its int8 cross-encoder (or None), the
    passage window the cross-encoder reads (0: the whole passage) and how the cross-encoder joins
    the ranker's order (None: as its features); ConfigError naming a bad file."""
    from . import crossencoder

    description, ranker, blend = check_builtin(model_dir)
    try:
        import lightgbm

        booster = lightgbm.Booster(model_file=str(ranker))
    except Exception as exc:
        raise ConfigError(f"the built-in reranker's {ranker} is unreadable ({exc})") from None
    encoder = None
    spec = description.get("crossencoder")
    if spec:
        encoder = crossencoder.Int8CrossEncoder(crossencoder.prepare(model_dir, build_dir))
    return booster, encoder, int((spec or {}).get("window", 0)), blend


def make_reranker(settings) -> Reranker | LearnedRanker | None:
    """The ranking stage RERANKER names: none, builtin, a CrossEncoder folder or a /rerank URL."""
    value = settings.reranker
    if value.lower() in ("", "none"):
        return None
    if value.lower() == "builtin":
        return LearnedRanker(settings.reranker_path, settings.reranker_build_path, settings.rerank_timeout)
    scorer = make_scorer(value, settings.reranker_model, settings.reranker_api_key.get_secret_value())
    return Reranker(scorer, settings.rerank_timeout, settings.rerank_candidates)
