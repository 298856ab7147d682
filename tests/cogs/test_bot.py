"""The Discord bot through discord.py itself, against simcord's simulated Discord, on the real RAG core.

One index is built for the module (real Chroma in a temp folder, the real embedding model);
each test gets a fresh bot and a fresh simulated server. simcord settles the bot's work
(tasks and worker threads) after every action, so nothing here sleeps.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sqlite3
import subprocess
import sys
import threading
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import discord
import pytest
import simcord
from simcord import assert_error

from cogs.utils import format as fmt
from cogs.utils.checks import NotAdmin, OnCooldown
from cogs.utils.errors import BadOption
from cogs.utils.options import MAX_QUESTION_CHARS
from newsbot import INVITE_PERMISSIONS, build_bot, intents_for, invite_url
from rag.answer.conversation import Turn, condense
from rag.core.errors import NotFound, QuestionError, ReindexBusy
from rag.sources.ingest import load_corpus
from rag.search.retrieval import jaccard, shingles
from rag.service import RagService
from rag.core.settings import Settings
from rag.core.tokens import count_tokens
from rag.core.types import Answer, Chunk, Citation, Passage

import bot as bot_py

from tests.conftest import ARTICLES, LONG_ARTICLE, ROOT, write_article, write_corpus

GUILD_ID = 1_250_000_000_000_000_001
SETTLE = 120.0  # seconds simcord waits for the bot's work (the real model on a shared CPU)
EVERYONE = "@everyone"

BOT_ARTICLES: dict[str, dict] = {
    **ARTICLES,
    "festival.md": {
        "title": "Harbour festival **called off** after storm warning",
        "published": "2024-03-15", "source": "riverton-gazette", "url": "https://gazette.example/festival",
        "text": (
            "Organisers told @everyone on Friday that the Riverton harbour festival is cancelled because "
            "of a storm warning for the weekend.\n"
            "**Refunds** will be paid automatically to <@&123456789012345678> ticket holders, the "
            "organisers said. The festival usually draws about 20,000 visitors."
        ),
    },
    **LONG_ARTICLE,
}

FERRY = {"title": "Ferry strike ends after six days", "published": "2024-03-21", "source": "riverton-gazette",
         "url": "https://gazette.example/ferry",
         "text": "The ferry workers' strike in Riverton ended on Thursday after six days, when the operator "
                 "agreed to a pay rise of 7 percent."}
FERRY_QUESTION = "How long did the ferry strike in Riverton last?"
TRAM_QUESTION = "How much will the new tram line cost?"


# --------------------------------------------------------------------------- the world


@pytest.fixture(scope="module")
def rag(tmp_path_factory, embeddings) -> RagService:
    """The real answering service over the bot corpus, indexed once for the module."""
    root = tmp_path_factory.mktemp("bot")
    settings = replace(Settings(), corpus_dir=root / "corpus", data_dir=root / "data")
    write_corpus(settings.corpus_dir, BOT_ARTICLES)
    service = RagService(settings, embeddings=embeddings)
    service.reindex()
    return service


@pytest.fixture(scope="module")
def texts(rag) -> dict[str, str]:
    articles, _ = load_corpus(rag.settings.corpus_dir)
    return {a.id: a.text for a in articles}


@dataclass
class World:
    """A simulated server with the bot in it, and the people who use it."""

    env: simcord.Env
    bot: discord.Client
    guild: simcord.GuildHandle
    channel: simcord.ChannelHandle
    other_channel: simcord.ChannelHandle
    alice: simcord.MemberActor
    bob: simcord.MemberActor
    manager: simcord.MemberActor  # has Manage Server
    admin: simcord.MemberActor  # in a role listed in ADMIN_ROLE_IDS
    admin_role: simcord.RoleHandle
    acknowledged: int = 0
    seen: list = field(default_factory=list)

    @property
    def mention(self) -> str:
        return f"<@{self.bot.user.id}>"

    def expect_error(self, kind: type[BaseException]) -> BaseException:
        """The bot reported an error of this kind (through its error handler); acknowledge it."""
        error = assert_error(self.env, kind)
        self.acknowledged = self.env.error_cursor
        return error

    async def calls(self, action) -> tuple[simcord.InteractionResult, list[simcord.HttpLogEntry]]:
        """Run one user action; return its result and the REST calls the bot made for it, in order."""
        start = len(self.env.http_requests)
        result = await action
        return result, self.env.http_requests[start:]


@asynccontextmanager
async def open_world(rag: RagService, tmp_path: Path, restrict_mentions: bool = False, **overrides):
    settings = replace(rag.settings, **{"discord_guild_id": GUILD_ID, "cooldown_seconds": 0,
                                        "feedback_db": tmp_path / "feedback.sqlite3", **overrides})
    bot = build_bot(settings, rag)
    env = simcord.Env(bot, settle_timeout=SETTLE)
    guild = env.create_guild("Newsroom", id=GUILD_ID)
    channel = guild.create_text_channel("news")
    other = guild.create_text_channel("off-topic")
    admin_role = guild.create_role("News admins")
    managers = guild.create_role("Managers", permissions=discord.Permissions(manage_guild=True))
    # The settings name ids that only exist once the server does.
    bot.settings = replace(bot.settings, admin_role_ids=(admin_role.id,),
                           allowed_channel_ids=(channel.id,) if restrict_mentions else ())
    await env.start()
    world = World(env, bot, guild, channel, other,
                  alice=guild.add_member(env.create_user("alice")),
                  bob=guild.add_member(env.create_user("bob")),
                  manager=guild.add_member(env.create_user("manager"), roles=[managers]),
                  admin=guild.add_member(env.create_user("admin"), roles=[admin_role]),
                  admin_role=admin_role)
    try:
        yield world
    finally:
        await env.shutdown()
    unexpected = env.errors_since(world.acknowledged)
    if unexpected:
        raise ExceptionGroup("the bot raised errors no test expected", list(unexpected))


@pytest.fixture
async def world(rag, tmp_path):
    async with open_world(rag, tmp_path) as w:
        yield w


def embed_of(message) -> discord.Embed:
    assert message is not None and message.embeds, f"no embed in {message!r}"
    return message.embeds[0]


def custom_ids(message) -> list[str]:
    rows = message.components if isinstance(message, simcord.ResponseMessage) else \
        [c.to_dict() for c in message.components]
    return [b["custom_id"] for row in rows for b in row.get("components", []) if b.get("custom_id")]


def answer_text(embed: discord.Embed) -> str:
    """The answer's own text: the description without the line saying how current it is."""
    first, _, rest = embed.description.partition("\n")
    return rest if first.startswith("*") and first.endswith("*") and "source" in first else embed.description


def assert_cites(embed: discord.Embed, answer: Answer) -> None:
    """The embed shows exactly the core's answer: its text, and one source line per cited article,
    titled by the article's title and linked to it."""
    shown = fmt.numbering(answer.citations)
    assert answer_text(embed) == fmt.safe(fmt.renumbered(answer.text, answer.citations))
    assert embed.description.startswith(f"*Newest source: {fmt.age(answer.newest, date.today())} "
                                        f"({fmt.short_date(answer.newest)})*\n")  # the corpus is from 2024
    lines = [line for f in embed.fields if "Sources" in f.name for line in f.value.splitlines()]
    for c in answer.citations:
        line = next(line for line in lines if line.startswith(f"[{shown[c.n]}] "))
        assert f"[{fmt.safe(c.title)}]({c.url})" in line and fmt.short_date(c.published) in line
    assert len(lines) == len({c.article_id for c in answer.citations})


async def reindex_command(world: World) -> discord.app_commands.AppCommand:
    commands = await world.bot.tree.fetch_commands(guild=discord.Object(GUILD_ID))
    return next(c for c in commands if c.name == "reindex")


# --------------------------------------------------------------------------- wiring


def test_intents_are_only_what_the_bot_uses():
    plain = intents_for(Settings())
    assert plain.guilds and plain.guild_messages
    assert not plain.message_content and not plain.members and not plain.presences and not plain.dm_messages
    assert intents_for(replace(Settings(), thread_followups_without_mention=True)).message_content


@pytest.mark.integration
@pytest.mark.slow
def test_without_a_token_bot_py_says_so_and_starts_the_terminal_chat(tmp_path):
    env = dict(os.environ, DISCORD_TOKEN="", DATA_DIR=str(tmp_path / "data"))
    result = subprocess.run([sys.executable, str(ROOT / "bot.py")], cwd=tmp_path, env=env, input="",
                            capture_output=True, text=True, timeout=300)
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("DISCORD_TOKEN is not set: starting the terminal chat")
    assert "python -m rag index" in lines[-1] and result.returncode == 1  # the chat needs an index first


def test_the_documented_invite_link_is_the_bots():
    doc = (ROOT / "README.md").read_text(encoding="utf-8")
    assert invite_url(1234).replace("1234", "APPLICATION_ID") in doc
    assert str(INVITE_PERMISSIONS.value) in doc
    for name, granted in INVITE_PERMISSIONS:
        if granted:
            assert f"| {getattr(discord.Permissions, name).flag} |" in doc, name


async def test_commands_are_registered_to_the_development_server(world):
    assert set(world.alice.available_commands(world.channel)) == {"ask", "help", "sources", "summary article",
                                                                       "summary topic", "status", "timeline"}
    assert {"reindex", "ingest", "feeds list"} <= set(world.manager.available_commands(world.channel))
    # Another server the bot is in does not get the development server's commands.
    elsewhere = world.env.create_guild("Elsewhere")
    carol = elsewhere.add_member(world.env.create_user("carol"))
    assert carol.available_commands(elsewhere.create_text_channel("general")) == ()


def command_syncs(env: simcord.Env) -> list[simcord.HttpLogEntry]:
    return [r for r in env.http_requests if r.method == "PUT" and r.path.endswith("/commands")]


async def test_commands_are_synced_only_when_they_changed_or_when_asked(world, rag):
    assert len(command_syncs(world.env)) == 1  # the first start: nothing was synced before
    record = json.loads((world.bot.state_dir / "discord-commands.json").read_text(encoding="utf-8"))
    assert list(record) == [f"{world.bot.application_id}:{GUILD_ID}"]

    await world.env.restart_bot(build_bot(world.bot.settings, rag))  # the same commands
    assert len(command_syncs(world.env)) == 1
    assert {"ask", "help", "reindex"} <= set(world.manager.available_commands(world.channel))

    changed = build_bot(world.bot.settings, rag)
    changed.tree.add_command(discord.app_commands.Command(
        name="ping", description="A command added in a new release", callback=_ping))
    await world.env.restart_bot(changed)
    assert len(command_syncs(world.env)) == 2 and "ping" in world.alice.available_commands(world.channel)

    await world.env.restart_bot(build_bot(world.bot.settings, rag, force_sync=True))  # bot.py --sync
    assert len(command_syncs(world.env)) == 3 and "ping" not in world.alice.available_commands(world.channel)


async def _ping(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("pong")


def test_bot_py_takes_a_sync_flag():
    assert bot_py.parse_args(["--sync"]).sync and not bot_py.parse_args([]).sync


async def test_every_command_and_option_is_described(world):
    for command in world.bot.tree.walk_commands():
        assert 0 < len(command.description) <= 100, command.name
        for param in getattr(command, "parameters", ()):  # a group has subcommands, not options
            assert param.description != "…" and len(param.description) <= 100, (command.name, param.name)


# --------------------------------------------------------------------------- /help


async def test_help_shows_examples_and_what_the_bot_can_and_cannot_answer(world):
    result = await world.alice.slash(world.channel, "help")
    assert result.response.ephemeral
    embed = embed_of(result.response)
    assert embed.description.startswith(f"I answer from {len(BOT_ARTICLES)} news articles published "
                                        "2 Mar 2024 – 20 Mar 2024")
    fields = {f.name: f.value for f in embed.fields}
    assert "`/ask question: " in fields["Ask"] and "mention me again there" in fields["Ask"]
    # The example article is one the corpus has (the newest).
    assert "`/summary article: Port Aldine approves a deep-water terminal`" in fields["Summaries and timelines"]
    assert "what the articles report" in fields["I can answer"].lower()
    assert "do not search the web" in fields["I cannot answer"]
    assert "For admins" not in fields
    admin = embed_of((await world.manager.slash(world.channel, "help")).response)
    assert "/reindex" in {f.name: f.value for f in admin.fields}["For admins"]


@pytest.mark.parametrize("text", ["help", "Help!", "what can you do?"])
async def test_a_mention_asking_for_help_gets_the_help_not_an_answer(world, text):
    await world.alice.send(world.channel, f"{world.mention} {text}")
    reply = world.channel.history()[-1]
    assert reply.author.id == world.bot.user.id and not world.channel.threads
    assert embed_of(reply).title == f"How to use {world.bot.user.display_name}"


# --------------------------------------------------------------------------- /ask


async def test_ask_defers_then_answers_with_the_cores_citations(world, rag):
    expected = rag.ask(TRAM_QUESTION)
    assert not expected.refused and expected.citations

    result, requests = await world.calls(world.alice.slash(world.channel, "ask", question=TRAM_QUESTION))

    assert requests[0].path.endswith("/callback") and requests[0].json["type"] == 5  # deferred ("thinking…")
    assert requests[-1].method == "PATCH" and requests[-1].path.endswith("/messages/@original")
    assert not result.response.ephemeral
    embed = embed_of(result.response)
    assert embed.title == TRAM_QUESTION
    assert "310 million euros" in embed.description
    assert_cites(embed, expected)
    assert [i.split(":")[1] for i in custom_ids(result.response)] == ["passages", "up", "down"]


async def test_private_ask_is_seen_only_by_the_asker(world):
    result = await world.alice.slash(world.channel, "ask", question=TRAM_QUESTION, private=True)
    assert result.response.ephemeral and "310 million euros" in embed_of(result.response).description
    assert not [m for m in world.channel.history(viewer=world.bob) if m.author.id == world.bot.user.id]


async def test_ask_with_filters(world, rag):
    result = await world.alice.slash(world.channel, "ask", question="Who is building a battery factory?",
                                     source="wire-news", since="2024-03-01")
    embed = embed_of(result.response)
    assert embed.fields and all("wire-news" in f.value for f in embed.fields)
    choices = await world.alice.autocomplete(world.channel, "ask", "source", "gazette")
    assert [c["value"] for c in choices] == ["riverton-gazette"]


async def test_a_question_the_corpus_does_not_cover_is_refused(world):
    result = await world.alice.slash(world.channel, "ask", question="What is the boiling point of tungsten?")
    embed = embed_of(result.response)
    assert "does not cover" in embed.description and not embed.fields
    assert embed.colour == fmt.COLOUR_REFUSED
    assert [i.split(":")[1] for i in custom_ids(result.response)] == ["up", "down"]  # nothing to show


async def test_discord_itself_refuses_a_question_longer_than_the_box_allows(world):
    command = next(c for c in await world.bot.tree.fetch_commands(guild=discord.Object(GUILD_ID))
                   if c.name == "ask")
    question = next(o for o in command.options if o.name == "question")
    assert (question.min_length, question.max_length) == (1, MAX_QUESTION_CHARS)
    with pytest.raises(simcord.OptionError, match="at most"):
        await world.alice.slash(world.channel, "ask", question="tram " * 300)


# Short in characters, long in tokens: refused by the core's token limit, said in words.
DENSE = "1; 2; 3; 4; 5; 6; 7; 8; 9; " * 20


@pytest.mark.parametrize("question,hint", [
    (DENSE, r"The question is too long \(180 words, 539 characters\); keep it to one or two sentences, "
            r"under about 150 words\."),
    ("   ", r"The question is empty: type a few words, e\.g\. “What did the council decide about the tram\?”\."),
])
async def test_an_unusable_question_gets_a_private_hint_without_an_error_id(world, question, hint):
    assert len(DENSE) <= MAX_QUESTION_CHARS and count_tokens(DENSE) > world.bot.settings.max_question_tokens
    result, requests = await world.calls(world.alice.slash(world.channel, "ask", question=question))
    assert result.response.ephemeral and re.fullmatch(hint, result.response.content)
    assert [r.json["type"] for r in requests] == [4]  # answered at once, never deferred
    world.expect_error(QuestionError)


async def test_a_bad_date_gets_a_private_hint(world):
    result = await world.alice.slash(world.channel, "ask", question=TRAM_QUESTION, since="last week")
    assert result.response.ephemeral
    assert result.response.content == "Dates look like 2024-03-01; 'last week' is not one."
    world.expect_error(BadOption)


# --------------------------------------------------------------------------- /sources and buttons


async def test_sources_shows_the_passages_of_your_last_answer(world, rag):
    before = await world.alice.slash(world.channel, "sources")
    assert before.response.ephemeral and "not asked" in before.response.content

    await world.alice.slash(world.channel, "ask", question=TRAM_QUESTION)
    result = await world.alice.slash(world.channel, "sources")

    assert result.response.ephemeral
    embed = embed_of(result.response)
    assert embed.title == f"Everything retrieved for: {TRAM_QUESTION}"
    assert embed.fields[0].name.startswith("[1]")
    assert re.search(r"\*\*[^*]*310 million euros[^*]*\*\*", embed.fields[0].value)
    assert [f for f in embed.fields if f.name.startswith("(not quoted)")]  # more than the Passages button
    assert len(embed) <= fmt.TOTAL
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
    assert {f.name: f.value for f in embed_of(status.response).fields}["Feedback"] == "👍 0 · 👎 2"
    with sqlite3.connect(world.bot.settings.feedback_path) as db:
        rows = db.execute("SELECT question, rating, user_hash, citations FROM feedback").fetchall()
    assert {r[1] for r in rows} == {-1} and len(rows) == 2
    assert all(r[0] == TRAM_QUESTION and json.loads(r[3])[0]["quote"] for r in rows)
    assert str(world.alice.id) not in {r[2] for r in rows}  # hashed


async def test_buttons_sources_and_follow_ups_survive_a_restart(world, rag):
    asked = await world.alice.slash(world.channel, "ask", question=TRAM_QUESTION)
    await world.bob.send(world.channel, f"{world.mention} {TRAM_QUESTION}")
    [thread] = world.channel.threads

    await world.env.restart_bot(build_bot(world.bot.settings, rag))  # a new process: nothing in memory

    shown = await world.bob.click(asked.response, label="Passages")
    assert "310 million euros" in embed_of(shown.response).fields[0].value
    rated = await world.alice.click(asked.response, label="Helpful")
    assert rated.response.content == "Thanks: recorded as helpful."
    sources = await world.alice.slash(world.channel, "sources")
    assert embed_of(sources.response).title == f"Everything retrieved for: {TRAM_QUESTION}"
    await world.bob.send(thread, f"{world.mention} When will it open?")
    reply = embed_of(thread.history()[-1])
    # The thread's first turn was read back: the follow-up is understood in its context.
    standalone = condense([Turn(TRAM_QUESTION, rag.ask(TRAM_QUESTION).text)], "When will it open?")
    assert standalone != "When will it open?" and reply.footer.text.startswith(f"Understood as “{standalone}”")
    assert "2027" in reply.description


# --------------------------------------------------------------------------- /summary


async def test_summary_of_an_article_chosen_by_title(world, rag, texts):
    choices = await world.alice.autocomplete(world.channel, "summary article", "article", "deep-water")
    assert len(choices) == 1 and choices[0]["name"].startswith("Port Aldine approves a deep-water terminal")

    result = await world.alice.slash(world.channel, "summary article", article=choices[0]["value"])

    embed = embed_of(result.response)
    assert embed.title == "Summary: Port Aldine approves a deep-water terminal"
    expected = rag.summarize_article(choices[0]["value"])
    assert 3 <= len(expected.citations) <= 6
    # One article: one source, [1], and no line on how current it is (its date is in the source line).
    assert embed.description == fmt.safe(fmt.renumbered(expected.text, expected.citations))
    assert embed.description.count("[1]") == len(expected.citations) and "[2]" not in embed.description
    assert embed.fields[0].value == ("[1] [Port Aldine approves a deep-water terminal](https://herald.example/terminal)"
                                     " · coast-herald · 20 Mar 2024")
    for c in expected.citations:  # every sentence is quoted exactly
        assert texts[c.article_id][c.start:c.end] == c.quote


async def test_summary_of_a_topic_over_a_date_range(world, rag):
    result = await world.alice.slash(world.channel, "summary topic", topic="Lumetra battery factory",
                                     since="2024-03-10", until="2024-03-31")
    embed = embed_of(result.response)
    assert embed.title == "Summary: Lumetra battery factory (2024-03-10 to 2024-03-31)"
    remembered = world.bot.answers.latest(world.alice.id).answer
    quotes = [c.quote for c in remembered.citations]
    assert quotes and all(date(2024, 3, 10) <= c.published <= date(2024, 3, 31) for c in remembered.citations)
    # The wire copy repeats the report word for word; no sentence appears twice.
    assert all(jaccard(shingles(a), shingles(b)) <= 0.5 for i, a in enumerate(quotes) for b in quotes[i + 1:])

    uncovered = await world.alice.slash(world.channel, "summary topic", topic="volcanic eruptions in Iceland")
    assert "does not cover" in embed_of(uncovered.response).description


async def test_summary_article_and_topic_are_subcommands_discord_enforces(world):
    [group] = [c for c in await world.bot.tree.fetch_commands(guild=discord.Object(GUILD_ID))
               if c.name == "summary"]
    options = {sub.name: {o.name: o.required for o in sub.options} for sub in group.options}
    assert options == {"article": {"article": True}, "topic": {"topic": True, "since": False, "until": False}}
    with pytest.raises(simcord.OptionError):  # an article cannot take dates, and one of the two is needed
        await world.alice.slash(world.channel, "summary article", article="x", since="2024-03-01")


async def test_an_article_typed_by_hand_that_matches_nothing_gets_only_a_private_hint(world):
    result, requests = await world.calls(
        world.alice.slash(world.channel, "summary article", article="Ferry strike in the harbour"))
    assert result.response.ephemeral
    assert result.response.content == "No indexed article has that title; pick one from the list as you type."
    assert [r.json["type"] for r in requests] == [4]  # never a public "thinking…" nor "This request failed."
    assert not [m for m in world.channel.history(viewer=world.bob) if m.author.id == world.bot.user.id]
    world.expect_error(NotFound)


# --------------------------------------------------------------------------- /status and /reindex


async def test_status_shows_what_is_indexed(world, rag):
    stats = rag.stats()
    result = await world.bob.slash(world.channel, "status")
    assert result.response.ephemeral
    fields = {f.name: f.value for f in embed_of(result.response).fields}
    assert fields["Articles"] == str(len(BOT_ARTICLES)) == str(stats.articles)
    assert fields["Passages"] == str(stats.chunks)
    assert fields["Newest article"] == "2024-03-20"
    assert fields["Last reindex"].startswith("<t:")
    assert fields["Answer mode"] == stats.answer_mode
    assert "data" not in " ".join(fields.values())  # no server paths
    assert "Embedding model" not in fields  # the bot's internals are for its admins
    managers = {f.name: f.value for f in embed_of((await world.manager.slash(world.channel, "status")).response).fields}
    assert managers["Embedding model"] == stats.embedding


async def test_status_explains_the_admin_commands_hidden_from_a_configured_admin_role(world, rag, caplog):
    hidden = "⚠ Admin commands hidden"
    own = {f.name: f.value for f in embed_of((await world.admin.slash(world.channel, "status")).response).fields}
    assert own[hidden] == ("You are one of the bot's admins, but Discord hides /reindex, /ingest, /feeds from you: "
                           "they are shown to members with Manage Server only, until a server admin allows your "
                           f"role (or you) for them under Server Settings > Integrations > {world.bot.user.name}.")
    managers = {f.name: f.value
                for f in embed_of((await world.manager.slash(world.channel, "status")).response).fields}
    assert managers[hidden].startswith("Members of the admin role News admins cannot see /reindex, /ingest, "
                                       "/feeds (shown to members with Manage Server only)")
    with caplog.at_level(logging.WARNING, logger="cogs"):  # and the log says so when the bot connects
        await world.env.restart_bot(build_bot(world.bot.settings, rag))
    assert [r.getMessage() for r in caplog.records if "cannot see /reindex, /ingest, /feeds" in r.getMessage()]

    commands = {c.name: c for c in await world.bot.tree.fetch_commands(guild=discord.Object(GUILD_ID))}
    for name in ("reindex", "ingest", "feeds"):
        world.guild.set_command_permissions(commands[name], {world.admin_role: True})
    for who in (world.admin, world.manager):
        fields = {f.name for f in embed_of((await who.slash(world.channel, "status")).response).fields}
        assert hidden not in fields and "Embedding model" in fields
    bobs = {f.name for f in embed_of((await world.bob.slash(world.channel, "status")).response).fields}
    assert hidden not in bobs


async def test_a_role_allowed_for_the_whole_bot_under_integrations_sees_the_admin_commands(world):
    # Integrations > the bot > Roles & Members: Discord applies it to every command without overrides
    # of its own (overrides set with the application's id).
    world.guild.set_command_permissions(world.bot.application_id, {world.admin_role: True})
    fields = {f.name for f in embed_of((await world.admin.slash(world.channel, "status")).response).fields}
    assert "⚠ Admin commands hidden" not in fields


async def test_reindex_is_for_admins_only_in_two_layers(world, rag):
    # Layer 1: Discord hides the command from members without Manage Server, and outside servers.
    command = await reindex_command(world)
    assert command.default_member_permissions == discord.Permissions(manage_guild=True)
    assert command.dm_permission is False  # guild_only
    assert "reindex" not in world.alice.available_commands(world.channel)
    with pytest.raises(simcord.SetupError, match="default-member-permissions"):
        await world.alice.slash(world.channel, "reindex")
    # Layer 2: a server admin may show it to anyone (Integrations settings); the bot still refuses.
    world.guild.set_command_permissions(command, {world.alice: True})
    generation = rag._refresh().manifest.generation
    result = await world.alice.slash(world.channel, "reindex")
    assert result.response.ephemeral and "Only server managers" in result.response.content
    assert rag._refresh().manifest.generation == generation  # nothing was reindexed
    world.expect_error(NotAdmin)


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


async def test_an_admin_reindexes_and_sees_progress_then_the_report(world, rag, changed_corpus):
    world.guild.set_command_permissions(await reindex_command(world), {world.admin_role: True})

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


async def test_a_manager_reindexes_an_unchanged_corpus_cheaply(world):
    result = await world.manager.slash(world.channel, "reindex")
    assert "0 chunks embedded" in embed_of(result.response).description
    assert not embed_of(result.response).fields  # nothing added, updated, removed or skipped


async def test_questions_are_answered_from_the_old_index_while_a_reindex_runs(world, rag):
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


# --------------------------------------------------------------------------- mentions and threads


async def test_a_mention_opens_a_thread_and_a_follow_up_is_understood_in_context(rag, tmp_path):
    async with open_world(rag, tmp_path, restrict_mentions=True) as world:
        _, requests = await world.calls(world.alice.send(world.channel, f"{world.mention} {TRAM_QUESTION}"))

        [thread] = world.channel.threads
        assert thread.name == TRAM_QUESTION
        first = thread.history()[-1]
        assert first.author.id == world.bot.user.id
        assert_cites(embed_of(first), rag.ask(TRAM_QUESTION))
        # "NewsBot is typing…" in the thread before the answer comes.
        calls = [(r.method, r.path) for r in requests]
        typing = calls.index(("POST", f"/channels/{thread.id}/typing"))
        assert typing < calls.index(("POST", f"/channels/{thread.id}/messages"))

        _, requests = await world.calls(world.alice.send(thread, f"{world.mention} When will it open?"))

        reply = thread.history()[-1]
        # The follow-up made standalone from the thread's first turn, as the core's rule does it.
        standalone = condense([Turn(TRAM_QUESTION, rag.ask(TRAM_QUESTION).text)], "When will it open?")
        assert standalone.endswith(": When will it open?")
        # Titled by the user's words; the question as the bot understood it is in the footer.
        assert embed_of(reply).title == "When will it open?"
        assert embed_of(reply).footer.text.startswith(f"Understood as “{standalone}” · ")
        assert "2027" in embed_of(reply).description
        assert ("POST", f"/channels/{thread.id}/typing") in [(r.method, r.path) for r in requests]

        # Without a mention (and without the message-content intent) the bot cannot read a message:
        # it says once how to ask a follow-up, and stays quiet after that.
        await world.bob.send(thread, "thanks!")
        hint = thread.history()[-1]
        assert hint.author.id == world.bot.user.id and hint.content.startswith(
            f"To ask me a follow-up in this thread, mention me: “@{world.bot.user.display_name} and when")
        await world.bob.send(thread, "very helpful")
        assert thread.history()[-1].author.id == world.bob.id
        # Mentions outside ALLOWED_CHANNEL_IDS are ignored.
        await world.alice.send(world.other_channel, f"{world.mention} {TRAM_QUESTION}")
        assert not world.other_channel.threads and len(world.other_channel.history()) == 1


async def test_follow_ups_need_no_mention_when_enabled(rag, tmp_path):
    async with open_world(rag, tmp_path, thread_followups_without_mention=True) as world:
        assert world.bot.intents.message_content
        await world.alice.send(world.channel, f"{world.mention} {TRAM_QUESTION}")
        [thread] = world.channel.threads

        await world.alice.send(thread, "And when does it open?")

        reply = thread.history()[-1]
        assert reply.author.id == world.bot.user.id
        assert embed_of(reply).title == "And when does it open?"
        standalone = condense([Turn(TRAM_QUESTION, rag.ask(TRAM_QUESTION).text)], "And when does it open?")
        assert embed_of(reply).footer.text.startswith(f"Understood as “{standalone}” · ")
        assert "2027" in embed_of(reply).description


async def test_a_mention_without_a_usable_question(world):
    await world.alice.send(world.channel, world.mention)
    assert "Mention me with a question" in world.channel.history()[-1].content
    assert world.channel.history()[-1].content.endswith("or see /help.")

    await world.alice.send(world.channel, f"{world.mention} {'tram ' * 300}")
    reply = world.channel.history()[-1]
    assert reply.author.id == world.bot.user.id and not world.channel.threads
    assert re.fullmatch(r"The question is too long \(300 words, 1,499 characters\); keep it to one or two "
                        r"sentences, under about 150 words\.", reply.content)


# --------------------------------------------------------------------------- limits and safety


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


async def test_an_oversized_answer_is_cut_to_fit_discord(world, monkeypatch):
    # The extractive core never writes this much; a longer answer (e.g. from an LLM) must still fit.
    huge = _huge_answer()
    monkeypatch.setattr(world.bot.service, "ask", lambda question, filters: huge)

    result = await world.alice.slash(world.channel, "ask", question=TRAM_QUESTION)

    embed = embed_of(result.response)  # simcord, like Discord, rejects anything over a limit
    assert len(embed) <= fmt.TOTAL and len(embed.description) <= fmt.DESCRIPTION
    assert len(embed.title) <= fmt.TITLE and len(embed.fields) <= fmt.FIELDS
    assert all(len(f.name) <= fmt.FIELD_NAME and len(f.value) <= fmt.FIELD_VALUE for f in embed.fields)
    assert re.search(r"\[\d+\] …$", embed.description)  # cut after a sentence and its marker
    passages = await world.alice.slash(world.channel, "sources")
    assert len(embed_of(passages.response)) <= fmt.TOTAL


async def test_everyone_in_an_article_pings_nobody(world, rag):
    question = "Why was the Riverton harbour festival cancelled?"
    assert EVERYONE in rag.ask(question).text  # the article really says it

    result = await world.alice.slash(world.channel, "ask", question=question)
    await world.alice.send(world.channel, f"{world.mention} {question}")  # and through a thread

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


async def test_cooldown_per_user(rag, tmp_path):
    async with open_world(rag, tmp_path, cooldown_seconds=30) as world:
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
        await world.alice.send(world.channel, f"{world.mention} {TRAM_QUESTION}")  # mentions count too
        assert "ask again <t:" in world.channel.history()[-1].content and not world.channel.threads

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
    assert not [m for m in world.channel.history(viewer=world.bob) if m.author.id == world.bot.user.id]
    [record] = [r for r in caplog.records if error_id in r.getMessage()]
    assert record.levelno == logging.ERROR and record.exc_info  # the trace is in the log, under the id
    world.expect_error(discord.HTTPException)


# --------------------------------------------------------------------------- long outlet names


async def test_a_long_outlet_name_chosen_in_the_autocomplete_filters_its_articles(embeddings, tmp_path):
    outlet = "The Riverton and Port Aldine Evening Chronicle of Harbour Affairs, Shipping, Ferries " \
             "and the Coastal Economy (weekend edition)"
    assert len(outlet) > 100
    settings = replace(Settings(), corpus_dir=tmp_path / "corpus", data_dir=tmp_path / "data")
    write_corpus(settings.corpus_dir, {**ARTICLES, "ferry.md": {
        "title": "Ferry fares rise by a fifth", "published": "2024-03-14", "source": outlet,
        "url": "https://chronicle.example/ferry",
        "text": "Ferry fares between Riverton and Port Aldine will rise by 20 percent in April, the ferry "
                "operator announced on Thursday, blaming the price of fuel."}})
    service = RagService(settings, embeddings=embeddings)
    service.reindex()
    async with open_world(service, tmp_path) as world:
        [choice] = await world.alice.autocomplete(world.channel, "ask", "source", "Evening Chronicle")
        assert len(choice["value"]) <= 100 and outlet.startswith(choice["value"])
        result = await world.alice.slash(world.channel, "ask", question="How much will ferry fares rise?",
                                         source=choice["value"])
        embed = embed_of(result.response)
        assert "20 percent" in embed.description and embed.fields
        assert all("Evening Chronicle" in f.value for f in embed.fields)
        # An outlet the index does not have: the reply says the filter is the cause.
        bad = await world.alice.slash(world.channel, "ask", question="How much will ferry fares rise?",
                                      source="Riverton Morning Star")
        assert bad.response.ephemeral
        assert "No outlet in the index is called 'Riverton Morning Star'" in bad.response.content
        world.expect_error(BadOption)


async def test_a_follow_up_on_cooldown_costs_no_llm_call(rag, tmp_path):
    from tests.fakes import ScriptedChatModel

    model = ScriptedChatModel.replying(*["The tram line will cost 310 million euros [1]."] * 4)
    generative = RagService(rag.settings, embeddings=rag.embeddings, client=rag.client, chat_model=model)
    async with open_world(generative, tmp_path, cooldown_seconds=30) as world:
        await world.alice.send(world.channel, f"{world.mention} {TRAM_QUESTION}")
        [thread] = world.channel.threads
        calls = len(model.sent)
        assert calls >= 1
        for _ in range(3):
            await world.alice.send(thread, f"{world.mention} When will it open?")
            assert "ask again <t:" in thread.history()[-1].content  # the cooldown hint, as a Discord timestamp
        assert len(model.sent) == calls  # no follow-up was condensed by the model


async def test_autocompletes_answer_while_slow_answers_hold_every_default_worker_thread(world):
    release = threading.Event()
    loop = asyncio.get_running_loop()
    # Slow answers (an LLM near its timeout) run on the default executor: hold all of its threads.
    held = [loop.run_in_executor(None, release.wait, SETTLE) for _ in range(min(32, (os.cpu_count() or 1) + 4))]
    try:
        sources = await asyncio.wait_for(world.alice.autocomplete(world.channel, "ask", "source", "gazette"), 20)
        assert [c["value"] for c in sources] == ["riverton-gazette"]
        articles = await asyncio.wait_for(
            world.alice.autocomplete(world.channel, "summary article", "article", "deep-water"), 20)
        assert articles and articles[0]["name"].startswith("Port Aldine approves a deep-water terminal")
    finally:
        release.set()
        await asyncio.gather(*held)
