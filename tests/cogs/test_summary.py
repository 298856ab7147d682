"""/summary article and /summary topic. The two summaries come from the real core (a real index of the
bot corpus, through ``rag``); how Discord enforces the subcommands and a title typed by hand run on
the fake service."""

from __future__ import annotations

from datetime import date

import discord
import pytest
import simcord

from cogs.render.limits import safe
from cogs.render.shared import renumbered
from rag.core.errors import NotFound, QuestionError
from rag.core.text import jaccard, shingles
from rag.sources.ingest import load_corpus

from tests.cogs.world import GUILD_ID, PORT_SUMMARY, article_id, bot_messages, embed_of


@pytest.fixture(scope="module")
def texts(rag) -> dict[str, str]:
    articles, _ = load_corpus(rag.settings.corpus_dir)
    return {a.id: a.text for a in articles}


async def test_summary_of_an_article_chosen_by_title(real_world, rag, texts):
    world = real_world
    choices = await world.alice.autocomplete(world.channel, "summary article", "article", "deep-water")
    assert len(choices) == 1 and choices[0]["name"].startswith("Port Aldine approves a deep-water terminal")

    result = await world.alice.slash(world.channel, "summary article", article=choices[0]["value"])

    embed = embed_of(result.response)
    assert embed.title == "Summary: Port Aldine approves a deep-water terminal"
    expected = rag.summarize_article(choices[0]["value"])
    assert 3 <= len(expected.citations) <= 6
    # One article: one source, [1], and no line on how current it is (its date is in the source line).
    assert embed.description == safe(renumbered(expected.text, expected.citations))
    assert embed.description.count("[1]") == len(expected.citations) and "[2]" not in embed.description
    assert embed.fields[0].value == ("[1] [Port Aldine approves a deep-water terminal](https://herald.example/terminal)"
                                     " · coast-herald · 20 Mar 2024")
    for c in expected.citations:  # every sentence is quoted exactly
        assert texts[c.article_id][c.start:c.end] == c.quote


async def test_summary_of_a_topic_over_a_date_range(real_world):
    world = real_world
    result = await world.alice.slash(world.channel, "summary topic", topic="Lumetra battery factory",
                                     since="2024-03-10", until="2024-03-31")
    embed = embed_of(result.response)
    assert embed.title == "Summary: Lumetra battery factory (10 Mar 2024 to 31 Mar 2024)"
    remembered = world.bot.answers.latest(world.alice.id).answer
    quotes = [c.quote for c in remembered.citations]
    assert quotes and all(date(2024, 3, 10) <= c.published <= date(2024, 3, 31) for c in remembered.citations)
    # The wire copy repeats the report word for word; no sentence appears twice.
    assert all(jaccard(shingles(a), shingles(b)) <= 0.5 for i, a in enumerate(quotes) for b in quotes[i + 1:])

    uncovered = await world.alice.slash(world.channel, "summary topic", topic="volcanic eruptions in Iceland")
    assert "does not cover" in embed_of(uncovered.response).description


async def test_an_article_summary_has_one_source_numbered_once(world, fake):
    [choice] = await world.alice.autocomplete(world.channel, "summary article", "article", "deep-water")

    result = await world.alice.slash(world.channel, "summary article", article=choice["value"])

    assert fake.called("summarize_article") == [(article_id("port.md"),)]
    embed = embed_of(result.response)
    assert embed.title == f"Summary: {PORT_SUMMARY.question}"
    # Three quotes of one article: all [1], and no line on how current it is.
    assert embed.description == safe(renumbered(PORT_SUMMARY.text, PORT_SUMMARY.citations))
    assert embed.description.count("[1]") == 3 and "[2]" not in embed.description
    assert not embed.description.startswith("*")
    assert [f.value for f in embed.fields] == [
        "[1] [Port Aldine approves a deep-water terminal](https://herald.example/terminal) · coast-herald · 20 Mar 2024"]


async def test_summary_article_and_topic_are_subcommands_discord_enforces(world, fake):
    [group] = [c for c in await world.bot.tree.fetch_commands(guild=discord.Object(GUILD_ID))
               if c.name == "summary"]
    options = {sub.name: {o.name: o.required for o in sub.options} for sub in group.options}
    assert options == {"article": {"article": True}, "topic": {"topic": True, "since": False, "until": False}}
    with pytest.raises(simcord.OptionError):  # an article cannot take dates, and one of the two is needed
        await world.alice.slash(world.channel, "summary article", article="x", since="2024-03-01")
    assert fake.called("summarize_article") == []


async def test_an_article_typed_by_hand_that_matches_nothing_gets_only_a_private_hint(world, fake):
    result, requests = await world.calls(
        world.alice.slash(world.channel, "summary article", article="Ferry strike in the harbour"))
    assert result.response.ephemeral
    assert result.response.content == "No indexed article has that title; pick one from the list as you type."
    assert [r.json["type"] for r in requests] == [4]  # never a public "thinking…" nor "This request failed."
    assert not bot_messages(world, world.bob)
    assert fake.called("summarize_article") == []
    world.expect_error(NotFound)


@pytest.mark.parametrize("command", ["summary topic", "timeline"])
async def test_an_empty_topic_is_shown_a_topic_of_the_corpus(world, fake, command):
    result = await world.alice.slash(world.channel, command, topic="   ")
    assert result.response.ephemeral
    assert result.response.content == "The topic is empty: type a few words, e.g. “Port Aldine”."
    assert fake.called("summarize_topic") == []
    world.expect_error(QuestionError)
