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
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Protocol

from ..core.errors import ConfigError

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
    """Reorders passages by a scorer's relevance within a time budget; on failure keeps their order."""

    def __init__(self, scorer: Scorer, timeout: float) -> None:
        self.scorer = scorer
        self.timeout = timeout
        # One worker: the budget is enforced by waiting on it, and a call that overran
        # finishes in the background without holding up the answer.
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rerank")

    def rerank(self, query: str, items: Sequence, texts: Sequence[str]) -> list:
        """``items`` best first by the scorer's score for each of ``texts``, or as given when it fails."""
        if len(items) < 2:
            return list(items)
        future = self._pool.submit(self.scorer.scores, query, list(texts), self.timeout)
        try:
            scores = future.result(timeout=self.timeout)
        except FutureTimeout:
            log.warning("reranker took longer than %.1f s; keeping the fused order", self.timeout)
            return list(items)
        except (OSError, ValueError, urllib.error.URLError) as exc:
            log.warning("reranker failed (%s); keeping the fused order", exc)
            return list(items)
        except Exception:  # a model or server error must not cost the answer
            log.exception("reranker failed; keeping the fused order")
            return list(items)
        if len(scores) != len(items):
            log.warning("reranker returned %d scores for %d passages; keeping the fused order",
                        len(scores), len(items))
            return list(items)
        order = sorted(range(len(items)), key=lambda i: -scores[i])  # stable: ties keep the fused order
        return [items[i] for i in order]
