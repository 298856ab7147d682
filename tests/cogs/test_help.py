"""/help, and "@bot help": how to ask, with examples drawn from the corpus, on the fake service."""

from __future__ import annotations

import pytest

from rag.core.settings import Settings

from tests.cogs.world import BOT_ARTICLES, embed_of, fields_of, open_world
from tests.fakes import FakeService


async def test_help_shows_examples_and_what_the_bot_can_and_cannot_answer(world):
    result = await world.alice.slash(world.channel, "help")
    assert result.response.ephemeral
    embed = embed_of(result.response)
    assert embed.description.startswith(f"I answer from {len(BOT_ARTICLES)} news articles published "
                                        "2 Mar 2024 – 20 Mar 2024")
    fields = fields_of(result.response)
    # Every example comes from the corpus: the name of its newest week's titles, its newest article, its
    # biggest outlet, the dates of that week; none is about a story the corpus does not have.
    assert fields["Ask"].startswith("`/ask question: What happened with Port Aldine?`\n"
                                    "`/ask question: What happened this week?`: the week's biggest stories\n"
                                    "Narrow it with `source: riverton-gazette`, `since: 2024-03-14` and "
                                    "`until: 2024-03-20`")
    assert "mention me again there to follow up (“@TestBot what happened next?”)" in fields["Ask"]
    assert fields["Summaries and timelines"] == (
        "`/summary article: Port Aldine approves a deep-water terminal` (pick it as you type)\n"
        "`/summary topic: Port Aldine since: 2024-03-14`\n"
        "`/timeline topic: Port Aldine`: one dated line per article, oldest first")
    shown = embed.to_dict()
    assert not any(word in str(shown) for word in ("tram", "ferry", "battery factory", "council"))
    assert "what the articles report" in fields["I can answer"].lower()
    assert "do not search the web" in fields["I cannot answer"]
    assert "For admins" not in fields
    admin = fields_of((await world.manager.slash(world.channel, "help")).response)
    assert "/reindex" in admin["For admins"]


@pytest.mark.parametrize("text", ["help", "Help!", "what can you do?"])
async def test_a_mention_asking_for_help_gets_the_help_not_an_answer(world, fake, text):
    await world.alice.send(world.channel, f"{world.mention} {text}")
    reply = world.channel.history()[-1]
    assert reply.author.id == world.bot.user.id and not world.channel.threads
    assert embed_of(reply).title == f"How to use {world.bot.user.display_name}"
    assert fake.called("ask") == []


async def test_help_without_an_index_gives_neutral_examples(tmp_path):
    empty = FakeService(Settings().replace(corpus_dir=tmp_path / "corpus", data_dir=tmp_path / "data"))
    async with open_world(empty, tmp_path) as world:
        fields = fields_of((await world.alice.slash(world.channel, "help")).response)
    assert fields["Ask"].startswith("`/ask question: What happened this week?`: the week's biggest stories\n")
    assert "`/summary article: an article's title`" in fields["Summaries and timelines"]
    assert "`/timeline topic: a subject the articles cover`" in fields["Summaries and timelines"]
