"""The simulated Discord the bot's tests run in, and what they share: the bot corpus, its
questions, the helpers that read the bot's replies, and the answers the fake service gives.

``open_world(service, tmp_path)`` builds the bot (discord.py's own dispatch, against simcord's
simulated Discord) on a service, the real one over a real index or ``FakeService``
(tests/fakes.py), in a simulated server with the people who use it. simcord settles the bot's
work (tasks and worker threads) after every action, so nothing here sleeps. The fixtures
(``rag``, ``fake``, ``world``, ``real_world``) are in tests/cogs/conftest.py; tests/cogs/transcript.py
uses ``open_world`` outside pytest.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import discord
import simcord
from simcord import assert_error

from cogs.render.answer import age
from cogs.render.limits import safe
from cogs.render.shared import day, numbering, renumbered
from newsbot import build_bot
from rag.app import App
from rag.answer.conversation import condense
from rag.core.types import Turn
from rag.core.settings import Settings
from rag.core.types import Answer, ArticleRef, Chunk, Citation, Passage
from rag.service import RagService

from tests.conftest import ARTICLES, LONG_ARTICLE, write_corpus
from tests.fakes import FakeService

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
FESTIVAL_QUESTION = "Why was the Riverton harbour festival cancelled?"
FOLLOW_UP = "When will it open?"
# Short in characters, long in tokens: refused by the core's token limit, said in words.
DENSE = "1; 2; 3; 4; 5; 6; 7; 8; 9; " * 20


def index_bot_corpus(root: Path, embeddings, articles: dict[str, dict] = BOT_ARTICLES) -> RagService:
    """The real answering service over ``articles``, written and indexed under ``root``."""
    settings = Settings().replace(corpus_dir=root / "corpus", data_dir=root / "data")
    write_corpus(settings.corpus_dir, articles)
    service = RagService(settings, embeddings=embeddings)
    service.reindex()
    return service


# --------------------------------------------------------------------------- the world


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
async def open_world(service, tmp_path: Path, restrict_mentions: bool = False, **overrides):
    """The bot on ``service`` (a RagService or a FakeService) in a new simulated server."""
    settings = service.settings.replace(**{"discord_guild_id": GUILD_ID, "cooldown_seconds": 0,
                                            "feedback_db": tmp_path / "feedback.sqlite3", **overrides})
    bot = build_bot(App(settings, service))
    env = simcord.Env(bot, settle_timeout=SETTLE)
    guild = env.create_guild("Newsroom", id=GUILD_ID)
    channel = guild.create_text_channel("news")
    other = guild.create_text_channel("off-topic")
    admin_role = guild.create_role("News admins")
    managers = guild.create_role("Managers", permissions=discord.Permissions(manage_guild=True))
    # The settings name ids that only exist once the server does.
    bot.settings = bot.settings.replace(admin_role_ids=(admin_role.id,),
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


async def command(world: World, name: str) -> discord.app_commands.AppCommand:
    """A command as Discord has it registered for the development server."""
    commands = await world.bot.tree.fetch_commands(guild=discord.Object(GUILD_ID))
    return next(c for c in commands if c.name == name)


# --------------------------------------------------------------------------- reading the bot's replies


def embed_of(message) -> discord.Embed:
    assert message is not None and message.embeds, f"no embed in {message!r}"
    return message.embeds[0]


def fields_of(message) -> dict[str, str]:
    return {f.name: f.value for f in embed_of(message).fields}


def custom_ids(message) -> list[str]:
    rows = message.components if isinstance(message, simcord.ResponseMessage) else \
        [c.to_dict() for c in message.components]
    return [b["custom_id"] for row in rows for b in row.get("components", []) if b.get("custom_id")]


def bot_messages(world: World, viewer: simcord.MemberActor) -> list:
    """The bot's messages in the channel that ``viewer`` can see."""
    return [m for m in world.channel.history(viewer=viewer) if m.author.id == world.bot.user.id]


def direct_messages(world: World, member: simcord.MemberActor) -> list[str]:
    """What the bot wrote to ``member`` by direct message, oldest first."""
    return [m.content for m in member.user.dm_channel.history() if m.author.id == world.bot.user.id]


def answer_text(embed: discord.Embed) -> str:
    """The answer's own text: the description without the line saying how current it is."""
    first, _, rest = embed.description.partition("\n")
    return rest if first.startswith("*") and first.endswith("*") and "source" in first else embed.description


def assert_cites(embed: discord.Embed, answer: Answer) -> None:
    """The embed shows exactly the answer: its text, and one source line per cited article,
    titled by the article's title and linked to it."""
    shown = numbering(answer.citations)
    assert answer_text(embed) == safe(renumbered(answer.text, answer.citations))
    assert embed.description.startswith(f"*Newest source: {age(answer.newest, date.today())} "
                                        f"({day(answer.newest)})*\n")  # the corpus is from 2024
    lines = [line for f in embed.fields if "Sources" in f.name for line in f.value.splitlines()]
    for c in answer.citations:
        line = next(line for line in lines if line.startswith(f"[{shown[c.n]}] "))
        assert f"[{safe(c.title)}]({c.url})" in line and day(c.published) in line
    assert len(lines) == len({c.article_id for c in answer.citations})


# --------------------------------------------------------------------------- what the fake service answers


def article_id(name: str) -> str:
    """The fake's id of a bot-corpus article: its file name without ``.md``."""
    return name.removesuffix(".md")


def article_ref(name: str, articles: dict[str, dict] = BOT_ARTICLES) -> ArticleRef:
    a = articles[name]
    return ArticleRef(article_id(name), a["title"], a["source"], date.fromisoformat(a["published"]))


def passage(name: str, score: float = 0.5, articles: dict[str, dict] = BOT_ARTICLES) -> Passage:
    """The whole article as one retrieved passage."""
    a = articles[name]
    chunk = Chunk(f"{article_id(name)}:h:0", article_id(name), "h", 0, 0, len(a["text"]), a["text"], a["title"],
                  a["source"], a["url"], date.fromisoformat(a["published"]))
    return Passage(chunk, score, dense=score)


def quoting(question: str, quotes: Sequence[tuple[str, str]], also: Sequence[str] = (),
            numbered: str = "article", articles: dict[str, dict] = BOT_ARTICLES) -> Answer:
    """An answer made the way the extractive core makes one: each ``(article, sentence)`` of
    ``articles`` quoted exactly, followed by its marker; the quoted articles' passages, then those
    of ``also`` (retrieved, not quoted). ``numbered`` "article" gives every quote of an article
    one number (answers); "quote" numbers each quote (summaries)."""
    citations, passages, parts = [], {}, []
    for name, sentence in quotes:
        a = articles[name]
        start = a["text"].index(sentence)
        n = (len(citations) + 1 if numbered == "quote" else
             next((c.n for c in citations if c.article_id == article_id(name)), len(passages) + 1))
        citations.append(Citation(n, article_id(name), a["title"], a["source"], date.fromisoformat(a["published"]),
                                  a["url"], sentence, start, start + len(sentence)))
        passages.setdefault(name, passage(name, 0.7, articles))
        parts.append(f"{sentence} [{n}]")
    for name in also:
        passages.setdefault(name, passage(name, 0.3, articles))
    return Answer(question=question, text=" ".join(parts), refused=False, citations=tuple(citations),
                  passages=tuple(passages.values()))


TRAM_ANSWER = quoting(TRAM_QUESTION, [
    ("tram.md", "The line will cost 310 million euros and is expected to open in 2027, according to the "
                "council's transport committee."),
    ("tram.md", "The Riverton city council voted 9 to 4 on Monday to approve a new tram line linking the "
                "harbour district to the university campus."),
], also=["port.md", "festival.md"])

OPENING_ANSWER = quoting(FOLLOW_UP, [
    ("tram.md", "The line will cost 310 million euros and is expected to open in 2027, according to the "
                "council's transport committee."),
])

FESTIVAL_ANSWER = quoting(FESTIVAL_QUESTION, [
    ("festival.md", "Organisers told @everyone on Friday that the Riverton harbour festival is cancelled because "
                    "of a storm warning for the weekend."),
])

PORT_SUMMARY = replace(quoting("Port Aldine approves a deep-water terminal", [
    ("port.md", "The port authority of Port Aldine approved a deep-water container terminal on Wednesday, "
                "the largest investment in the town's history, after three years of planning and two public "
                "inquiries into its effect on the estuary."),
    ("port.md", "The terminal will cost 640 million euros and will be able to handle ships of up to 20,000 "
                "containers, which today have to unload at larger ports two days' sailing to the north."),
    ("port.md", "The authority expects the first ships to call at the new terminal in 2028, and says traffic "
                "could reach one million containers a year by the middle of the next decade."),
], numbered="quote"), passages=())


def standalone(followup: str, first: Answer = TRAM_ANSWER) -> str:
    """``followup`` made standalone after ``first`` by the core's rule, as the bot asks it."""
    return condense([Turn(first.question, first.text)], followup)


def bot_service(tmp_path: Path) -> FakeService:
    """A fake service over the bot corpus: its articles, and answers to the questions the tests ask."""
    settings = Settings().replace(corpus_dir=tmp_path / "corpus", data_dir=tmp_path / "data")
    answers = {TRAM_QUESTION: TRAM_ANSWER, FESTIVAL_QUESTION: FESTIVAL_ANSWER}
    for followup in (FOLLOW_UP, "And when does it open?"):
        answers[standalone(followup)] = replace(OPENING_ANSWER, question=standalone(followup))
    return FakeService(settings, [article_ref(name) for name in BOT_ARTICLES], answers,
                       summaries={article_id("port.md"): PORT_SUMMARY})
