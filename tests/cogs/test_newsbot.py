"""The bot's wiring (newsbot.py, bot.py): intents, the invite link, the commands registered and
synced, and bot.py without a token. The bot runs on the fake service: nothing here asks it anything."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import discord
import pytest
import simcord

import bot as bot_py
from newsbot import INVITE_PERMISSIONS, build_bot, intents_for, invite_url
from rag.app import App
from rag.core.settings import Settings

from tests.conftest import ROOT
from tests.cogs.world import GUILD_ID


def test_intents_are_only_what_the_bot_uses():
    plain = intents_for(Settings())
    assert plain.guilds and plain.guild_messages
    assert not plain.message_content and not plain.members and not plain.presences and not plain.dm_messages
    assert intents_for(Settings().replace(thread_followups_without_mention=True)).message_content


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


async def test_commands_are_synced_only_when_they_changed_or_when_asked(world, fake):
    assert len(command_syncs(world.env)) == 1  # the first start: nothing was synced before
    record = json.loads((world.bot.app.state_dir / "discord-commands.json").read_text(encoding="utf-8"))
    assert list(record) == [f"{world.bot.application_id}:{GUILD_ID}"]

    await world.env.restart_bot(build_bot(App(world.bot.settings, fake)))  # the same commands
    assert len(command_syncs(world.env)) == 1
    assert {"ask", "help", "reindex"} <= set(world.manager.available_commands(world.channel))

    changed = build_bot(App(world.bot.settings, fake))
    changed.tree.add_command(discord.app_commands.Command(
        name="ping", description="A command added in a new release", callback=_ping))
    await world.env.restart_bot(changed)
    assert len(command_syncs(world.env)) == 2 and "ping" in world.alice.available_commands(world.channel)

    await world.env.restart_bot(build_bot(App(world.bot.settings, fake), force_sync=True))  # bot.py --sync
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
