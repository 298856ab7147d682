"""Chat models through LangChain, chosen by settings; calls bounded by a hard deadline."""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from langchain_core.language_models import BaseChatModel

from ..core.errors import ConfigError, RagError
from ..core.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_HUNG_CALLS = 16  # abandoned calls still running past which new calls are refused (ModelCalls)


class LLMUnavailable(RagError):
    """The model failed, timed out or answered in a form that cannot be used."""


def make_chat_model(settings: Settings) -> BaseChatModel | None:
    """The chat model the settings ask for, or None in extractive mode."""
    provider = settings.llm_provider
    if provider == "none":
        return None
    common = dict(temperature=settings.llm_temperature, timeout=settings.llm_timeout,
                  max_retries=settings.llm_max_retries, max_tokens=settings.llm_max_output_tokens)
    if provider == "openai":
        from langchain_openai import ChatOpenAI

        # Local OpenAI-compatible servers (vLLM, llama.cpp, LM Studio, Ollama) accept any key.
        return ChatOpenAI(model=settings.llm_model, base_url=settings.llm_base_url or None,
                          api_key=settings.llm_api_key.get_secret_value() or "not-needed", **common)
    from langchain.chat_models import init_chat_model

    extra = {}
    if settings.llm_base_url:
        extra["base_url"] = settings.llm_base_url
    if settings.llm_api_key.get_secret_value():
        extra["api_key"] = settings.llm_api_key.get_secret_value()
    try:
        return init_chat_model(settings.llm_model, model_provider=provider, **common, **extra)
    except ImportError as exc:
        raise ConfigError(f"LLM_PROVIDER={provider} needs its LangChain package: {exc}") from exc
    except ValueError as exc:
        raise ConfigError(f"LLM_PROVIDER={provider}: {exc}") from exc


def describe(settings: Settings) -> str:
    if not settings.llm_enabled:
        return "extractive (no LLM)"
    where = f" at {settings.llm_base_url}" if settings.llm_base_url else ""
    return f"generative ({settings.llm_provider}:{settings.llm_model}{where})"


class ModelCalls:
    """Runs model calls under a hard deadline; one is owned by the service, shared by its answers.

    Each call runs in a thread of its own, abandoned at the deadline. (On a shared pool a hung
    call kept its worker, since a running future cannot be cancelled: four of them filled the
    pool and every later question timed out in its queue.) Abandoned calls end when the
    provider's own timeout fires; while ``max_hung`` of them are still hanging, new calls are
    refused at once. There is nothing to shut down: an abandoned call cannot be stopped, and
    its thread is a daemon that ends with it.
    """

    def __init__(self, max_hung: int = MAX_HUNG_CALLS) -> None:
        self.max_hung = max_hung
        self._hung: set[threading.Thread] = set()
        self._lock = threading.Lock()

    def hung(self) -> int:
        """How many abandoned calls are still running."""
        with self._lock:
            return sum(t.is_alive() for t in self._hung)

    def call(self, fn: Callable[[], T], seconds: float, limit: float | None = None) -> T:
        """Run ``fn`` and give up after ``seconds``: a slow provider never holds up an answer.

        ``limit`` is the configured timeout named in the message (default: ``seconds``).
        """
        with self._lock:
            self._hung.difference_update([t for t in self._hung if not t.is_alive()])
            if len(self._hung) >= self.max_hung:
                raise LLMUnavailable(f"the language model has not answered {len(self._hung)} earlier calls; "
                                     "answering without it until they end")
        future: concurrent.futures.Future = concurrent.futures.Future()

        def run() -> None:
            future.set_running_or_notify_cancel()
            try:
                future.set_result(fn())
            except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
                future.set_exception(exc)

        worker = threading.Thread(target=run, name="llm-call", daemon=True)
        worker.start()
        try:
            return future.result(timeout=seconds)
        except concurrent.futures.TimeoutError as exc:
            if not future.done():
                with self._lock:
                    self._hung.add(worker)
                raise LLMUnavailable(
                    f"the language model did not answer within {limit or seconds:g}s") from None
            # The provider itself raised a timeout error.
            log.warning("language model call failed: %s", exc)
            raise LLMUnavailable(f"the language model failed ({type(exc).__name__})") from exc
        except RagError:
            raise
        except Exception as exc:  # provider errors: rate limits, connection errors, bad requests
            log.warning("language model call failed: %s", exc, exc_info=log.isEnabledFor(logging.DEBUG))
            raise LLMUnavailable(f"the language model failed ({type(exc).__name__})") from exc
