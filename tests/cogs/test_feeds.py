"""/feeds through discord.py against simcord's simulated Discord, with a real feed server on loopback.

The bot, the worlds and the helpers are those of tests/cogs/world.py; the feed server and the
articles are those of tests/rag/sources/test_feeds.py. The tests that sync get a freshly indexed
small corpus each (conftest's ``indexed``: the real core), so the feeds one test adds do not leak
into another; who may use the commands, and what a feed from the settings allows, run on the fake
service.
"""

from __future__ import annotations

import json

import discord
import pytest
import simcord

from cogs.utils.checks import NotAdmin
from cogs.utils.errors import BadOption
from rag.core.errors import ReindexBusy
from rag.sources.feeds import article_path

from tests.cogs.world import command, embed_of, open_world
from tests.rag.sources.test_feeds import BRIDGE, LIBRARY, RSS_TYPE, article_html, rss, site  # noqa: F401 - site is a fixture

BRIDGE_QUESTION = "How long will the repairs of the harbour bridge take?"
LIBRARY_QUESTION = "How many books does Valdoria's new central library have?"
FAST = {"feed_host_delay": 0.0, "feed_timeout": 2.0, "feed_allowed_networks": ("127.0.0.1/32",)}


def bridge_feed(site) -> tuple[str, str]:
    """A feed with one article on the loopback site: (feed URL, article URL)."""
    page = site.put("/news/bridge.html", article_html("Harbour bridge to close for repairs", BRIDGE), etag='"b"')
    return site.put("/rss.xml", rss("Harbour Post", [{"title": "Harbour bridge", "link": page}]),
                    content_type=RSS_TYPE, etag='"one"'), page


def state(service) -> dict:
    path = service.settings.data_dir / "feeds.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"feeds": {}}


async def test_feeds_commands_are_for_admins_only_in_two_layers(fake, tmp_path, site):
    feed, _ = bridge_feed(site)
    async with open_world(fake, tmp_path, **FAST) as world:
        feeds = await command(world, "feeds")
        assert feeds.default_member_permissions == discord.Permissions(manage_guild=True)
        assert feeds.dm_permission is False  # guild_only
        assert {"feeds add", "feeds remove", "feeds list", "feeds sync"} <= set(
            world.manager.available_commands(world.channel))
        assert not [c for c in world.alice.available_commands(world.channel) if c.startswith("feeds")]
        with pytest.raises(simcord.SetupError, match="default-member-permissions"):
            await world.alice.slash(world.channel, "feeds add", url=feed)
        # A server admin may show the commands to anyone (Integrations settings); the bot still refuses.
        world.guild.set_command_permissions(feeds, {world.alice: True})
        for name, options in (("feeds add", {"url": feed}), ("feeds list", {}), ("feeds sync", {}),
                              ("feeds remove", {"url": feed})):
            result = await world.alice.slash(world.channel, name, **options)
            assert result.response.ephemeral and "Only server managers" in result.response.content
            world.expect_error(NotAdmin)
        assert state(fake)["feeds"] == {} and site.hits == []  # nothing added, nothing fetched
        assert fake.called("reindex") == []


async def test_every_feeds_subcommand_and_option_is_described(world):
    group = world.bot.tree.get_command("feeds")
    assert 0 < len(group.description) <= 100
    subcommands = list(group.walk_commands())
    assert {c.name for c in subcommands} == {"add", "remove", "list", "sync"}
    for sub in subcommands:
        assert 0 < len(sub.description) <= 100, sub.name
        for param in sub.parameters:
            assert param.description != "…" and len(param.description) <= 100, (sub.name, param.name)


async def test_an_admin_adds_syncs_lists_and_removes_feeds(indexed, tmp_path, site):
    feed, page = bridge_feed(site)
    gone = site.url("/gone.xml")
    async with open_world(indexed, tmp_path, **FAST) as world:
        world.guild.set_command_permissions(await command(world, "feeds"), {world.admin_role: True})

        added = await world.admin.slash(world.channel, "feeds add", url=feed)
        assert added.response.ephemeral and added.response.content.startswith("Subscribed to ")
        assert "/feeds sync checks it now" in added.response.content
        again = await world.manager.slash(world.channel, "feeds add", url=feed)
        assert again.response.ephemeral and "is already subscribed" in again.response.content
        world.expect_error(BadOption)
        bad = await world.manager.slash(world.channel, "feeds add", url="file:///etc/passwd")
        assert "Not an http or https URL" in bad.response.content
        world.expect_error(BadOption)
        await world.manager.slash(world.channel, "feeds add", url=gone)
        assert list(state(indexed)["feeds"]) == [feed, gone]

        before = embed_of((await world.manager.slash(world.channel, "feeds list")).response)
        assert before.title == "Feeds (2)"
        assert all("Last success: never" in f.value for f in before.fields)

        result, requests = await world.calls(world.admin.slash(world.channel, "feeds sync"))
        assert requests[0].json["type"] == 5 and requests[0].json["data"]["flags"] == 64  # deferred, private
        edits = [r for r in requests if r.method == "PATCH"]
        assert edits[0].json["content"].startswith("Reindexing:")  # progress, then the report in place
        embed = embed_of(result.response)
        assert embed.title == "Feeds synced"
        assert embed.description.startswith("2 feeds checked: 1 new, 0 updated, 0 unchanged, 1 failed")
        fields = {f.name: f.value for f in embed.fields}
        assert "Harbour bridge to close for repairs" in fields["New (1)"]
        assert "gone.xml: HTTP 404 Not Found" in fields["Failed (1)"]
        assert (indexed.settings.corpus_dir / article_path(page)).is_file()

        answered = await world.alice.slash(world.channel, "ask", question=BRIDGE_QUESTION)
        answer = embed_of(answered.response)
        assert "eleven weeks" in answer.description
        assert f"[Harbour bridge to close for repairs]({page})" in answer.fields[0].value  # the title links it

        listed = {f.name: f.value for f in embed_of((await world.manager.slash(world.channel, "feeds list"))
                                                    .response).fields}
        assert "Last success: <t:" in listed["Harbour Post"] and "1 article" in listed["Harbour Post"]
        assert "Last error: HTTP 404 Not Found" in next(v for k, v in listed.items() if "gone.xml" in k)

        status = {f.name: f.value for f in embed_of((await world.bob.slash(world.channel, "status")).response)
                  .fields}
        assert status["Feeds"].startswith("2 feeds, 1 with errors; first: ")
        assert status["Feeds"].endswith("gone.xml: HTTP 404 Not Found")

        removed = await world.manager.slash(world.channel, "feeds remove", url=gone)
        assert removed.response.content.startswith("Unsubscribed from ")
        missing = await world.manager.slash(world.channel, "feeds remove", url=gone)
        assert "Not subscribed to" in missing.response.content
        world.expect_error(BadOption)
        assert list(state(indexed)["feeds"]) == [feed]
        status = {f.name: f.value for f in embed_of((await world.bob.slash(world.channel, "status")).response)
                  .fields}
        assert status["Feeds"] == "1 feed, no errors"


async def test_a_feed_from_the_settings_cannot_be_removed_from_discord(fake, tmp_path, site):
    feed, _ = bridge_feed(site)
    async with open_world(fake, tmp_path, feeds=(feed,), feed_interval_minutes=0, **FAST) as world:
        listed = embed_of((await world.manager.slash(world.channel, "feeds list")).response)
        assert "from FEEDS in .env" in listed.fields[0].value
        result = await world.manager.slash(world.channel, "feeds remove", url=feed)
        assert "comes from FEEDS in the settings (.env); remove it there" in result.response.content
        world.expect_error(BadOption)
        assert site.hits == []  # FEED_INTERVAL_MINUTES=0: no sync on its own


async def test_the_loop_syncs_every_interval_but_never_during_a_reindex(indexed, tmp_path, site):
    feed, page = bridge_feed(site)
    async with open_world(indexed, tmp_path, feeds=(feed,), feed_interval_minutes=5, **FAST) as world:
        # The first round runs when the bot starts.
        assert site.served("/rss.xml") == 1 and site.served("/news/bridge.html") == 1
        assert "eleven weeks" in indexed.ask(BRIDGE_QUESTION).text

        library = site.put("/news/library.html", article_html("Valdoria opens its new central library", LIBRARY))
        site.put("/rss.xml", rss("Harbour Post", [{"title": "Library", "link": library},
                                                  {"title": "Harbour bridge", "link": page}]),
                 content_type=RSS_TYPE, etag='"two"')
        # While a reindex holds the bot's lock, the round is skipped and /feeds sync is refused.
        async with world.bot.reindexing:
            await world.env.advance_time(5 * 60)
            assert site.served("/rss.xml") == 1
            busy = await world.manager.slash(world.channel, "feeds sync")
            assert "already running" in busy.response.content
            world.expect_error(ReindexBusy)
        assert "240,000 books" not in indexed.ask(LIBRARY_QUESTION).text

        await world.env.advance_time(5 * 60)
        assert site.served("/rss.xml") == 2 and site.served("/news/library.html") == 1
        # The feed changed, so its entry without an `updated` date was re-checked: 304, not downloaded.
        assert site.served("/news/bridge.html", 200) == 1 and site.served("/news/bridge.html", 304) == 1
        assert "240,000 books" in indexed.ask(LIBRARY_QUESTION).text
