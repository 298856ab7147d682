"""/status for everyone and /reindex for admins. An admin's reindex of a changed corpus, and questions
answered from the old index while one runs, go through the real core (a real index of the bot corpus,
through ``rag``); who may see and run the commands, and what /status shows, run on the fake service."""

from __future__ import annotations

import asyncio
import logging
import threading

import discord
import pytest
import simcord

from cogs.utils.checks import NotAdmin
from newsbot import build_bot
from rag.app import App
from rag.core.errors import ReindexBusy
from rag.core.types import IndexReport

from tests.conftest import ARTICLES, write_article, write_corpus
from tests.cogs.world import (BOT_ARTICLES, FERRY, FERRY_QUESTION, SETTLE, TRAM_QUESTION, command, embed_of,
                              fields_of)

HIDDEN = "⚠ Admin commands hidden"


# --------------------------------------------------------------------------- /status


async def test_status_shows_what_is_indexed(world, fake):
    stats = fake.stats()
    result = await world.bob.slash(world.channel, "status")
    assert result.response.ephemeral
    fields = fields_of(result.response)
    assert fields["Articles"] == str(len(BOT_ARTICLES)) == str(stats.articles)
    assert fields["Passages"] == str(stats.chunks)
    assert fields["Newest article"] == "20 Mar 2024"
    assert fields["Last reindex"].startswith("<t:")
    assert fields["Answer mode"] == stats.answer_mode
    assert fields["Sources"].startswith("riverton-gazette (3), ")
    assert "data" not in " ".join(fields.values())  # no server paths
    assert "Embedding model" not in fields  # the bot's internals are for its admins
    managers = fields_of((await world.manager.slash(world.channel, "status")).response)
    assert managers["Embedding model"] == stats.embedding


async def test_status_explains_the_admin_commands_hidden_from_a_configured_admin_role(world, fake, caplog):
    own = fields_of((await world.admin.slash(world.channel, "status")).response)
    assert own[HIDDEN] == ("You are one of the bot's admins, but Discord hides /reindex, /ingest, /feeds from you: "
                           "they are shown to members with Manage Server only, until a server admin allows your "
                           f"role (or you) for them under Server Settings > Integrations > {world.bot.user.name}.")
    managers = fields_of((await world.manager.slash(world.channel, "status")).response)
    assert managers[HIDDEN].startswith("Members of the admin role News admins cannot see /reindex, /ingest, "
                                       "/feeds (shown to members with Manage Server only)")
    with caplog.at_level(logging.WARNING, logger="cogs"):  # and the log says so when the bot connects
        await world.env.restart_bot(build_bot(App(world.bot.settings, fake)))
    assert [r.getMessage() for r in caplog.records if "cannot see /reindex, /ingest, /feeds" in r.getMessage()]

    for name in ("reindex", "ingest", "feeds"):
        world.guild.set_command_permissions(await command(world, name), {world.admin_role: True})
    for who in (world.admin, world.manager):
        fields = fields_of((await who.slash(world.channel, "status")).response)
        assert HIDDEN not in fields and "Embedding model" in fields
    assert HIDDEN not in fields_of((await world.bob.slash(world.channel, "status")).response)


async def test_a_role_allowed_for_the_whole_bot_under_integrations_sees_the_admin_commands(world):
    # Integrations > the bot > Roles & Members: Discord applies it to every command without overrides
    # of its own (overrides set with the application's id).
    world.guild.set_command_permissions(world.bot.application_id, {world.admin_role: True})
    assert HIDDEN not in fields_of((await world.admin.slash(world.channel, "status")).response)


# --------------------------------------------------------------------------- /reindex


async def test_reindex_is_for_admins_only_in_two_layers(world, fake):
    # Layer 1: Discord hides the command from members without Manage Server, and outside servers.
    reindex = await command(world, "reindex")
    assert reindex.default_member_permissions == discord.Permissions(manage_guild=True)
    assert reindex.dm_permission is False  # guild_only
    assert "reindex" not in world.alice.available_commands(world.channel)
    with pytest.raises(simcord.SetupError, match="default-member-permissions"):
        await world.alice.slash(world.channel, "reindex")
    # Layer 2: a server admin may show it to anyone (Integrations settings); the bot still refuses.
    world.guild.set_command_permissions(reindex, {world.alice: True})
    result = await world.alice.slash(world.channel, "reindex")
    assert result.response.ephemeral and "Only server managers" in result.response.content
    assert fake.called("reindex") == []  # nothing was reindexed
    world.expect_error(NotAdmin)


async def test_a_manager_reindexes_an_unchanged_corpus_cheaply(world, fake):
    fake.report = IndexReport(unchanged=len(BOT_ARTICLES), seconds=0.4)

    result = await world.manager.slash(world.channel, "reindex")

    assert fake.called("reindex") == [(None, False)]  # incremental
    embed = embed_of(result.response)
    assert embed.title == "Reindex finished"
    assert "0 passages embedded" in embed.description
    assert not embed.fields  # nothing added, updated, removed or skipped


async def test_a_reindex_while_one_runs_in_the_bot_is_refused(world, fake):
    async with world.bot.reindexing:  # as while /reindex or /feeds sync runs
        busy = await world.manager.slash(world.channel, "reindex")
        assert busy.response.ephemeral and "already running" in busy.response.content
        world.expect_error(ReindexBusy)
        assert "Reindex" in fields_of((await world.manager.slash(world.channel, "status")).response)
    assert fake.called("reindex") == []


@pytest.fixture
def changed_corpus(rag):
    """The bot corpus with one article added, one changed, one removed and one broken file; restored after."""
    corpus = rag.settings.corpus_dir
    write_article(corpus, "ferry.md", FERRY)
    drought = ARTICLES["drought.md"]
    write_article(corpus, "drought.md", dict(drought, text=drought["text"] + "\nRain is forecast for May."))
    (corpus / "football.md").unlink()
    (corpus / "broken.json").write_text("{not json", encoding="utf-8")
    yield corpus
    (corpus / "ferry.md").unlink()
    (corpus / "broken.json").unlink()
    write_corpus(corpus, BOT_ARTICLES)
    rag.reindex()


async def test_an_admin_reindexes_and_sees_progress_then_the_report(real_world, changed_corpus):
    world = real_world
    world.guild.set_command_permissions(await command(world, "reindex"), {world.admin_role: True})

    result, requests = await world.calls(world.admin.slash(world.channel, "reindex"))

    assert requests[0].json["type"] == 5 and requests[0].json["data"]["flags"] == 64  # deferred, private
    edits = [r for r in requests if r.method == "PATCH"]
    assert all(r.path.endswith("/messages/@original") for r in edits)  # one message, edited in place
    assert not [r for r in requests if r.method == "POST" and not r.path.endswith("/callback")]
    assert edits[0].json["content"].startswith("Reindexing:") and len(edits) >= 2
    embed = embed_of(result.response)
    assert embed.title == "Reindex finished" and not result.response.content
    fields = {f.name: f.value for f in embed.fields}
    assert "ferry.md (Ferry strike ends after six days)" in fields["Added (1)"]
    assert "drought.md" in fields["Updated (1)"]
    assert "football.md (Riverton Rovers win the cup final)" in fields["Removed (1)"]
    assert "broken.json: invalid JSON" in fields["Skipped (1)"]

    answered = await world.alice.slash(world.channel, "ask", question=FERRY_QUESTION)
    assert "six days" in embed_of(answered.response).description


async def test_questions_are_answered_from_the_old_index_while_a_reindex_runs(real_world, rag):
    world = real_world
    write_article(rag.settings.corpus_dir, "ferry.md", FERRY)
    reached, release = threading.Event(), threading.Event()

    def gate(stage: str, done: int, total: int) -> None:
        if stage == "lexical index" and not reached.is_set():  # new passages embedded, not yet committed
            reached.set()
            release.wait(SETTLE)

    # Another process (or `python -m rag index`) reindexing the same data folder.
    worker = threading.Thread(target=rag.reindex, kwargs={"progress": gate})
    worker.start()
    try:
        assert await asyncio.to_thread(reached.wait, SETTLE)
        during = embed_of((await world.alice.slash(world.channel, "ask", question=FERRY_QUESTION)).response)
        assert "six days" not in during.description  # the old index has no ferry article yet
        assert not [f for f in during.fields if "Ferry" in f.name]
        tram = await world.alice.slash(world.channel, "ask", question=TRAM_QUESTION)
        assert "310 million euros" in embed_of(tram.response).description

        busy = await world.manager.slash(world.channel, "reindex")
        assert busy.response.ephemeral and "already running" in busy.response.content
        world.expect_error(ReindexBusy)
    finally:
        release.set()
        await asyncio.to_thread(worker.join, SETTLE)
    try:
        after = await world.alice.slash(world.channel, "ask", question=FERRY_QUESTION)
        assert "six days" in embed_of(after.response).description
    finally:
        (rag.settings.corpus_dir / "ferry.md").unlink()
        rag.reindex()
