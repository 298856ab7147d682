"""One typed settings object, read from the environment (and `.env` at the entry points)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it."""


def load_dotenv_once(path: str | os.PathLike | None = None) -> None:
    """Load `.env` into the process environment without overriding what is already set."""
    from dotenv import load_dotenv

    load_dotenv(dotenv_path=path or Path.cwd() / ".env", override=False)


def _int(env: Mapping[str, str], key: str, default: int, minimum: int | None = None) -> int:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{key} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise SettingsError(f"{key} must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], key: str, default: float) -> float:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{key} must be a number, got {raw!r}") from None


def _ids(env: Mapping[str, str], key: str) -> tuple[int, ...]:
    raw = env.get(key, "").replace(",", " ").split()
    try:
        return tuple(int(x) for x in raw)
    except ValueError:
        raise SettingsError(f"{key} must be a comma-separated list of numeric ids, got {env[key]!r}") from None


# --- Discord bot settings: parsing helpers ------------------------------------------

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _bool(env: Mapping[str, str], key: str, default: bool) -> bool:
    raw = env.get(key, "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise SettingsError(f"{key} must be true or false, got {env[key]!r}")


def _seconds(env: Mapping[str, str], key: str, default: float) -> float:
    value = _float(env, key, default)
    if value < 0:
        raise SettingsError(f"{key} must be zero or more seconds, got {value}")
    return value


def _optional_path(env: Mapping[str, str], key: str) -> Path | None:
    raw = env.get(key, "").strip()
    return Path(raw) if raw else None

# --- end of the Discord bot parsing helpers --------------------------------------------


def _feed_urls(env: Mapping[str, str], key: str) -> tuple[str, ...]:
    """Comma- or whitespace-separated http(s) URLs, without duplicates."""
    from urllib.parse import urlsplit

    urls = env.get(key, "").replace(",", " ").split()
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise SettingsError(f"{key} must be http or https URLs separated by commas or spaces, got {url!r}")
    return tuple(dict.fromkeys(urls))


def _networks(env: Mapping[str, str], key: str) -> tuple[str, ...]:
    """Comma- or whitespace-separated IP networks (``10.0.0.0/8``) or addresses (``127.0.0.1``)."""
    import ipaddress

    out = []
    for raw in env.get(key, "").replace(",", " ").split():
        try:
            out.append(str(ipaddress.ip_network(raw, strict=False)))
        except ValueError:
            raise SettingsError(f"{key} must be IP networks or addresses separated by commas, such as "
                                f"10.0.0.0/8, got {raw!r}") from None
    return tuple(out)


def _choice(env: Mapping[str, str], key: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(key, "").strip().lower() or default
    if value not in choices:
        raise SettingsError(f"{key} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _runtime(env: Mapping[str, str], default: str) -> str:
    if env.get("EMBEDDING_RUNTIME", "").strip().lower() == "onnx-int8":
        raise SettingsError(
            "EMBEDDING_RUNTIME=onnx-int8 was replaced by ct2-int8 (faster, and closer to the packaged "
            "model): set EMBEDDING_RUNTIME=ct2-int8 or remove the line, then rebuild the index with "
            "`python -m rag index --full`"
        )
    return _choice(env, "EMBEDDING_RUNTIME", default, ("ct2-int8", "torch"))


@dataclass(frozen=True)
class Settings:
    """Every knob of the bot; `.env.example` documents each one."""

    corpus_dir: Path = Path("corpus")
    data_dir: Path = Path("data")
    max_file_mb: int = 20

    # Embeddings
    embedding_provider: str = "local"  # local | openai | ollama
    embedding_model: str = "all-MiniLM-L6-v2"
    embedding_batch_size: int = 64
    embedding_runtime: str = "ct2-int8"  # ct2-int8 | torch (local provider only)
    embedding_base_url: str = ""
    embedding_api_key: str = ""

    # Chunking (cl100k_base tokens)
    chunk_tokens: int = 200
    chunk_overlap: int = 40

    # Chroma server mode (empty host = embedded on-disk store in data_dir)
    chroma_host: str = ""
    chroma_port: int = 8000
    chroma_token: str = ""
    chroma_ssl: bool = False
    collection: str = "news"

    # Retrieval and answers
    top_k: int = 5
    candidates: int = 40
    max_question_tokens: int = 200
    min_relevance: float = 0.40  # cosine similarity a passage needs to count as on topic (summaries)
    time_windows: str = "boost"  # boost | filter | off: what "this week" in a question does (bench: boost)
    min_evidence: float = 0.45  # score the best answer sentence needs; below it: "does not cover"
    reranker: str = "none"  # none | a CrossEncoder model folder | an http(s) /rerank endpoint URL
    reranker_model: str = ""  # the "model" field of endpoint requests (vLLM, Jina); empty = not sent
    reranker_api_key: str = ""
    rerank_timeout: float = 2.0  # seconds; slower or failed reranking keeps the fused order
    rerank_candidates: int = 20  # fused passages the reranker reorders

    # LLM answer mode (LLM_PROVIDER=none keeps the extractive answers)
    llm_provider: str = "none"  # none | openai | anthropic | ollama | any init_chat_model provider
    llm_model: str = ""
    llm_base_url: str = ""
    llm_api_key: str = ""
    llm_temperature: float = 0.0
    llm_timeout: float = 60.0
    llm_max_retries: int = 1
    llm_max_output_tokens: int = 400
    llm_context_tokens: int = 4096
    llm_tool_calling: str = "auto"  # auto | on | off
    llm_max_searches: int = 3
    unsupported_sentences: str = "drop"  # drop | flag

    # Feed subscriptions (rag/feeds.py); feeds added with /feeds add are kept in data_dir/feeds.json
    feeds: tuple[str, ...] = ()  # RSS/Atom URLs always synced
    feed_interval_minutes: int = 15  # the bot syncs every this many minutes; 0 = only on request
    feed_timeout: float = 20.0  # seconds per feed or page request
    feed_max_page_mb: float = 5.0  # a larger feed or page is not read
    feed_host_delay: float = 2.0  # seconds between two requests to the same host
    feed_max_entries: int = 50  # newest entries looked at per feed per sync
    feed_allowed_networks: tuple[str, ...] = ()  # non-public networks feeds and pages may come from

    # --- Discord bot (bot.py, newsbot.py, cogs/) ------------------------------------
    discord_token: str = ""  # secret; without it bot.py starts the terminal chat instead
    discord_guild_id: int | None = None  # sync commands to this server only (instant); None = globally
    allowed_channel_ids: tuple[int, ...] = ()  # where mentions are answered; empty = every channel
    admin_role_ids: tuple[int, ...] = ()  # may run /reindex, besides members with Manage Server
    admin_user_ids: tuple[int, ...] = ()
    thread_followups_without_mention: bool = False  # needs the privileged message-content intent
    cooldown_seconds: float = 10.0  # per user, between questions (and summaries)
    feedback_db: Path | None = None  # SQLite file for answer ratings; None = data_dir/feedback.sqlite3

    @property
    def feedback_path(self) -> Path:
        return self.feedback_db or self.data_dir / "feedback.sqlite3"
    # --- end of the Discord bot block ------------------------------------------------

    log_level: str = "INFO"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from a mapping (default: the process environment)."""
        env = os.environ if env is None else env
        d = cls()
        return cls(
            corpus_dir=Path(env.get("CORPUS_DIR", "").strip() or d.corpus_dir),
            data_dir=Path(env.get("DATA_DIR", "").strip() or d.data_dir),
            max_file_mb=_int(env, "MAX_FILE_MB", d.max_file_mb, minimum=1),
            embedding_provider=_choice(env, "EMBEDDING_PROVIDER", d.embedding_provider,
                                       ("local", "openai", "ollama")),
            embedding_model=env.get("EMBEDDING_MODEL", "").strip() or d.embedding_model,
            embedding_batch_size=_int(env, "EMBEDDING_BATCH_SIZE", d.embedding_batch_size, minimum=1),
            embedding_runtime=_runtime(env, d.embedding_runtime),
            embedding_base_url=env.get("EMBEDDING_BASE_URL", "").strip(),
            embedding_api_key=env.get("EMBEDDING_API_KEY", "").strip(),
            chunk_tokens=_int(env, "CHUNK_TOKENS", d.chunk_tokens, minimum=32),
            chunk_overlap=_int(env, "CHUNK_OVERLAP", d.chunk_overlap, minimum=0),
            chroma_host=env.get("CHROMA_HOST", "").strip(),
            chroma_port=_int(env, "CHROMA_PORT", d.chroma_port, minimum=1),
            chroma_token=env.get("CHROMA_TOKEN", "").strip(),
            chroma_ssl=_bool(env, "CHROMA_SSL", d.chroma_ssl),
            collection=env.get("CHROMA_COLLECTION", "").strip() or d.collection,
            top_k=_int(env, "TOP_K", d.top_k, minimum=1),
            candidates=_int(env, "CANDIDATES", d.candidates, minimum=1),
            max_question_tokens=_int(env, "MAX_QUESTION_TOKENS", d.max_question_tokens, minimum=8),
            min_relevance=_float(env, "MIN_RELEVANCE", d.min_relevance),
            time_windows=_choice(env, "TIME_WINDOWS", d.time_windows, ("filter", "boost", "off")),
            min_evidence=_float(env, "MIN_EVIDENCE", d.min_evidence),
            reranker=env.get("RERANKER", "").strip() or d.reranker,
            reranker_model=env.get("RERANKER_MODEL", "").strip(),
            reranker_api_key=env.get("RERANKER_API_KEY", "").strip(),
            rerank_timeout=_float(env, "RERANK_TIMEOUT", d.rerank_timeout),
            rerank_candidates=_int(env, "RERANK_CANDIDATES", d.rerank_candidates, minimum=1),
            llm_provider=env.get("LLM_PROVIDER", "").strip().lower() or d.llm_provider,
            llm_model=env.get("LLM_MODEL", "").strip(),
            llm_base_url=env.get("LLM_BASE_URL", "").strip(),
            llm_api_key=env.get("LLM_API_KEY", "").strip(),
            llm_temperature=_float(env, "LLM_TEMPERATURE", d.llm_temperature),
            llm_timeout=_float(env, "LLM_TIMEOUT", d.llm_timeout),
            llm_max_retries=_int(env, "LLM_MAX_RETRIES", d.llm_max_retries, minimum=0),
            llm_max_output_tokens=_int(env, "LLM_MAX_OUTPUT_TOKENS", d.llm_max_output_tokens, minimum=16),
            llm_context_tokens=_int(env, "LLM_CONTEXT_TOKENS", d.llm_context_tokens, minimum=512),
            llm_tool_calling=_choice(env, "LLM_TOOL_CALLING", d.llm_tool_calling, ("auto", "on", "off")),
            llm_max_searches=_int(env, "LLM_MAX_SEARCHES", d.llm_max_searches, minimum=1),
            unsupported_sentences=_choice(env, "UNSUPPORTED_SENTENCES", d.unsupported_sentences,
                                          ("drop", "flag")),
            feeds=_feed_urls(env, "FEEDS"),
            feed_interval_minutes=_int(env, "FEED_INTERVAL_MINUTES", d.feed_interval_minutes, minimum=0),
            feed_timeout=_float(env, "FEED_TIMEOUT", d.feed_timeout),
            feed_max_page_mb=_float(env, "FEED_MAX_PAGE_MB", d.feed_max_page_mb),
            feed_host_delay=_seconds(env, "FEED_HOST_DELAY", d.feed_host_delay),
            feed_max_entries=_int(env, "FEED_MAX_ENTRIES", d.feed_max_entries, minimum=1),
            feed_allowed_networks=_networks(env, "FEED_ALLOWED_NETWORKS"),
            # --- Discord bot
            discord_token=env.get("DISCORD_TOKEN", "").strip(),
            discord_guild_id=_int(env, "DISCORD_GUILD_ID", 0, minimum=0) or None,
            allowed_channel_ids=_ids(env, "ALLOWED_CHANNEL_IDS"),
            admin_role_ids=_ids(env, "ADMIN_ROLE_IDS"),
            admin_user_ids=_ids(env, "ADMIN_USER_IDS"),
            thread_followups_without_mention=_bool(env, "THREAD_FOLLOWUPS_WITHOUT_MENTION",
                                                   d.thread_followups_without_mention),
            cooldown_seconds=_seconds(env, "COOLDOWN_SECONDS", d.cooldown_seconds),
            feedback_db=_optional_path(env, "FEEDBACK_DB"),
            # --- end of the Discord bot block
            log_level=_choice(env, "LOG_LEVEL", d.log_level.lower(),
                              ("debug", "info", "warning", "error", "critical")).upper(),
        ).validated()

    def replace(self, **changes) -> Settings:
        """A copy with the given fields changed."""
        return replace(self, **changes)

    def validated(self) -> Settings:
        if self.chunk_overlap >= self.chunk_tokens // 2:
            raise SettingsError("CHUNK_OVERLAP must be less than half of CHUNK_TOKENS")
        if self.embedding_provider == "openai" and not (self.embedding_api_key or self.embedding_base_url):
            raise SettingsError("EMBEDDING_PROVIDER=openai needs EMBEDDING_API_KEY (or EMBEDDING_BASE_URL)")
        if self.llm_provider != "none" and not self.llm_model:
            raise SettingsError(f"LLM_PROVIDER={self.llm_provider} needs LLM_MODEL")
        if self.llm_timeout <= 0:
            raise SettingsError("LLM_TIMEOUT must be positive")
        if self.rerank_timeout <= 0:
            raise SettingsError("RERANK_TIMEOUT must be positive")
        self._check_reranker()
        if self.feed_timeout <= 0:
            raise SettingsError("FEED_TIMEOUT must be positive")
        if self.feed_max_page_mb <= 0:
            raise SettingsError("FEED_MAX_PAGE_MB must be positive")
        return self

    def _check_reranker(self) -> None:
        from urllib.parse import urlsplit

        value = self.reranker
        if value.lower() == "none":
            return
        if value.lower().startswith(("http://", "https://")):
            if not urlsplit(value).hostname:
                raise SettingsError(f"RERANKER must be none, a CrossEncoder model folder or an http(s) URL "
                                    f"of a /rerank endpoint, got {value!r}")
            return
        if not (Path(value).expanduser() / "config.json").is_file():
            raise SettingsError(f"RERANKER={value} is not a CrossEncoder model folder (no config.json there); "
                                "set it to none, a model folder or an http(s) /rerank URL")

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024

    @property
    def llm_enabled(self) -> bool:
        return self.llm_provider != "none"

    def describe(self) -> dict[str, str]:
        """Settings as strings, secrets masked, for logs and /status."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.endswith(("_token", "_key")) and value:
                value = "***"
            out[f.name] = str(value)
        return out
