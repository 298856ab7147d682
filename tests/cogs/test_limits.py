"""Limits and safety: replies cut to Discord's limits, nothing that pings, the cooldown, and Discord's own
errors reaching the user as one private line. On the fake service, with answers written to push each limit."""

from __future__ import annotations

import logging
import re
from datetime import date

import discord

from cogs.render.limits import DESCRIPTION, FIELDS, FIELD_NAME, FIELD_VALUE, TITLE, TOTAL
from cogs.utils.checks import OnCooldown
from rag.core.errors import QuestionError
from rag.core.types import Answer, Chunk, Citation, Passage

from tests.cogs.world import (DENSE, EVERYONE, FESTIVAL_ANSWER, FESTIVAL_QUESTION, TRAM_QUESTION, bot_messages,
                              direct_messages, embed_of, open_world)


def _huge_answer() -> Answer:
    title = "A very long headline about the tram line " * 10
    chunk_text = " ".join(["The council debated the tram line for hours and heard dozens of residents."] * 15)
    citations = tuple(
        Citation(n=n, article_id=f"a{n}", title=f"{title}{n}", source="riverton-gazette",
                 published=date(2024, 3, 2), url=f"https://gazette.example/tram/{'x' * 200}/{n}",
                 quote="The council debated the tram line.", start=0, end=34)
        for n in range(1, 41)
    )
    passages = tuple(
        Passage(Chunk(f"a{n}:h:0", f"a{n}", "h", 0, 0, len(chunk_text), chunk_text, f"{title}{n}",
                      "riverton-gazette", "https://gazette.example/tram", date(2024, 3, 2)), 1.0, 0.9)
        for n in range(1, 11)
    )
    text = " ".join(f"The council debated sentence number {n} of the tram line at great length. [{n}]"
                    for n in range(1, 121))
    return Answer(question="Why? " * 100, text=text, refused=False, citations=citations, passages=passages)


async def test_an_oversized_answer_is_cut_to_fit_discord(world, fake):
    # The extractive core never writes this much; a longer answer (e.g. from an LLM) must still fit.
    fake.answers[TRAM_QUESTION] = _huge_answer()

    result = await world.alice.slash(world.channel, "ask", question=TRAM_QUESTION)

    embed = embed_of(result.response)  # simcord, like Discord, rejects anything over a limit
    assert len(embed) <= TOTAL and len(embed.description) <= DESCRIPTION
    assert len(embed.title) <= TITLE and len(embed.fields) <= FIELDS
    assert all(len(f.name) <= FIELD_NAME and len(f.value) <= FIELD_VALUE for f in embed.fields)
    assert re.search(r"\[\d+\] …$", embed.description)  # cut after a sentence and its marker
    passages = await world.alice.slash(world.channel, "sources")
    assert len(embed_of(passages.response)) <= TOTAL


async def test_everyone_in_an_article_pings_nobody(world):
    assert EVERYONE in FESTIVAL_ANSWER.text  # the article really says it, and so does the answer

    result = await world.alice.slash(world.channel, "ask", question=FESTIVAL_QUESTION)
    await world.alice.send(world.channel, f"{world.mention} {FESTIVAL_QUESTION}")  # and through a thread

    embed = embed_of(result.response)
    assert EVERYONE not in embed.description and "@\u200beveryone" in embed.description
    assert "[Harbour festival \\*\\*called off\\*\\* after" in embed.fields[0].value  # shown, not applied
    bodies = [r.json for r in world.env.http_requests
              if isinstance(r.json, dict) and ("embeds" in r.json or "content" in r.json or "data" in r.json)]
    assert bodies
    for body in bodies:
        payload = body.get("data", body) if "type" in body else body
        if "embeds" in payload or "content" in payload:
            mentions = payload["allowed_mentions"]
            assert mentions["parse"] == [], payload
            assert not mentions.get("users") and not mentions.get("roles"), payload
            assert not mentions.get("replied_user"), payload
    [thread] = world.channel.threads
    for message in world.channel.history() + thread.history():
        if message.author.id == world.bot.user.id:
            assert not message.mention_everyone and not message.role_mentions and not message.mentions


async def test_cooldown_per_user(fake, tmp_path):
    async with open_world(fake, tmp_path, cooldown_seconds=30) as world:
        mistake = await world.alice.slash(world.channel, "ask", question=DENSE)
        assert "too long" in mistake.response.content  # a question refused at once costs no turn
        world.expect_error(QuestionError)
        first = await world.alice.slash(world.channel, "ask", question=TRAM_QUESTION)
        assert "310 million euros" in embed_of(first.response).description

        again = await world.alice.slash(world.channel, "ask", question=TRAM_QUESTION)
        until = int(world.env.now().timestamp()) + 30
        # Discord shows the time as a live countdown ("in 30 seconds"); a hint has no error id.
        assert again.response.ephemeral
        assert again.response.content == f"Slow down: you can ask again <t:{until}:R>."
        world.expect_error(OnCooldown)
        bob = await world.bob.slash(world.channel, "ask", question=TRAM_QUESTION)  # others are not held up
        assert embed_of(bob.response).fields
        in_channel = len(bot_messages(world, world.alice))
        await world.alice.send(world.channel, f"{world.mention} {TRAM_QUESTION}")  # mentions count too
        # Said to alice alone, by direct message, at a clock time (a countdown would go stale there).
        assert direct_messages(world, world.alice) == [
            f"About your message in <#{world.channel.id}>: Slow down: you can ask again at <t:{until}:T>."]
        assert len(bot_messages(world, world.alice)) == in_channel and not world.channel.threads
        assert [q for q, _ in fake.called("ask")] == [TRAM_QUESTION] * 2  # alice's first, and bob's

        await world.env.advance_time(30)
        later = await world.alice.slash(world.channel, "ask", question=TRAM_QUESTION)
        assert "310 million euros" in embed_of(later.response).description


async def test_a_discord_server_error_reaches_the_user_as_a_private_line_with_an_error_id(world, caplog):
    world.env.inject_error("PATCH", "/webhooks/*/*/messages/@original", status=500, times=1)

    with caplog.at_level(logging.INFO, logger="cogs"):
        result = await world.alice.slash(world.channel, "ask", question=TRAM_QUESTION)

    [note] = result.followups
    assert note.ephemeral
    line = r"Discord did not accept the reply; please try again\. \(error id `([0-9a-f]{8})`\)"
    error_id = re.fullmatch(line, note.content).group(1)
    assert result.response is None  # the public "thinking…" placeholder is gone
    assert not bot_messages(world, world.bob)
    [record] = [r for r in caplog.records if error_id in r.getMessage()]
    assert record.levelno == logging.ERROR and record.exc_info  # the trace is in the log, under the id
    world.expect_error(discord.HTTPException)
