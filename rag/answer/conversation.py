"""Follow-up questions made standalone from the last turns of a conversation, without an LLM.

The rule is deliberately simple and predictable:

* A follow-up *depends on the conversation* when it opens with a continuation ("what about",
  "and", ...), or when it names nothing new (no capitalised name past its first word that the
  conversation has not used) and either refers back (a pronoun such as "it", "they" or
  "that") or is short (at most ``SHORT_WORDS`` content words): "When will it open?",
  "Who paid?". "Where will Lumetra build its factory?" names something new: standalone.
* Such a follow-up gets the key terms of the previous questions (most recent first, content
  words only, at most ``MAX_TERMS``, leaving out words it already has) put in front of it:
  "When will it open?" after "How much will the Riverton tram line cost?" becomes
  "Riverton tram line cost: When will it open?".
* What the previous answer found comes first: its bold short answer and the names its quoted
  sentences give ("Since when has she been prime minister?" after an answer naming Jacinda
  Ardern is asked about Ardern), then the previous questions' key terms.
* Any other follow-up is already standalone and is returned unchanged.

Previous questions are stored in their standalone form, so context carries over a chain of
follow-ups. The LLM answer mode can swap in an LLM condenser behind the same ``condense`` call.
"""

from __future__ import annotations

import re
from collections import OrderedDict, deque
from collections.abc import Hashable, Sequence

from ..core.types import MAX_TURNS, Turn

SHORT_WORDS = 3  # content words; "When will it open?" has one ("open")
MAX_TERMS = 6

_WORD = re.compile(r"[\w][\w'’.-]*\w|\w")

# Words that refer back to something said before.
REFERRING = frozenset(
    """
    it its it's itself they them their theirs themselves this that these those he him his she
    her hers there then such same former latter one ones
    """.split()
)
# Openers that continue the previous question.
CONTINUATIONS = ("what about", "how about", "and ", "also ", "but ", "so ", "then ", "what else")

# Function words and question words: not key terms.
STOP_WORDS = frozenset(
    """
    a an the and or but if so of to in on at by for from with without about into onto over under
    as than then too very just also only even still yet again more most less least much many
    few some any all each every both either neither no not nor own other another such
    is are was were be been being am do does did done doing have has had having will would
    shall should can could may might must need ought let lets
    i me my mine we us our ours you your yours
    what who whom whose which when where why how whether
    there here now news article articles say said says tell told know
    please thanks thank
    """.split()
) | REFERRING


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def content_words(text: str) -> list[str]:
    """Words of ``text`` that carry meaning (not function words, not pronouns)."""
    return [w for w in words(text) if w.lower().strip(".'’") not in STOP_WORDS]


def names(text: str) -> set[str]:
    """Capitalised words past the first one: the names a question mentions, lower-cased."""
    return {w.lower() for w in words(text)[1:] if w[:1].isupper()}


def refers_back(followup: str, history: Sequence[Turn] = ()) -> bool:
    """Whether a follow-up needs the conversation to be understood."""
    lowered = " ".join(followup.lower().split())
    if lowered.startswith(CONTINUATIONS):
        return True
    known = {w.lower() for turn in history for w in words(turn.question)}
    if names(followup) - known:
        return False  # it names a new subject
    if any(w.lower().strip(".'’") in REFERRING for w in words(followup)):
        return True
    return len(content_words(followup)) <= SHORT_WORDS


def key_terms(history: Sequence[Turn], exclude: str = "", limit: int = MAX_TERMS) -> list[str]:
    """Content words of the previous questions, most recent question first, without repeats."""
    seen = {w.lower() for w in words(exclude)}
    out: list[str] = []
    for turn in reversed(history):
        for w in content_words(turn.question):
            if w.lower() in seen:
                continue
            seen.add(w.lower())
            out.append(w)
            if len(out) == limit:
                return out
    return out


MAX_ANSWER_NAMES = 2
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_MARKERS = re.compile(r"\[\d+\]|[*“”\"]")


def answer_names(turn: Turn, exclude: str = "") -> list[str]:
    """What the turn's answer found: its bold short answer, then the names in its quoted sentences."""
    from ..core.extract import NAME, spans  # the same name spotting as short answers

    if not turn.answer:
        return []
    seen = {w.lower() for w in words(exclude)} | {w.lower() for w in words(turn.question)}
    out: list[str] = []
    found = [m.group(1) for m in _BOLD.finditer(turn.answer)]
    found += [s.text for s in spans(_MARKERS.sub(" ", turn.answer)) if s.kind == NAME]
    for name in found:
        if name.lower() in (n.lower() for n in out) or all(w.lower() in seen for w in words(name)):
            continue
        out.append(name)
        if len(out) == MAX_ANSWER_NAMES:
            break
    return out


def condense(history: Sequence[Turn], followup: str) -> str:
    """The follow-up as a standalone question (see the module docstring for the rule)."""
    followup = " ".join(followup.split())
    if not history or not followup or not refers_back(followup, history):
        return followup
    # What the last answer found names the subject ("she" is Jacinda Ardern); the earlier
    # questions' words say what was asked about it.
    found = answer_names(history[-1], exclude=followup)
    context = [*found, *key_terms(history, exclude=" ".join([followup, *found]), limit=MAX_TERMS - len(found))]
    if not context:
        return followup
    return f"{' '.join(context)}: {followup}"


class Conversations:
    """The last turns of recent conversations (e.g. Discord threads), in memory, bounded."""

    def __init__(self, max_conversations: int = 1000, max_turns: int = MAX_TURNS) -> None:
        self._max_conversations = max_conversations
        self._max_turns = max_turns
        self._turns: OrderedDict[Hashable, deque[Turn]] = OrderedDict()

    def __contains__(self, key: Hashable) -> bool:
        return key in self._turns

    def start(self, key: Hashable) -> None:
        """Open a conversation with no turns yet (a new thread)."""
        self._touch(key)

    def history(self, key: Hashable) -> tuple[Turn, ...]:
        return tuple(self._turns.get(key, ()))

    def add(self, key: Hashable, turn: Turn) -> None:
        self._touch(key).append(turn)

    def _touch(self, key: Hashable) -> deque[Turn]:
        turns = self._turns.get(key)
        if turns is None:
            turns = self._turns[key] = deque(maxlen=self._max_turns)
            while len(self._turns) > self._max_conversations:
                self._turns.popitem(last=False)
        else:
            self._turns.move_to_end(key)
        return turns
