"""/ingest: uploaded article files saved into the corpus, then the same incremental reindex as /reindex.

An admin's upload goes through the real core (a real index of the bot corpus, through ``rag``) and is
then answered from; the refusals (wrong type, too big, not an admin, a reindex running) run on the
fake service. Uploads are removed again after the tests that add them.
"""

from __future__ import annotations

import shutil

import discord
import pytest
import simcord

from cogs.utils.checks import NotAdmin
from rag.core.errors import ReindexBusy
from rag.sources.uploads import UPLOAD_FOLDER

from tests.cogs.world import FERRY_QUESTION, command, embed_of, fields_of, open_world

FERRY_MD = (b"---\ntitle: Ferry strike ends after six days\npublished: 2024-03-21\nsource: riverton-gazette\n"
            b"url: https://gazette.example/ferry\n---\n"
            b"The ferry workers' strike in Riverton ended on Thursday after six days, when the operator "
            b"agreed to a pay rise of 7 percent.\n")
BROKEN_JSONL = b"{this is not json\n"


@pytest.fixture
def uploads(rag):
    """The real corpus's uploads folder; emptied (and the index brought back in line) after the test."""
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


async def test_an_admin_ingests_a_good_and_a_bad_file(real_world, uploads, downloads):
    world = real_world
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
    assert "; 1 passage embedded in " in embed.description
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


async def test_wrong_types_and_oversized_files_are_refused_without_downloading(fake, tmp_path, downloads):
    big = b"---\ntitle: Big\n---\n" + b"A long article about the bridge works. " * 30_000

    async with open_world(fake, tmp_path, max_file_mb=1) as world:
        result = await world.manager.slash(world.channel, "ingest", file1=("slides.pdf", b"%PDF-1.7"),
                                           file2=("huge.md", big))

    embed = embed_of(result.response)
    assert embed.title == "Nothing uploaded"
    rejected = fields_of(result.response)["Files rejected (2)"]
    assert "• slides.pdf: unsupported file type .pdf; accepted: .txt, .md" in rejected
    assert "• huge.md: larger than 1 MB" in rejected
    assert downloads == [] and not (fake.settings.corpus_dir / UPLOAD_FOLDER).exists()
    assert fake.called("reindex") == []


async def test_ingest_is_for_admins_only(world, fake):
    ingest = await command(world, "ingest")
    assert ingest.default_member_permissions == discord.Permissions(manage_guild=True)
    assert ingest.dm_permission is False
    assert "ingest" not in world.alice.available_commands(world.channel)
    with pytest.raises(simcord.SetupError, match="default-member-permissions"):
        await world.alice.slash(world.channel, "ingest", file1=("ferry.md", FERRY_MD))

    world.guild.set_command_permissions(ingest, {world.alice: True})  # shown to her; the bot still refuses
    result = await world.alice.slash(world.channel, "ingest", file1=("ferry.md", FERRY_MD))
    assert result.response.ephemeral and "Only server managers" in result.response.content
    world.expect_error(NotAdmin)
    assert not (fake.settings.corpus_dir / UPLOAD_FOLDER).exists() and fake.called("reindex") == []


async def test_ingest_and_reindex_share_one_lock(world, fake):
    async with world.bot.reindexing:  # as while /reindex runs
        busy = await world.manager.slash(world.channel, "ingest", file1=("ferry.md", FERRY_MD))
        assert busy.response.ephemeral and "already running" in busy.response.content
        world.expect_error(ReindexBusy)
        assert "Reindex" in fields_of((await world.manager.slash(world.channel, "status")).response)
    assert not (fake.settings.corpus_dir / UPLOAD_FOLDER).exists() and fake.called("reindex") == []
