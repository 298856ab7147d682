"""Recent answers in memory, so buttons and /sources can show what an answer was built from."""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass

from rag.types import Answer


@dataclass(frozen=True)
class Remembered:
    key: str
    answer: Answer
    user_id: int


class AnswerMemory:
    """The last ``capacity`` answers by key, and each user's latest; forgotten on restart."""

    def __init__(self, capacity: int = 1000) -> None:
        self._capacity = capacity
        self._answers: OrderedDict[str, Remembered] = OrderedDict()
        self._latest: dict[int, str] = {}

    def remember(self, user_id: int, answer: Answer) -> str:
        key = secrets.token_hex(6)
        self._answers[key] = Remembered(key, answer, user_id)
        self._latest[user_id] = key
        while len(self._answers) > self._capacity:
            old_key, old = self._answers.popitem(last=False)
            if self._latest.get(old.user_id) == old_key:
                del self._latest[old.user_id]
        return key

    def get(self, key: str) -> Remembered | None:
        return self._answers.get(key)

    def latest(self, user_id: int) -> Remembered | None:
        key = self._latest.get(user_id)
        return self._answers.get(key) if key else None
