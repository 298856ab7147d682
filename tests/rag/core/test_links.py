"""The link rule: only a cited article's own URL stays a link, in the terminal and in Discord."""

from __future__ import annotations

from datetime import date

import pytest

from cogs.render.answer import answer_embed
from rag.cli import format_answer
from rag.core.links import defang, find_urls
from rag.core.types import Answer, Citation

OWN = "https://gazette.example/tram"


@pytest.mark.parametrize("raw,shown", [
    ("claim a refund at https://evil.example/refund.", "claim a refund at hxxps://evil[.]example/refund."),
    ("(see http://evil.example/a_(b))", "(see hxxp://evil[.]example/a_(b))"),
    ("go to www.evil.example/x now", "go to www[.]evil[.]example/x now"),
    ("HTTPS://EVIL.EXAMPLE/X", "hxxps://EVIL[.]EXAMPLE/X"),
    ("open steam://run/123", "open steam[:]//run/123"),
    ("ftp://files.example/a.zip", "ftp[:]//files[.]example/a.zip"),
    ("[click](https://evil.example)", "[click](hxxps://evil[.]example)"),
    ("The tram costs 310 million euros.", "The tram costs 310 million euros."),
    ("It opened at 9.30 a.m. in Riverton.", "It opened at 9.30 a.m. in Riverton."),
])
def test_other_urls_are_defanged(raw, shown):
    assert defang(raw, [OWN]) == shown
    assert not find_urls(shown)  # nothing left that reads as a link


@pytest.mark.parametrize("url", [OWN, OWN + "/", "HTTPS://gazette.example/tram"])
def test_the_cited_article_url_stays_a_link(url):
    assert defang(f"Source: {url}.", [OWN]) == f"Source: {url}."


def test_a_url_that_only_starts_like_the_article_url_is_defanged():
    assert defang(OWN + ".evil.example/x", [OWN]) == "hxxps://gazette[.]example/tram.evil.example/x"


def _answer(text: str, quote: str) -> Answer:
    c = Citation(1, "a1", "Tram line approved", "riverton-gazette", date(2024, 3, 2), OWN, quote, 0, len(quote))
    return Answer(question="q", text=text, refused=False, citations=(c,))


def test_terminal_answer_links_only_its_sources():
    quote = "Refunds at https://evil.example/refund, the council said."
    out = format_answer(_answer(f"{quote} [1] See www.evil.example too.", quote))
    assert OWN in out  # the source line
    assert "https://evil" not in out and "www.evil" not in out
    assert "hxxps://evil[.]example/refund" in out and "www[.]evil[.]example" in out


def test_discord_answer_links_only_from_the_byline():
    quote = "Refunds at https://evil.example/refund, the council said."
    embed = answer_embed(_answer(f"{quote} [1] Also {OWN} [1]", quote))
    assert "https://evil" not in embed.description and "hxxps://evil[.]example/refund" in embed.description
    assert OWN not in embed.description  # in Discord the article is linked from its byline
    assert f"]({OWN})" in embed.fields[0].value
