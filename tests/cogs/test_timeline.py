"""/timeline: one dated, cited line per article, oldest first. The timelines come from the real core
(a real index of the timeline story of tests/rag/answer/test_timeline.py and its unrelated articles,
through this module's ``rag``); bad dates are refused before the service is asked, on the fake."""

from __future__ import annotations

import pytest

from cogs.render.limits import safe
from cogs.render.shared import day
from cogs.render.timeline import event_line, timeline_embed
from cogs.utils.errors import BadOption
from rag.service import RagService
from rag.sources.ingest import load_corpus

from tests.cogs.world import embed_of, index_bot_corpus
from tests.rag.answer.test_timeline import STORY, TOPIC, UNRELATED


@pytest.fixture(scope="module")
def rag(tmp_path_factory, embeddings) -> RagService:
    """The real service over the timeline story and its unrelated articles, indexed once for the module."""
    return index_bot_corpus(tmp_path_factory.mktemp("bot-timeline"), embeddings, {**STORY, **UNRELATED})


async def test_timeline_shows_ordered_cited_lines(real_world, rag):
    world = real_world
    result = await world.alice.slash(world.channel, "timeline", topic=TOPIC)

    assert not result.response.ephemeral
    embed = embed_of(result.response)
    expected = rag.timeline(TOPIC)
    rendered = timeline_embed(expected, f"Timeline: {TOPIC}")
    assert embed.title == rendered.title == f"Timeline: {TOPIC}"
    assert embed.description == rendered.description == "\n".join(safe(event_line(e)) for e in expected.events)
    assert [(f.name, f.value) for f in embed.fields] == [(f.name, f.value) for f in rendered.fields]
    lines = embed.description.split("\n")
    assert [line.split(" — ")[0] for line in lines] == ["2 Apr 2024", "9 Apr 2024", "16 Apr 2024", "23 Apr 2024",
                                                        "undated"]
    assert all(f"[{n}]" in line for n, line in enumerate(lines, start=1))
    assert "wire-news" in lines[3] and "coast-herald" in lines[3]
    articles = {a.id: a for a in load_corpus(rag.settings.corpus_dir)[0]}
    for c in expected.citations:  # each source: its number, title, linked outlet and date
        field = next(f for f in embed.fields if f.name.startswith(f"[{c.n}]"))
        assert safe(c.title) in field.name
        if c.url:
            assert f"({c.url})" in field.value and day(c.published) in field.value
        assert articles[c.article_id].text[c.start:c.end] == c.quote
    # The answer buttons, as for /ask: the passages are the quoted sentences.
    shown = await world.bob.click(result.response, label="Passages")
    assert shown.response.ephemeral and "cracks" in embed_of(shown.response).fields[0].value


async def test_timeline_with_a_date_range_and_an_uncovered_topic(real_world):
    world = real_world
    result = await world.alice.slash(world.channel, "timeline", topic=TOPIC, since="2024-04-05",
                                     until="2024-04-20")
    embed = embed_of(result.response)
    assert embed.title == f"Timeline: {TOPIC} (5 Apr 2024 to 20 Apr 2024)"
    assert [line.split(" — ")[0] for line in embed.description.split("\n")] == ["9 Apr 2024", "16 Apr 2024"]

    uncovered = await world.alice.slash(world.channel, "timeline", topic="volcanic eruptions in Iceland")
    assert "does not cover" in embed_of(uncovered.response).description


@pytest.mark.parametrize("options, message", [
    ({"since": "last week"}, "e.g. `2024-03-20`"),  # a day of the corpus (its newest)
    ({"until": "2024-02-30"}, "e.g. `2024-03-20`"),
    ({"since": "2024-04-20", "until": "2024-04-01"}, "Since is after until"),
])
async def test_timeline_bad_dates_get_a_clear_private_error(world, fake, options, message):
    result = await world.alice.slash(world.channel, "timeline", topic=TOPIC, **options)
    assert result.response.ephemeral and message in result.response.content
    assert "error id" not in result.response.content  # a hint, not a failure
    assert fake.called("check_question") == []  # refused before the topic was looked at
    world.expect_error(BadOption)
