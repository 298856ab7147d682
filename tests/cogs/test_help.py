"""/help, and "@bot help": how to ask, with an article of the corpus as the example, on the fake service."""

from __future__ import annotations

import pytest

from tests.cogs.world import BOT_ARTICLES, embed_of, fields_of


async def test_help_shows_examples_and_what_the_bot_can_and_cannot_answer(world):
    result = await world.alice.slash(world.channel, "help")
    assert result.response.ephemeral
    embed = embed_of(result.response)
    assert embed.description.startswith(f"I answer from {len(BOT_ARTICLES)} news articles published "
                                        "2 Mar 2024 – 20 Mar 2024")
    fields = fields_of(result.response)
    assert "`/ask question: " in fields["Ask"] and "mention me again there" in fields["Ask"]
    # The example article is one the corpus has (the newest).
    assert "`/summary article: Port Aldine approves a deep-water terminal`" in fields["Summaries and timelines"]
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
