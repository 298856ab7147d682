"""The Discord bot: a ``commands.Bot`` holding the parts the composition root built, by ``build_bot``.

Importing this module does nothing; ``build_bot(app)`` makes a bot that tests run under a simulated
Discord and that ``bot.py`` starts with the real token. The cogs reach the service, the feeds, the
uploads and the bot's state through it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from pathlib import Path

import discord
from discord import app_commands
from discord.ext import commands

from cogs.utils.checks import Cooldown
from cogs.utils.errors import report_interaction_error
from cogs.utils.visibility import log_trap
from cogs.utils.views import AnswerButton
from rag.app import App
from rag.core.errors import RagError
from rag.core.fsutil import atomic_write
from rag.core.settings import Settings
from rag.core.tokens import count_tokens

log = logging.getLogger(__name__)

EXTENSIONS = ("cogs.help", "cogs.ask", "cogs.summary", "cogs.admin", "cogs.ingest", "cogs.timeline", "cogs.feeds")

# What the bot needs in a server's channels (the README says why for each). Slash-command
# replies need none of these: Discord delivers them through the interaction itself.
INVITE_PERMISSIONS = discord.Permissions(
    view_channel=True,  # see the channels where it is mentioned
    send_messages=True,  # the follow-up hint in a thread; an error line when DMs are closed
    read_message_history=True,  # replies refer to the message they answer
    create_public_threads=True,  # a mention is answered in a new thread
    send_messages_in_threads=True,  # answers and follow-ups in that thread
    embed_links=True,  # answers are embeds with links to the articles
)


def invite_url(application_id: int) -> str:
    """The link that adds the bot to a server, with its slash commands and the permissions above."""
    return discord.utils.oauth_url(application_id, permissions=INVITE_PERMISSIONS,
                                   scopes=("bot", "applications.commands"))


def intents_for(settings: Settings) -> discord.Intents:
    """Only what the bot uses: servers and their channels and threads, and messages that mention it."""
    intents = discord.Intents.none()
    intents.guilds = True  # servers, channels, threads and roles in the cache
    intents.guild_messages = True  # mentions of the bot, and follow-ups in its threads
    # Privileged: the text of messages that do not mention the bot, i.e. follow-ups in a thread
    # without a mention. Off unless asked for (and then enabled in the developer portal too).
    intents.message_content = settings.thread_followups_without_mention
    return intents


class NewsTree(app_commands.CommandTree):
    """The command tree; its errors go through the one error path."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await report_interaction_error(interaction, error)

    def fingerprint(self, guild: discord.abc.Snowflake | None) -> str:
        """A hash of exactly what a sync would send Discord for ``guild`` (None: the global commands)."""
        payload = [command.to_dict(self) for command in self._get_all_commands(guild=guild)]
        payload.sort(key=lambda c: (c.get("type", 1), c["name"]))
        text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


class SyncRecord:
    """The fingerprint of the commands last synced to each target, kept in a small JSON file.

    discord.py advises syncing on demand: every sync counts against a tight rate limit, and a
    global sync takes a while to reach every server. The bot syncs when what it would send
    differs from what it sent last time (or when asked to, with ``bot.py --sync``).
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("cannot read %s (%s); the commands will be synced", self.path, exc)
            return {}
        return data if isinstance(data, dict) else {}

    def matches(self, target: str, fingerprint: str) -> bool:
        return self._read().get(target) == fingerprint

    def store(self, target: str, fingerprint: str) -> None:
        data = self._read()
        data[target] = fingerprint
        atomic_write(self.path, (json.dumps(data, indent=1, sort_keys=True) + "\n").encode("utf-8"))


class NewsBot(commands.Bot):
    """Holds the settings and the parts of the app (the service, the feeds, the uploads, the bot's state);
    the cogs do the rest."""

    def __init__(self, app: App, force_sync: bool = False) -> None:
        settings = app.settings
        super().__init__(
            command_prefix=commands.when_mentioned,  # unused: the bot has slash commands only
            intents=intents_for(settings),
            allowed_mentions=discord.AllowedMentions.none(),  # nothing the bot posts pings anyone
            help_command=None,
            tree_cls=NewsTree,
        )
        self.app = app
        self.settings = settings
        self.service = app.service
        self.feedback = app.feedback
        self.answers = app.answers
        self.conversations = app.conversations
        self.cooldown = Cooldown(settings.cooldown_seconds)
        # One reindex at a time in this bot (/reindex, /ingest, /feeds sync); the core's file lock covers
        # other processes.
        self.reindexing = asyncio.Lock()
        self.force_sync = force_sync
        self.synced = SyncRecord(app.state_dir / "discord-commands.json")

    async def setup_hook(self) -> None:
        self.add_dynamic_items(AnswerButton)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await asyncio.to_thread(self._warm_up)
        await self._sync_commands()

    def _warm_up(self) -> None:
        """Load the tokenizer, the embedding model and the index now rather than on the first question."""
        count_tokens("warm up")
        try:
            stats = self.service.stats()
        except RagError as exc:
            log.warning("the index is not ready (%s); an admin can run /reindex", exc)
        else:
            log.info("serving %d articles (%d passages), answer mode %s",
                     stats.articles, stats.chunks, stats.answer_mode)

    async def _sync_commands(self) -> None:
        """Register the commands with Discord when they changed since the last sync, or when forced."""
        guild_id = self.settings.discord_guild_id
        guild = discord.Object(id=guild_id) if guild_id else None
        if guild is not None:  # development: a guild's commands update instantly
            self.tree.copy_global_to(guild=guild)
        where = f"server {guild_id}" if guild_id else "every server (global)"
        target = f"{self.application_id}:{guild_id or 'global'}"
        fingerprint = self.tree.fingerprint(guild)
        if not self.force_sync and await asyncio.to_thread(self.synced.matches, target, fingerprint):
            log.info("commands unchanged since the last sync to %s; not syncing (bot.py --sync forces it)", where)
            return
        synced = await self.tree.sync(guild=guild)
        await asyncio.to_thread(self.synced.store, target, fingerprint)
        log.info("synced %d commands to %s", len(synced), where)

    async def on_ready(self) -> None:
        log.info("logged in as %s in %d servers; invite link: %s", self.user, len(self.guilds),
                 invite_url(self.application_id or self.user.id))
        await log_trap(self)

    async def on_message(self, message: discord.Message) -> None:
        """Prefix commands are not used; mentions and thread follow-ups are handled in cogs/ask.py."""


def build_bot(app: App, force_sync: bool = False) -> NewsBot:
    """The bot, holding the app's parts; cogs load when it logs in, and the commands are synced then if
    they changed since the last sync (or ``force_sync``)."""
    return NewsBot(app, force_sync)
