"""The names a question or a topic gives, and whether the passages found for it mention them.

A question naming something no passage mentions is answered only with strong evidence (or refused,
saying so); a bold answer must come from articles that mention what the question names; a timeline
or a topic summary keeps to the articles that mention the topic's names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..core import extract
from ..core.types import Passage


# Capitalised adjectives of nations and peoples ("European", "Canadian", "British", "Chinese").
_ADJECTIVE = re.compile(r"(?:ean|ian|ish|ese)$")


def named(question: str, opening: bool = False) -> list[tuple[str, list[str]]]:
    """The names a question (or a topic) gives, each with its words of three letters or more.

    A capitalised word opening a sentence of the question is not taken for a name ("Huge crowds")
    unless ``opening`` (a topic's first word is mostly its name: "Kessel river bridge"), nor the
    word for a people ("European", "British")."""
    starts = set() if opening else {m.end() for m in re.finditer(r"(?:^|[.!?:]\s+)[\"“‘']?", question)}
    out: list[tuple[str, list[str]]] = []
    for span in extract.spans(question):
        if span.kind != extract.NAME or any(span.text == n for n, _ in out):
            continue
        words = [w for w in re.findall(r"\w+", span.text.lower()) if len(w) > 2]  # not "U", "S"
        if not words or (len(words) == 1 and (span.start in starts or _ADJECTIVE.search(words[0]))):
            continue
        out.append((span.text, words))
    return out


def mentions_name(name: tuple[str, list[str]], passages: Sequence[Passage]) -> bool:
    """Whether the passages (text or title) mention a name of :func:`named`, in full or word by word."""
    seen = " ".join(f"{p.chunk.title}\n{p.chunk.text}" for p in passages).lower()
    return name[0].lower() in seen or set(name[1]) <= set(re.findall(r"\w+", seen))


def on_topic(topic: str, passages: Sequence[Passage]) -> list[Passage]:
    """The passages that mention every name the topic gives which any of them mentions: a timeline
    of "East Palestine train derailment" leaves out another town's derailment. When the topic gives
    names and none of the passages mentions any of them, none is on the topic ("Tyre Nichols" found
    only stories close in meaning)."""
    given = named(topic, opening=True)
    names = [n for n in given if mentions_name(n, passages)]
    if given and not names:
        return []
    return [p for p in passages if all(mentions_name(n, [p]) for n in names)]


def split_names(question: str, passages: Sequence[Passage]) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """The names the question gives (:func:`named`) that the passages mention, and the ones no passage
    (text or title) mentions, in full or word by word."""
    mentioned, missing = [], []
    for n in named(question):
        if mentions_name(n, passages):
            mentioned.append(n)
        else:
            missing.append(n[0])
    return mentioned, missing


def missing_names(question: str, passages: Sequence[Passage]) -> list[str]:
    """Names the question gives that no passage (text or title) mentions, in full or word by word."""
    return split_names(question, passages)[1]
