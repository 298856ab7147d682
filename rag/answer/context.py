"""Passages as the model sees them: numbered once per answer, cut to fit the context window."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..core.instructions import instruction_spans
from ..core.text import split_sentences
from ..core.tokens import count_tokens
from ..core.types import Passage

__all__ = ["REMOVED", "Numbered", "PassageBook", "fit", "instruction_spans", "neutralise", "render", "render_one"]


REMOVED = "[text addressed to AI systems removed]"


def neutralise(text: str) -> str:
    """The text with the sentences that give orders (see :mod:`rag.core.instructions`) replaced by a marker.

    They are kept out of what the model reads and out of the evidence the verifier accepts.
    """
    for a, b in reversed(instruction_spans(text)):
        text = text[:a] + REMOVED + text[b:]
    return text


@dataclass(frozen=True)
class Numbered:
    """A passage shown to the model as ``[n]``; ``text`` is the part of it that fitted."""

    n: int
    passage: Passage
    text: str


class PassageBook:
    """Gives each passage a number the first time it is shown, so ``[n]`` is stable across searches."""

    def __init__(self) -> None:
        self._by_chunk: dict[str, Numbered] = {}
        self._by_n: dict[int, Numbered] = {}

    def add(self, passages: Sequence[Passage]) -> list[Numbered]:
        out = []
        for p in passages:
            item = self._by_chunk.get(p.chunk.id)
            if item is None:
                item = Numbered(len(self._by_n) + 1, p, p.chunk.text)
                self._by_chunk[p.chunk.id] = item
                self._by_n[item.n] = item
            out.append(item)
        return out

    def shown(self, items: Sequence[Numbered]) -> None:
        """Record the (possibly cut) text the model was actually shown."""
        for item in items:
            self._by_n[item.n] = item
            self._by_chunk[item.passage.chunk.id] = item

    def get(self, n: int) -> Numbered | None:
        return self._by_n.get(n)

    def __len__(self) -> int:
        return len(self._by_n)


def render_one(item: Numbered) -> str:
    c = item.passage.chunk
    meta = ", ".join(x for x in (c.source, c.published.isoformat() if c.published else "undated") if x)
    return f"[{item.n}] {neutralise(c.title)} ({meta})\n{neutralise(item.text)}"


def render(items: Sequence[Numbered]) -> str:
    return "\n\n".join(render_one(i) for i in items)


def _cut_last_sentence(text: str) -> str:
    spans = split_sentences(text)
    if len(spans) <= 1:
        return ""
    return text[:spans[-2][1]]


def fit(items: Sequence[Numbered], budget: int) -> list[Numbered]:
    """Cut the longest passages at sentence boundaries until all fit in ``budget`` tokens.

    A passage cut to nothing is left out; order and numbers are kept.
    """
    items = list(items)
    sizes = [count_tokens(render_one(i)) + 2 for i in items]
    while items and sum(sizes) > budget:
        longest = max(range(len(items)), key=sizes.__getitem__)
        shorter = _cut_last_sentence(items[longest].text)
        if shorter:
            items[longest] = Numbered(items[longest].n, items[longest].passage, shorter)
            sizes[longest] = count_tokens(render_one(items[longest])) + 2
        else:
            del items[longest], sizes[longest]
    return items
