"""A whole Discord session with the bot, recorded through simcord and written as Markdown.

``python -m tests.cogs.transcript [docs/transcript.md]`` runs the real bot (discord.py's own
dispatch against simcord's simulated Discord) on the real answering core over the small test
corpus, as members and admins use it: every command, the buttons, a thread with two
follow-ups, a restart in the middle, a cooldown, bad input and a member trying the admin
commands. What each person saw is recorded step by step (the payloads) and rendered as the
example committed in ``docs/transcript.md``; ``tests/cogs/test_transcript.py`` asserts on the
recorded payloads.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord
import simcord

from cogs.utils.errors import unwrap
from newsbot import build_bot
from rag.app import App
from rag.service import RagService
from rag.core.settings import Settings

from tests.conftest import ROOT, write_corpus
from tests.cogs.world import BOT_ARTICLES, GUILD_ID, TRAM_QUESTION, World, open_world

COOLDOWN = 10
FOLLOWUPS = ("When will it open?", "And what did the mayor say?")


@dataclass
class Shown:
    """One message as Discord showed it: text, embeds and buttons, and who could see it."""

    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    buttons: list[str] = field(default_factory=list)
    ephemeral: bool = False
    where: str = ""  # "#news", "thread “…”"


@dataclass(eq=False)
class Step:
    """What one person did, and what the bot showed in return."""

    actor: str
    action: str
    shown: list[Shown] = field(default_factory=list)
    note: str = ""  # what happened outside the bot's messages (e.g. Discord hid a command)
    typing: bool = False
    errors: list[str] = field(default_factory=list)  # kinds of error the bot reported (hints included)


def _buttons(components: list[dict[str, Any]]) -> list[str]:
    out = []
    for row in components:
        for b in row.get("components", []):
            emoji = (b.get("emoji") or {}).get("name", "")
            out.append(f"{emoji} {b.get('label', '')}".strip())
    return out


def shown_response(message: simcord.ResponseMessage | None, where: str) -> list[Shown]:
    if message is None:
        return []
    return [Shown(message.content or "", [e.to_dict() for e in message.embeds], _buttons(message.components),
                  message.ephemeral, where)]


def shown_message(message: discord.Message, where: str) -> Shown:
    components = [c.to_dict() for c in message.components]
    return Shown(message.content or "", [e.to_dict() for e in message.embeds], _buttons(components), False, where)


class Session:
    """Drives the world and records each step."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.steps: list[Step] = []
        self.results: dict[str, simcord.InteractionResult] = {}

    def _where(self, channel: simcord.ChannelHandle) -> str:
        return f"#{channel.name}" if channel.id == self.world.channel.id else f"thread “{channel.name}”"

    def _errors_since(self, cursor: int) -> list[str]:
        return [type(unwrap(e)).__name__ for e in self.world.env.errors_since(cursor)]

    async def slash(self, actor: simcord.MemberActor, name: str, label: str | None = None,
                    **options: Any) -> Step:
        text = " ".join([f"/{name}", *(f"{k}: {v}" for k, v in options.items())])
        step = Step(actor.name, f"`{text}`" if label is None else label)
        cursor = self.world.env.error_cursor
        try:
            result = await actor.slash(self.world.channel, name, **options)
        except simcord.SetupError as exc:  # e.g. Discord does not offer the command to this member
            step.note = f"Discord refuses: {exc}"
        else:
            self.results[f"{len(self.steps)}"] = result
            step.shown = shown_response(result.response, "#news")
            for followup in result.followups:
                step.shown += shown_response(followup, "#news")
        step.errors = self._errors_since(cursor)
        self.steps.append(step)
        return step

    async def click(self, actor: simcord.MemberActor, step_index: int, label: str) -> Step:
        step = Step(actor.name, f"clicks **{label}** under the answer of step {step_index + 1}")
        cursor = self.world.env.error_cursor
        result = await actor.click(self.results[f"{step_index}"].response, label=label)
        step.shown = shown_response(result.response, "#news")
        step.errors = self._errors_since(cursor)
        self.steps.append(step)
        return step

    async def send(self, actor: simcord.MemberActor, channel: simcord.ChannelHandle, text: str) -> Step:
        world = self.world
        shown_text = text.replace(world.mention, f"@{world.bot.user.name}")
        step = Step(actor.name, f"writes in {self._where(channel)}: “{shown_text}”")
        cursor = world.env.error_cursor
        before = {m.id for c in self._channels() for m in c.history()}
        start = len(world.env.http_requests)
        await actor.send(channel, text)
        step.typing = any(r.method == "POST" and r.path.endswith("/typing")
                          for r in world.env.http_requests[start:])
        for c in self._channels():
            step.shown += [shown_message(m, self._where(c)) for m in c.history()  # not Discord's own notices
                           if m.id not in before and m.author.id == world.bot.user.id
                           and m.type in (discord.MessageType.default, discord.MessageType.reply)]
        step.errors = self._errors_since(cursor)
        self.steps.append(step)
        return step

    def _channels(self) -> list[simcord.ChannelHandle]:
        return [self.world.channel, *self.world.channel.threads]

    def note(self, actor: str, action: str, note: str) -> Step:
        step = Step(actor, action, note=note)
        self.steps.append(step)
        return step

    async def wait(self, seconds: float) -> None:
        await self.world.env.advance_time(seconds)


async def play(session: Session, rag: RagService) -> None:
    """The session: members first, a restart in the middle, then the admins."""
    world, s = session.world, session
    alice, bob, manager, admin = world.alice, world.bob, world.manager, world.admin

    await s.slash(alice, "help")
    await s.send(alice, world.channel, f"{world.mention} help")
    asked = len(s.steps)
    await s.slash(alice, "ask", question=TRAM_QUESTION)
    await s.click(bob, asked, "Passages")
    await s.click(alice, asked, "Helpful")
    await s.slash(alice, "sources")
    await s.slash(alice, "ask", question="When does the tram line open?")  # within the cooldown
    await s.wait(COOLDOWN)
    await s.slash(bob, "ask", question=TRAM_QUESTION, since="last week")
    await s.slash(bob, "ask", question="   ")
    await s.slash(bob, "summary article", article="Ferry strike in the harbour")  # typed by hand
    choices = await bob.autocomplete(world.channel, "summary article", "article", "deep-water")
    await s.slash(bob, "summary article", label=f"`/summary article: {choices[0]['name']}` (picked from the list)",
                  article=choices[0]["value"])
    await s.wait(COOLDOWN)
    await s.slash(alice, "summary topic", topic="Lumetra battery factory", since="2024-03-10")
    await s.wait(COOLDOWN)
    await s.slash(bob, "timeline", topic="Lumetra battery factory")
    await s.wait(COOLDOWN)
    await s.slash(alice, "ask", question="What is the boiling point of tungsten?")
    await s.wait(COOLDOWN)

    await s.send(bob, world.channel, f"{world.mention} {TRAM_QUESTION}")
    [thread] = world.channel.threads
    await s.wait(COOLDOWN)
    await s.send(alice, thread, f"{world.mention} {FOLLOWUPS[0]}")
    await s.send(bob, thread, "thanks!")

    world.bot = build_bot(App(world.bot.settings, rag))
    await world.env.restart_bot(world.bot)
    s.note("—", "**The bot restarts** (a new process: nothing in memory)",
           "Answers and threads are read back from answers.sqlite3 beside the feedback database.")
    await s.wait(COOLDOWN)
    await s.send(alice, thread, f"{world.mention} {FOLLOWUPS[1]}")
    await s.click(bob, asked, "Passages")
    await s.slash(bob, "sources")

    await s.slash(bob, "status")
    await s.slash(admin, "status")
    await s.slash(manager, "status")
    s.note(bob.name, "looks for /reindex",
           f"Discord offers bob: {', '.join('/' + c for c in sorted(bob.available_commands(world.channel)))}")
    await s.slash(bob, "reindex")
    commands = {c.name: c for c in await world.bot.tree.fetch_commands(guild=discord.Object(GUILD_ID))}
    world.guild.set_command_permissions(commands["reindex"], {bob: True})
    s.note(manager.name, "allows bob to see /reindex under Server Settings > Integrations",
           "Discord now offers /reindex to bob; the bot still checks who may run it.")
    await s.slash(bob, "reindex")
    await s.slash(manager, "reindex")
    for name in ("reindex", "ingest", "feeds"):
        world.guild.set_command_permissions(commands[name], {world.admin_role: True})
    s.note(manager.name, "allows the News admins role to see /reindex, /ingest and /feeds under Integrations",
           "The warning in /status goes away.")
    await s.slash(admin, "status")
    await s.slash(admin, "feeds list")


async def record(workdir: Path, embeddings=None) -> list[Step]:
    """Index the test corpus in ``workdir``, play the session, return its steps."""
    from rag.index.embeddings import make_embeddings

    settings = Settings().replace(corpus_dir=workdir / "corpus", data_dir=workdir / "data")
    write_corpus(settings.corpus_dir, BOT_ARTICLES)
    rag = RagService(settings, embeddings=embeddings or make_embeddings(settings))
    await asyncio.to_thread(rag.reindex)
    async with open_world(rag, workdir, cooldown_seconds=COOLDOWN) as world:
        session = Session(world)
        await play(session, rag)
        world.acknowledged = world.env.error_cursor  # every error is in the steps, for the tests to check
    return session.steps


# --------------------------------------------------------------------------- Markdown


def _quote(text: str) -> list[str]:
    return [f"> {line}" if line else ">" for line in text.split("\n")]


def render_shown(shown: Shown) -> list[str]:
    seen = "only the user sees this" if shown.ephemeral else f"in {shown.where}, for everyone"
    lines = [f"*Bot ({seen}):*", ""]
    if shown.content:
        lines += _quote(shown.content)
    for embed in shown.embeds:
        if shown.content:
            lines.append(">")
        if embed.get("title"):
            lines += _quote(f"**{embed['title']}**")
        if embed.get("description"):
            lines += _quote(embed["description"])
        for f in embed.get("fields", []):
            lines += [">", *_quote(f"**{f['name']}**"), *_quote(f["value"])]
        if (embed.get("footer") or {}).get("text"):
            lines += [">", *_quote(f"<sub>{embed['footer']['text']}</sub>")]
    if shown.buttons:
        lines += [">", "> " + "  ".join(f"`[{b}]`" for b in shown.buttons)]
    return lines + [""]


def render(steps: list[Step]) -> str:
    out = [
        "# A session with the bot",
        "",
        "Recorded by `python -m tests.cogs.transcript` (the real bot through discord.py, against simcord's",
        f"simulated Discord, on the real answering core over the test corpus of {len(BOT_ARTICLES)} short",
        "articles from March 2024). Members: alice and bob; manager has Manage Server; admin has the",
        "*News admins* role listed in `ADMIN_ROLE_IDS`. Cooldown: 10 seconds. Dates such as",
        "\"2 years ago\" are counted from the day it was recorded; `<t:…:R>` is shown by Discord as",
        "a live countdown (\"in 10 seconds\").",
        "",
    ]
    for i, step in enumerate(steps, start=1):
        out += [f"## {i}. {step.actor}: {step.action}", ""]
        if step.typing:
            out += ["*Bot is typing…*", ""]
        for shown in step.shown:
            out += render_shown(shown)
        if step.note:
            out += [f"*{step.note}*", ""]
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str]) -> int:
    target = Path(argv[0]) if argv else ROOT / "docs" / "transcript.md"
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    with tempfile.TemporaryDirectory() as tmp:
        steps = asyncio.run(record(Path(tmp)))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(steps), encoding="utf-8")
    print(f"wrote {target} ({len(steps)} steps)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
