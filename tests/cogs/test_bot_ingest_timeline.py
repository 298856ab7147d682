"""/ingest and /timeline through discord.py against simcord's simulated Discord, on the real RAG core.

One index for the module (real Chroma in a temp folder, the real embedding model) over the
timeline story and its unrelated articles; each test gets a fresh bot and simulated server
(``open_world`` from tests/cogs/world.py). Uploads are removed again after the tests that add them.
"""

from __future__ import annotations

import shutil
from dataclasses import replace

import discord
import pytest
import simcord

from cogs.utils import format as fmt
from cogs.utils.checks import NotAdmin
from cogs.utils.errors import BadOption
from rag.core.errors import ReindexBusy
from rag.sources.ingest import load_corpus
from rag.service import RagService
from rag.core.settings import Settings
from rag.sources.uploads import UPLOAD_FOLDER

from tests.conftest import write_corpus
from tests.cogs.world import FERRY_QUESTION, GUILD_ID, embed_of, open_world
from tests.rag.answer.test_timeline import STORY, TOPIC, UNRELATED

FERRY_MD = (b"---\ntitle: Ferry strike ends after six days\npublished: 2024-03-21\nsource: riverton-gazette\n"
            b"url: https://gazette.example/ferry\n---\n"
            b"The ferry workers' strike in Riverton ended on Thursday after six days, when the operator "
            b"agreed to a pay rise of 7 percent.\n")
BROKEN_JSONL = b"{this is not json\n"


@pytest.fixture(scope="module")
def rag(tmp_path_factory, embeddings) -> RagService:
    root = tmp_path_factory.mktemp("bot-timeline")
    settings = replace(Settings(), corpus_dir=root / "corpus", data_dir=root / "data")
    write_corpus(settings.corpus_dir, {**STORY, **UNRELATED})
    service = RagService(settings, embeddings=embeddings)
    service.reindex()
    return service


@pytest.fixture
async def world(rag, tmp_path):
    async with open_world(rag, tmp_path) as w:
        yield w


@pytest.fixture
def uploads(rag):
    """The uploads folder; emptied (and the index brought back in line) after the test."""
    folder = rag.settings.corpus_dir / UPLOAD_FOLDER
    yield folder
    if folder.exists():
        shutil.rmtree(folder)
        rag.reindex()


@pytest.fixture
def downloads(monkeypatch) -> list[str]:
    """Names of the attachments the bot downloads."""
    seen: list[str] = []
    read = discord.Attachment.read

    async def spy(self, **kwargs):
        seen.append(self.filename)
        return await read(self, **kwargs)

    monkeypatch.setattr(discord.Attachment, "read", spy)
    return seen


async def command(world, name: str) -> discord.app_commands.AppCommand:
    commands = await world.bot.tree.fetch_commands(guild=discord.Object(GUILD_ID))
    return next(c for c in commands if c.name == name)


# --------------------------------------------------------------------------- /ingest


async def test_an_admin_ingests_a_good_and_a_bad_file(world, rag, uploads, downloads):
    world.guild.set_command_permissions(await command(world, "ingest"), {world.admin_role: True})
    before = await world.alice.slash(world.channel, "ask", question=FERRY_QUESTION)
    assert "six days" not in embed_of(before.response).description

    result, requests = await world.calls(world.admin.slash(
        world.channel, "ingest", file1=("ferry.md", FERRY_MD), file2=("broken.jsonl", BROKEN_JSONL)))

    # Like /reindex: deferred privately, progress edited into the one reply, then the report.
    assert requests[0].json["type"] == 5 and requests[0].json["data"]["flags"] == 64
    edits = [r for r in requests if r.method == "PATCH"]
    assert all(r.path.endswith("/messages/@original") for r in edits)
    assert edits[0].json["content"].startswith("Reindexing:")
    embed = embed_of(result.response)
    assert embed.title == "Upload indexed" and not result.response.content
    assert embed.description.startswith("1 file added, 0 already there, 1 rejected\nReindex: 1 added")
    assert "; 1 chunk embedded in " in embed.description
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Files added (1)"] == "• ferry.md → uploads/ferry.md (1 article)"
    assert fields["Files rejected (1)"].startswith(
        "• broken.jsonl: no usable record (1 skipped: invalid JSON: Expecting property name")
    assert "uploads/ferry.md (Ferry strike ends after six days)" in fields["Added (1)"]
    assert sorted(downloads) == ["broken.jsonl", "ferry.md"]
    assert sorted(p.name for p in uploads.iterdir()) == ["ferry.md"]  # the bad file was not written

    answered = await world.alice.slash(world.channel, "ask", question=FERRY_QUESTION)
    answer = embed_of(answered.response)
    assert "six days" in answer.description
    assert "[Ferry strike ends after six days](https://gazette.example/ferry)" in answer.fields[0].value


async def test_wrong_types_and_oversized_files_are_refused_without_downloading(world, rag, uploads, downloads,
                                                                               monkeypatch):
    monkeypatch.setattr(rag, "settings", replace(rag.settings, max_file_mb=1))
    big = b"---\ntitle: Big\n---\n" + b"A long article about the bridge works. " * 30_000

    result = await world.manager.slash(world.channel, "ingest", file1=("slides.pdf", b"%PDF-1.7"),
                                       file2=("huge.md", big))

    embed = embed_of(result.response)
    assert embed.title == "Nothing uploaded"
    rejected = {f.name: f.value for f in embed.fields}["Files rejected (2)"]
    assert "• slides.pdf: unsupported file type .pdf; accepted: .txt, .md" in rejected
    assert "• huge.md: larger than 1 MB" in rejected
    assert downloads == [] and not uploads.exists()


async def test_ingest_is_for_admins_only(world, rag, uploads):
    command_ = await command(world, "ingest")
    assert command_.default_member_permissions == discord.Permissions(manage_guild=True)
    assert command_.dm_permission is False
    assert "ingest" not in world.alice.available_commands(world.channel)
    with pytest.raises(simcord.SetupError, match="default-member-permissions"):
        await world.alice.slash(world.channel, "ingest", file1=("ferry.md", FERRY_MD))

    world.guild.set_command_permissions(command_, {world.alice: True})  # shown to her; the bot still refuses
    generation = rag._refresh().manifest.generation
    result = await world.alice.slash(world.channel, "ingest", file1=("ferry.md", FERRY_MD))
    assert result.response.ephemeral and "Only server managers" in result.response.content
    world.expect_error(NotAdmin)
    assert not uploads.exists() and rag._refresh().manifest.generation == generation


async def test_ingest_and_reindex_share_one_lock(world, uploads):
    async with world.bot.reindexing:  # as while /reindex runs
        busy = await world.manager.slash(world.channel, "ingest", file1=("ferry.md", FERRY_MD))
        assert busy.response.ephemeral and "already running" in busy.response.content
        world.expect_error(ReindexBusy)
        status = await world.manager.slash(world.channel, "status")
        assert "Reindex" in {f.name for f in embed_of(status.response).fields}
    assert not uploads.exists()


# --------------------------------------------------------------------------- /timeline


async def test_timeline_shows_ordered_cited_lines(world, rag):
    result = await world.alice.slash(world.channel, "timeline", topic=TOPIC)

    assert not result.response.ephemeral
    embed = embed_of(result.response)
    expected = rag.timeline(TOPIC)
    rendered = fmt.timeline_embed(expected, f"Timeline: {TOPIC}")
    assert embed.title == rendered.title == f"Timeline: {TOPIC}"
    assert embed.description == rendered.description == "\n".join(fmt.safe(e.line()) for e in expected.events)
    assert [(f.name, f.value) for f in embed.fields] == [(f.name, f.value) for f in rendered.fields]
    lines = embed.description.split("\n")
    assert [line.split(" — ")[0] for line in lines] == ["2024-04-02", "2024-04-09", "2024-04-16", "2024-04-23",
                                                        "undated"]
    assert all(f"[{n}]" in line for n, line in enumerate(lines, start=1))
    assert "wire-news" in lines[3] and "coast-herald" in lines[3]
    articles = {a.id: a for a in load_corpus(rag.settings.corpus_dir)[0]}
    for c in expected.citations:  # each source: its number, title, linked outlet and date
        field = next(f for f in embed.fields if f.name.startswith(f"[{c.n}]"))
        assert fmt.safe(c.title) in field.name
        if c.url:
            assert f"({c.url})" in field.value and c.published.isoformat() in field.value
        assert articles[c.article_id].text[c.start:c.end] == c.quote
    # The answer buttons, as for /ask: the passages are the quoted sentences.
    shown = await world.bob.click(result.response, label="Passages")
    assert shown.response.ephemeral and "cracks" in embed_of(shown.response).fields[0].value


async def test_timeline_with_a_date_range_and_an_uncovered_topic(world):
    result = await world.alice.slash(world.channel, "timeline", topic=TOPIC, since="2024-04-05",
                                     until="2024-04-20")
    embed = embed_of(result.response)
    assert embed.title == f"Timeline: {TOPIC} (2024-04-05 to 2024-04-20)"
    assert [line.split(" — ")[0] for line in embed.description.split("\n")] == ["2024-04-09", "2024-04-16"]

    uncovered = await world.alice.slash(world.channel, "timeline", topic="volcanic eruptions in Iceland")
    assert "does not cover" in embed_of(uncovered.response).description


@pytest.mark.parametrize("options, message", [
    ({"since": "last week"}, "2024-03-01"),
    ({"until": "2024-02-30"}, "2024-03-01"),
    ({"since": "2024-04-20", "until": "2024-04-01"}, "Since is after until"),
])
async def test_timeline_bad_dates_get_a_clear_private_error(world, options, message):
    result = await world.alice.slash(world.channel, "timeline", topic=TOPIC, **options)
    assert result.response.ephemeral and message in result.response.content
    assert "error id" not in result.response.content  # a hint, not a failure
    world.expect_error(BadOption)
