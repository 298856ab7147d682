"""Examples for the help and the hints, drawn from the index itself: what its newest articles are about.

The bot shows examples in /help, in the hint for an empty question and in the hint for a mention
without one. They come from the committed generation: the name its newest articles' titles share
most (a person, a company, a place; else the newest title's first name), the newest article's title,
the outlet with the most articles, and the first and last day of the newest week that has articles. An empty index gets neutral ones
that name no story. Pure: the indexed articles in, examples out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from ..core.mentions import names
from ..core.types import ArticleRef

RECENT_DAYS = 7  # the newest week with articles: its titles give the topic, its days the date range
RECENT_TITLES = 200  # at most this many of its newest titles are read
MAX_TOPIC_WORDS = 4  # "Jacinda Ardern", not "New Zealand Prime Minister Jacinda Ardern"
NEUTRAL_QUESTION = "What happened this week?"
# A page title's suffix naming its site ("... | The Week UK", "... - CNN"): not what the article is about.
_SITE_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—-]{1,40}$")


@dataclass(frozen=True)
class Examples:
    """What the bot's examples name: each drawn from the index, or neutral when it is empty."""

    question: str  # "What happened with Jacinda Ardern?", or NEUTRAL_QUESTION
    topic: str  # "Jacinda Ardern"; "" when no name recurs
    title: str  # the newest article's title; "" when nothing is indexed
    outlet: str  # the outlet with the most articles; "" when none is named
    since: date  # the newest week with articles: its first day ...
    until: date  # ... and its last

    @classmethod
    def neutral(cls, today: date) -> Examples:
        """Examples that name no story, for an empty index: this week's question and dates."""
        return cls(NEUTRAL_QUESTION, "", "", "", today - timedelta(days=RECENT_DAYS - 1), today)


def _title(title: str) -> str:
    return _SITE_SUFFIX.sub("", " ".join(title.split()))


def _topic(titles: list[str], outlets: set[str]) -> str:
    """The name most of ``titles`` mention (the newest title's wins a tie), not an outlet's, at most
    MAX_TOPIC_WORDS words; "" when the titles name nothing.

    A name counts in every title that holds it, also inside a longer name ("Jacinda Ardern" in "New
    Zealand Prime Minister Jacinda Ardern resigns"). A title's first word is capitalised anyway
    ("Militants attack ..."): alone, such a word must be in two titles to be a name.
    """
    candidates: dict[str, bool] = {}  # name -> seen where its capital says it is one
    for title in titles:  # newest first
        for name in names(title):
            words = name.text.split()
            if len(words) > MAX_TOPIC_WORDS or name.title_only or any(p in outlets for p in name.parts):
                continue
            candidates[name.text] = candidates.get(name.text, False) or name.start > 0 or len(words) > 1
    counts = {name: sum(1 for t in titles if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", t))
              for name in candidates}
    ranked = sorted((n for n in candidates if candidates[n] or counts[n] > 1), key=lambda n: -counts[n])
    return ranked[0] if ranked else ""


def _outlet_words(outlets: list[str]) -> set[str]:
    """The words of the outlets' names ("theweek.co.uk" -> {"theweek", "week", ...}): not topics."""
    words = set()
    for outlet in outlets:
        for word in re.findall(r"[a-z]+", outlet.lower()):
            words.add(word)
            if word.startswith("the") and len(word) > 5:
                words.add(word[3:])
    return words - {"news", "co", "com", "uk", "org", "net", "www"}


def examples(articles: Iterable[ArticleRef], today: date) -> Examples:
    """Examples from the indexed ``articles`` (see the module docstring); neutral when there are none."""
    refs = sorted(articles, key=lambda a: a.published or date.min, reverse=True)  # newest first, undated last
    if not refs:
        return Examples.neutral(today)
    outlets = Counter(a.source for a in refs if a.source)
    dated = [a.published for a in refs if a.published]
    until = dated[0] if dated else today
    since = max(until - timedelta(days=RECENT_DAYS - 1), dated[-1] if dated else date.min)
    recent = [a for a in refs if not dated or (a.published and a.published >= since)]
    titles = [_title(a.title) for a in recent[:RECENT_TITLES] if a.title]
    topic = _topic(titles, _outlet_words(list(outlets)))
    return Examples(f"What happened with {topic}?" if topic else NEUTRAL_QUESTION, topic, _title(refs[0].title),
                    outlets.most_common(1)[0][0] if outlets else "", since, until)
