"""Mentions: a question in a channel opens a thread, follow-ups there are understood in context,
anything else gets a hint. On the fake service, with the core's own rule for condensing follow-ups
(tests/cogs/test_transcript.py follows a thread on the real core)."""

from __future__ import annotations

import re

from newsbot import build_bot
from rag.app import App
from rag.core.types import Turn

from cogs.utils import replies
from tests.cogs.world import (FOLLOW_UP, TRAM_ANSWER, TRAM_QUESTION, assert_cites, bot_messages, direct_messages,
                              embed_of, open_world, standalone)


async def test_a_mention_opens_a_thread_and_a_follow_up_is_understood_in_context(fake, tmp_path):
    async with open_world(fake, tmp_path, restrict_mentions=True) as world:
        _, requests = await world.calls(world.alice.send(world.channel, f"{world.mention} {TRAM_QUESTION}"))

        [thread] = world.channel.threads
        assert thread.name == TRAM_QUESTION
        first = thread.history()[-1]
        assert first.author.id == world.bot.user.id
        assert_cites(embed_of(first), TRAM_ANSWER)
        # "NewsBot is typing…" in the thread before the answer comes.
        calls = [(r.method, r.path) for r in requests]
        typing = calls.index(("POST", f"/channels/{thread.id}/typing"))
        assert typing < calls.index(("POST", f"/channels/{thread.id}/messages"))

        _, requests = await world.calls(world.alice.send(thread, f"{world.mention} {FOLLOW_UP}"))

        reply = thread.history()[-1]
        # The follow-up made standalone from the thread's first turn, as the core's rule does it.
        assert fake.called("condense")[-1] == ((Turn(TRAM_QUESTION, TRAM_ANSWER.text),), FOLLOW_UP)
        understood = standalone(FOLLOW_UP)
        assert understood.endswith(f": {FOLLOW_UP}") and fake.called("ask")[-1][0] == understood
        # Titled by the user's words; the question as the bot understood it is in the footer.
        assert embed_of(reply).title == FOLLOW_UP
        assert embed_of(reply).footer.text.startswith(f"Understood as “{understood}” · ")
        assert "2027" in embed_of(reply).description
        assert ("POST", f"/channels/{thread.id}/typing") in [(r.method, r.path) for r in requests]

        # Without a mention (and without the message-content intent) the bot cannot read a message:
        # it says once how to ask a follow-up, and stays quiet after that.
        await world.bob.send(thread, "thanks!")
        hint = thread.history()[-1]
        assert hint.author.id == world.bot.user.id and hint.content.startswith(
            f"To ask me a follow-up in this thread, mention me with it, e.g. “@{world.bot.user.display_name} ")
        await world.bob.send(thread, "very helpful")
        assert thread.history()[-1].author.id == world.bob.id
        # Mentions outside ALLOWED_CHANNEL_IDS are ignored.
        await world.alice.send(world.other_channel, f"{world.mention} {TRAM_QUESTION}")
        assert not world.other_channel.threads and len(world.other_channel.history()) == 1
        assert len(fake.called("ask")) == 2


async def test_follow_ups_need_no_mention_when_enabled(fake, tmp_path):
    async with open_world(fake, tmp_path, thread_followups_without_mention=True) as world:
        assert world.bot.intents.message_content
        await world.alice.send(world.channel, f"{world.mention} {TRAM_QUESTION}")
        [thread] = world.channel.threads

        await world.alice.send(thread, "And when does it open?")

        reply = thread.history()[-1]
        assert reply.author.id == world.bot.user.id
        assert embed_of(reply).title == "And when does it open?"
        assert embed_of(reply).footer.text.startswith(f"Understood as “{standalone('And when does it open?')}” · ")
        assert "2027" in embed_of(reply).description


async def test_a_mention_without_a_usable_question_is_told_privately(world, fake):
    await world.alice.send(world.channel, world.mention)
    [hint] = direct_messages(world, world.alice)
    assert hint == (f"About your message in <#{world.channel.id}>: Mention me with a question, e.g. "
                    "“@TestBot What happened with Port Aldine?”, or see /help.")  # an example from the corpus

    await world.alice.send(world.channel, f"{world.mention} {'tram ' * 300}")
    assert re.fullmatch(rf"About your message in <#{world.channel.id}>: The question is too long \(300 words, "
                        r"1,499 characters\); keep it to one or two sentences, under about 150 words\.",
                        direct_messages(world, world.alice)[-1])
    assert not bot_messages(world, world.alice) and not world.channel.threads  # nothing in the channel
    assert fake.called("ask") == []


async def test_with_direct_messages_closed_the_note_is_a_reply_that_deletes_itself(world, fake, monkeypatch):
    monkeypatch.setattr(replies, "NOTE_SECONDS", 1)  # simcord waits for the deletion in real time
    dm = world.alice.user.dm_channel
    world.env.inject_error("POST", f"/channels/{dm.id}/messages", status=403, code=50007,
                           message="Cannot send messages to this user")
    _, requests = await world.calls(world.alice.send(world.channel, f"{world.mention} {'tram ' * 300}"))
    posted = [r for r in requests if r.method == "POST" and r.path == f"/channels/{world.channel.id}/messages"]
    [note] = [r for r in posted if "disappears in 1 seconds" in str(r.json)]
    assert "The question is too long" in str(note.json)
    deleted = [r for r in requests if r.method == "DELETE" and r.path.startswith(f"/channels/{world.channel.id}/")]
    assert len(deleted) == 1 and bot_messages(world, world.bob) == []  # gone from the channel


async def test_a_follow_up_on_cooldown_is_not_condensed(fake, tmp_path):
    # Condensing can be an LLM call (tests/rag/answer/test_generate.py): the cooldown comes first.
    async with open_world(fake, tmp_path, cooldown_seconds=30) as world:
        await world.alice.send(world.channel, f"{world.mention} {TRAM_QUESTION}")
        [thread] = world.channel.threads
        condensed = len(fake.called("condense"))
        assert condensed >= 1
        for i in range(3):
            await world.alice.send(thread, f"{world.mention} {FOLLOW_UP}")
            assert thread.history()[-1].author.id == world.alice.id  # nothing said in the thread
            assert len(direct_messages(world, world.alice)) == i + 1
            assert re.fullmatch(rf"About your message in <#{thread.id}>: Slow down: you can ask again at <t:\d+:T>\.",
                                direct_messages(world, world.alice)[-1])
        assert len(fake.called("condense")) == condensed and len(fake.called("ask")) == 1


async def test_the_follow_up_hint_is_given_once_per_thread_even_across_a_restart(fake, tmp_path):
    async with open_world(fake, tmp_path) as world:
        await world.alice.send(world.channel, f"{world.mention} {TRAM_QUESTION}")
        [thread] = world.channel.threads
        await world.bob.send(thread, "thanks!")
        assert thread.history()[-1].content.startswith("To ask me a follow-up in this thread")

        world.bot = build_bot(App(world.bot.settings, fake))  # a new process: nothing in memory
        await world.env.restart_bot(world.bot)
        await world.bob.send(thread, "thanks again!")

        assert thread.history()[-1].author.id == world.bob.id  # no second hint
        hints = [m for m in thread.history() if m.content.startswith("To ask me a follow-up")]
        assert len(hints) == 1
