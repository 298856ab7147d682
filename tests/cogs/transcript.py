"""A whole Discord session with the bot, recorded through simcord and written as Markdown.

``python -m tests.cogs.transcript [OUT.md]`` runs the real bot (discord.py's own dispatch against
simcord's simulated Discord) on the real answering core over the session corpus of
tests/cogs/session_corpus.py (the seed article and a week of articles written for the tests), as
members and admins use it: every command, the buttons, a thread with follow-ups, a restart in the
middle, cooldowns, bad input, a member trying the admin commands, a full reindex and a reindex by
another process (`python -m rag index`, as from a terminal). What each person saw is recorded step
by step (the payloads) and rendered as the example committed in ``docs/transcript.md``;
``tests/cogs/test_transcript.py`` asserts on the recorded payloads.

``--corpus DIR --script SCRIPT.json`` plays the same session over other articles (the questions of
the script, keyed as ``session_corpus.SCRIPT``), e.g. a week of the bench's, whose text must stay
local: such a transcript is for reading, not for committing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import discord
import simcord

from cogs.utils.errors import unwrap
from newsbot import build_bot
from rag.app import App
from rag.search import searcher
from rag.service import RagService
from rag.core.settings import Settings

from tests.conftest import ROOT, write_article, write_corpus
from tests.cogs.session_corpus import SCRIPT, SEED, WEEK
from tests.cogs.world import GUILD_ID, World, open_world

COOLDOWN = 10


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
        self.progress: list[str] = []  # the progress lines the last command's reply showed before its result

    def _where(self, channel: simcord.ChannelHandle) -> str:
        return f"#{channel.name}" if channel.id == self.world.channel.id else f"thread “{channel.name}”"

    def _errors_since(self, cursor: int) -> list[str]:
        return [type(unwrap(e)).__name__ for e in self.world.env.errors_since(cursor)]

    async def slash(self, actor: simcord.MemberActor, name: str, label: str | None = None,
                    **options: Any) -> Step:
        text = " ".join([f"/{name}", *(f"{k}: {v}" for k, v in options.items())])
        step = Step(actor.name, f"`{text}`" if label is None else label)
        cursor = self.world.env.error_cursor
        start = len(self.world.env.http_requests)
        try:
            result = await actor.slash(self.world.channel, name, **options)
        except simcord.SetupError as exc:  # e.g. Discord does not offer the command to this member
            step.note = f"Discord refuses: {exc}"
        else:
            self.results[f"{len(self.steps)}"] = result
            step.shown = shown_response(result.response, "#news")
            for followup in result.followups:
                step.shown += shown_response(followup, "#news")
            self.progress = [f"“{r.json['content']}”" for r in self.world.env.http_requests[start:]
                             if r.method == "PATCH" and (r.json or {}).get("content", "") and
                             str(r.json["content"]).startswith("Reindexing:")]
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
        dm = actor.user.dm_channel
        before = {m.id for c in [*self._channels(), dm] for m in c.history()}
        start = len(world.env.http_requests)
        await actor.send(channel, text)
        step.typing = any(r.method == "POST" and r.path.endswith("/typing")
                          for r in world.env.http_requests[start:])
        for c in self._channels():
            step.shown += [shown_message(m, self._where(c)) for m in c.history()  # not Discord's own notices
                           if m.id not in before and m.author.id == world.bot.user.id
                           and m.type in (discord.MessageType.default, discord.MessageType.reply)]
        step.shown += [shown_message(m, f"a direct message to {actor.name}") for m in dm.history()
                       if m.id not in before and m.author.id == world.bot.user.id]
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


async def play(session: Session, rag: RagService, script: dict) -> None:
    """The session: members first, a restart in the middle, then the admins."""
    world, s = session.world, session
    alice, bob = world.alice, world.bob
    ex = await asyncio.to_thread(rag.examples)  # what /help offers: the session tries it

    await s.slash(alice, "help")
    await s.send(alice, world.channel, f"{world.mention} help")
    asked = len(s.steps)
    await s.slash(alice, "ask", question=script["question"])
    await s.click(bob, asked, "Passages")
    await s.click(alice, asked, "Helpful")
    await s.slash(alice, "sources")
    await s.slash(alice, "ask", question=script["quick_question"])  # within the cooldown
    await s.wait(COOLDOWN)
    await s.slash(bob, "ask", question=script["question"], since="last week")
    await s.slash(bob, "ask", question="   ")
    await s.slash(bob, "timeline", topic="   ")
    await s.slash(bob, "summary article", article="A title nobody wrote")  # typed by hand
    choices = await bob.autocomplete(world.channel, "summary article", "article", ex.topic.split()[0])
    await s.slash(bob, "summary article", label=f"`/summary article: {choices[0]['name']}` (picked from the list)",
                  article=choices[0]["value"])
    for name, options in (("summary topic", {"topic": ex.topic, "since": ex.since.isoformat()}),
                          ("timeline", {"topic": ex.topic}), ("timeline", {"topic": script["uncovered_topic"]})):
        await s.wait(COOLDOWN)
        await s.slash(alice if name == "summary topic" else bob, name, **options)
    for question in (script["refused_question"], script["naming_question"], "What happened this week?"):
        await s.wait(COOLDOWN)
        await s.slash(alice, "ask", question=question)
    await s.wait(COOLDOWN)
    await mentions(s, rag, script, asked)
    await admins(s, rag, script)


async def mentions(s: Session, rag: RagService, script: dict, asked: int) -> None:
    """A question by mention, its thread, a hint, a cooldown said privately, and a restart."""
    world, alice, bob = s.world, s.world.alice, s.world.bob
    await s.send(bob, world.channel, f"{world.mention} {script['mention']}")
    [thread] = world.channel.threads
    await s.send(bob, thread, "thanks!")
    await s.send(bob, thread, f"{world.mention} {script['followups'][0]}")  # within bob's cooldown
    await s.wait(COOLDOWN)
    await s.send(alice, thread, f"{world.mention} {script['followups'][0]}")

    world.bot = build_bot(App(world.bot.settings, rag))
    await world.env.restart_bot(world.bot)
    s.note("—", "**The bot restarts** (a new process: nothing in memory)",
           "Answers, threads and their hints are read back from answers.sqlite3 beside the feedback database.")
    quiet = await s.send(bob, thread, "thanks again!")
    if not quiet.shown:
        quiet.note = "No reply: the bot told this thread how to ask a follow-up once already, before the restart."
    await s.wait(COOLDOWN)
    await s.send(alice, thread, f"{world.mention} {script['followups'][1]}")
    await s.click(bob, asked, "Passages")
    await s.slash(bob, "sources")


async def admins(s: Session, rag: RagService, script: dict) -> None:
    """/status, the admin commands' visibility, a full reindex, and a reindex from the terminal."""
    world, bob, manager, admin = s.world, s.world.bob, s.world.manager, s.world.admin
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
    full = await s.slash(manager, "reindex", full=True)
    full.note = f"While it ran, the reply read: {' · '.join(s.progress) or '(nothing yet)'}"
    for name in ("reindex", "ingest", "feeds"):
        world.guild.set_command_permissions(commands[name], {world.admin_role: True})
    s.note(manager.name, "allows the News admins role to see /reindex, /ingest and /feeds under Integrations",
           "The warning in /status goes away.")
    await s.slash(admin, "status")

    new = script["new_article"]
    write_article(rag.settings.corpus_dir, "new-article.md", new)
    printed = await asyncio.to_thread(index_beside, rag.settings)
    s.note(admin.name, f"saves “{new['title']}” into the corpus folder and runs `python -m rag index` in a "
                       "terminal (another process; the bot keeps running)", f"The terminal prints: {printed}")
    await s.wait(COOLDOWN)
    await s.slash(world.alice, "ask", question=script["new_question"])
    await s.slash(admin, "feeds list")


def index_beside(settings: Settings) -> str:
    """`python -m rag index` on the session's folders, in a process of its own; the report's first line."""
    env = dict(os.environ, CORPUS_DIR=str(settings.corpus_dir), DATA_DIR=str(settings.data_dir))
    for name in ("CHROMA_HOST", "CHROMA_PORT", "LLM_PROVIDER"):
        env.pop(name, None)
    result = subprocess.run([sys.executable, "-m", "rag", "index"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"python -m rag index failed: {result.stderr[-500:]}")
    return result.stdout.splitlines()[0]


@contextmanager
def asked_on(day: date):
    """The bot's "today" (questions are asked as of it): the day of the session, whatever day it is recorded."""
    real = searcher.today
    searcher.today = lambda: day
    try:
        yield
    finally:
        searcher.today = real


def session_corpus(folder: Path) -> Path:
    """The committed session's corpus: the seed article and the week of tests/cogs/session_corpus.py."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SEED, folder / SEED.name)
    return write_corpus(folder, WEEK)


async def record(workdir: Path, embeddings=None, corpus: Path | None = None, script: dict = SCRIPT) -> list[Step]:
    """Index the session corpus (or a copy of ``corpus``) in ``workdir``, play the session, return its steps."""
    from rag.index.embeddings import make_embeddings

    settings = Settings().replace(corpus_dir=workdir / "corpus", data_dir=workdir / "data")
    if corpus is None:
        session_corpus(settings.corpus_dir)
    else:
        shutil.copytree(corpus, settings.corpus_dir)
    rag = RagService(settings, embeddings=embeddings or make_embeddings(settings))
    await asyncio.to_thread(rag.reindex)
    with asked_on(date.fromisoformat(script["today"])):
        async with open_world(rag, workdir, cooldown_seconds=COOLDOWN) as world:
            session = Session(world)
            await play(session, rag, script)
            world.acknowledged = world.env.error_cursor  # every error is in the steps, for the tests to check
    return session.steps


# --------------------------------------------------------------------------- Markdown


def _quote(text: str) -> list[str]:
    return [f"> {line}" if line else ">" for line in text.split("\n")]


def render_shown(shown: Shown) -> list[str]:
    if shown.where.startswith("a direct message"):
        seen = f"{shown.where}: only they see it"
    else:
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


COMMITTED_CORPUS = (
    f"the session corpus of tests/cogs/session_corpus.py: the real seed article of corpus/ (the attack in "
    f"Bamako, 17 Sep 2024) and {len(WEEK)} articles written for the tests (fictional towns and people, in the "
    "style of news agencies; their text may be committed, the bench's may not), dated in the days before it"
)


def render(steps: list[Step], corpus: str = COMMITTED_CORPUS, today: str = SCRIPT["today"]) -> str:
    header = (
        "Recorded by `python -m tests.cogs.transcript` (the real bot through discord.py, against simcord's "
        f"simulated Discord, on the real answering core) over {corpus}. The bot is asked as of "
        f"{date.fromisoformat(today):%-d %b %Y}, the day of the newest article. Members: alice and bob; manager "
        "has Manage Server; admin has the *News admins* role listed in `ADMIN_ROLE_IDS`. Cooldown: 10 seconds. "
        "`<t:…:R>` is shown by Discord as a live countdown (\"in 10 seconds\"), `<t:…:T>` as a time of day in "
        "the reader's time zone, `<#…>` as the channel's name."
    )
    out = ["# A session with the bot", "", *textwrap.wrap(header, 100, break_on_hyphens=False), ""]
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
    p = argparse.ArgumentParser(prog="python -m tests.cogs.transcript", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", nargs="?", type=Path, default=ROOT / "docs" / "transcript.md")
    p.add_argument("--corpus", type=Path, help="a corpus folder to play the session over (kept local)")
    p.add_argument("--script", type=Path, help="the session's questions as JSON, keyed as session_corpus.SCRIPT")
    args = p.parse_args(argv)
    if bool(args.corpus) != bool(args.script):
        p.error("--corpus and --script go together")
    script = json.loads(args.script.read_text(encoding="utf-8")) if args.script else SCRIPT
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    with tempfile.TemporaryDirectory() as tmp:
        steps = asyncio.run(record(Path(tmp), corpus=args.corpus, script=script))
    corpus = f"the articles of {args.corpus}" if args.corpus else COMMITTED_CORPUS
    args.target.parent.mkdir(parents=True, exist_ok=True)
    args.target.write_text(render(steps, corpus, script["today"]), encoding="utf-8")
    print(f"wrote {args.target} ({len(steps)} steps)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
