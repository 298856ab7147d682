"""Prompt templates from `prompts/`, checked against the placeholders the code fills."""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import ConfigError

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"

# Each template and the placeholders the code fills in.
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "answer_system": frozenset({"max_sentences"}),
    "answer_user": frozenset({"passages", "question", "hints"}),
    "agent_system": frozenset({"max_searches", "max_sentences"}),
    "condense": frozenset({"history", "question"}),
    "summarize_article": frozenset({"passages", "title", "max_sentences"}),
    "summarize_topic": frozenset({"passages", "topic", "max_sentences"}),
    "summarize_reduce": frozenset({"notes", "subject", "max_sentences"}),
}


class PromptError(ConfigError):
    """A template is missing, or its placeholders do not match what the code fills in."""


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


@dataclass(frozen=True)
class Prompts:
    templates: dict[str, str]

    def render(self, name: str, **values: object) -> str:
        missing = PLACEHOLDERS[name] - values.keys()
        if missing:
            raise PromptError(f"prompt {name!r} needs values for: {', '.join(sorted(missing))}")
        return self.templates[name].format(**{k: values[k] for k in PLACEHOLDERS[name]})


def load_prompts(folder: Path = PROMPTS_DIR) -> Prompts:
    """Read and check every template; raises PromptError naming the first problem."""
    templates = {}
    for name, expected in PLACEHOLDERS.items():
        path = folder / f"{name}.txt"
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise PromptError(f"prompt template {path} is missing") from None
        try:
            found = placeholders(text)
        except ValueError as exc:
            raise PromptError(f"prompt template {path} is malformed: {exc}") from None
        if expected - found:
            raise PromptError(f"prompt template {path} lacks placeholder(s): "
                              + ", ".join("{" + p + "}" for p in sorted(expected - found)))
        if found - expected:
            raise PromptError(f"prompt template {path} uses unknown placeholder(s): "
                              + ", ".join("{" + p + "}" for p in sorted(found - expected)))
        templates[name] = text
    return Prompts(templates)
