"""/sources and the buttons under an answer (Passages, Helpful, Not helpful), also after a restart,
on the fake service: the tram answer quotes the tram article, and the port and festival passages
were retrieved without being quoted (tests/cogs/world.py)."""

from __future__ import annotations

import json
import re
import sqlite3

from newsbot import build_bot
from rag.app import App
from rag.core.types import Turn

from tests.cogs.world import FOLLOW_UP, TRAM_ANSWER, TRAM_QUESTION, embed_of, fields_of, standalone


async def test_sources_shows_the_passages_of_your_last_answer(world):
    before = await world.alice.slash(world.channel, "sources")
    assert before.response.ephemeral and "not asked" in before.response.content

    await world.alice.slash(world.channel, "ask", question=TRAM_QUESTION)
    result = await world.alice.slash(world.channel, "sources")

    assert result.response.ephemeral
    embed = embed_of(result.response)
    assert embed.title == f"Everything retrieved for: {TRAM_QUESTION}"
    assert embed.fields[0].name.startswith("[1]")
    assert re.search(r"\*\*[^*]*310 million euros[^*]*\*\*", embed.fields[0].value)
    unquoted = [f.name for f in embed.fields if f.name.startswith("(not quoted)")]  # more than the Passages button
    assert unquoted == ["(not quoted) Port Aldine approves a deep-water terminal",
                        "(not quoted) Harbour festival \\*\\*called off\\*\\* after storm warning"]
    theirs = await world.bob.slash(world.channel, "sources")
    assert "not asked" in theirs.response.content  # per user


async def test_the_passages_button_shows_them_to_whoever_clicks(world):
    answer = await world.alice.slash(world.channel, "ask", question=TRAM_QUESTION)
    shown = await world.bob.click(answer.response, label="Passages")
    embed = embed_of(shown.response)
    assert shown.response.ephemeral and embed.title == f"Quoted passages: {TRAM_QUESTION}"
    # Only what the answer quotes, each quoted sentence in bold in its paragraph.
    assert re.search(r"\*\*[^*]*310 million euros[^*]*\*\*", embed.fields[0].value)
    assert not [f for f in embed.fields if f.name.startswith("(not quoted)")]
    assert len(embed.fields) == len({c.article_id for c in world.bot.answers.latest(world.alice.id).answer.citations})


async def test_rating_buttons_record_feedback_and_status_counts_it(world):
    answer = await world.alice.slash(world.channel, "ask", question=TRAM_QUESTION)
    up = await world.alice.click(answer.response, label="Helpful")
    assert up.response.ephemeral and "helpful" in up.response.content
    await world.bob.click(answer.response, label="Not helpful")
    await world.alice.click(answer.response, label="Not helpful")  # changes her rating

    status = await world.alice.slash(world.channel, "status")
    assert fields_of(status.response)["Feedback"] == "👍 0 · 👎 2"
    with sqlite3.connect(world.bot.settings.feedback_path) as db:
        rows = db.execute("SELECT question, rating, user_hash, citations FROM feedback").fetchall()
    assert {r[1] for r in rows} == {-1} and len(rows) == 2
    assert all(r[0] == TRAM_QUESTION and json.loads(r[3])[0]["quote"] for r in rows)
    assert str(world.alice.id) not in {r[2] for r in rows}  # hashed


async def test_buttons_sources_and_follow_ups_survive_a_restart(world, fake):
    asked = await world.alice.slash(world.channel, "ask", question=TRAM_QUESTION)
    await world.bob.send(world.channel, f"{world.mention} {TRAM_QUESTION}")
    [thread] = world.channel.threads

    await world.env.restart_bot(build_bot(App(world.bot.settings, fake)))  # a new process: nothing in memory

    shown = await world.bob.click(asked.response, label="Passages")
    assert "310 million euros" in embed_of(shown.response).fields[0].value
    rated = await world.alice.click(asked.response, label="Helpful")
    assert rated.response.content == "Thanks: recorded as helpful."
    sources = await world.alice.slash(world.channel, "sources")
    assert embed_of(sources.response).title == f"Everything retrieved for: {TRAM_QUESTION}"
    await world.bob.send(thread, f"{world.mention} {FOLLOW_UP}")
    reply = embed_of(thread.history()[-1])
    # The thread's first turn was read back: the follow-up is understood in its context.
    assert [h for h, _ in fake.called("condense")][-1] == (Turn(TRAM_QUESTION, TRAM_ANSWER.text),)
    understood = standalone(FOLLOW_UP)
    assert understood != FOLLOW_UP and reply.footer.text.startswith(f"Understood as “{understood}”")
    assert fake.called("ask")[-1][0] == understood and "2027" in reply.description
