"""/ask: the deferred reply with the answer, its sources and buttons, the options and their hints.

One test asks the real core (a real index of the bot corpus, through ``rag``) and checks the
reply shows exactly its answer; the others run on the fake service, whose answers the tests
know, and check what the cog does with them.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
from datetime import date

import discord
import pytest
import simcord

from cogs.render.limits import COLOUR_ANSWER, COLOUR_REFUSED
from cogs.utils.errors import BadOption
from cogs.utils.options import MAX_QUESTION_CHARS
from rag.core.errors import QuestionError
from rag.core.tokens import count_tokens
from rag.core.settings import Settings
from rag.core.types import ArticleRef, Filters

from tests.cogs.world import (BOT_ARTICLES, DENSE, GUILD_ID, SETTLE, TRAM_ANSWER, TRAM_QUESTION, article_ref,
                              assert_cites, bot_messages, custom_ids, embed_of, open_world, quoting)
from tests.fakes import FakeService

FACTORY_QUESTION = "Who is building a battery factory?"
FACTORY_ANSWER = quoting(FACTORY_QUESTION, [
    ("factory-wire.md", "The technology company Lumetra will build a battery factory outside Valdoria, creating "
                        "1,200 jobs, its chief executive Ana Ruiz announced on Tuesday."),
])


async def test_ask_defers_then_answers_with_the_cores_citations(real_world, rag):
    world = real_world
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


async def test_the_answer_the_service_gives_is_shown_with_its_sources(world, fake):
    result, requests = await world.calls(world.alice.slash(world.channel, "ask", question=TRAM_QUESTION))

    assert fake.called("ask") == [(TRAM_QUESTION, Filters())]
    assert requests[0].json["type"] == 5 and requests[-1].method == "PATCH"
    embed = embed_of(result.response)
    assert embed.title == TRAM_QUESTION and embed.colour == COLOUR_ANSWER
    assert_cites(embed, TRAM_ANSWER)
    assert embed.footer.text == "Every sentence is quoted from the article cited"
    assert [i.split(":")[1] for i in custom_ids(result.response)] == ["passages", "up", "down"]


async def test_private_ask_is_seen_only_by_the_asker(world):
    result = await world.alice.slash(world.channel, "ask", question=TRAM_QUESTION, private=True)
    assert result.response.ephemeral and "310 million euros" in embed_of(result.response).description
    assert not bot_messages(world, world.bob)


async def test_ask_with_filters(world, fake):
    fake.answers[FACTORY_QUESTION] = FACTORY_ANSWER
    result = await world.alice.slash(world.channel, "ask", question=FACTORY_QUESTION,
                                     source="wire-news", since="2024-03-01")
    assert fake.called("ask") == [(FACTORY_QUESTION, Filters(sources=("wire-news",), since=date(2024, 3, 1)))]
    embed = embed_of(result.response)
    assert embed.fields and all("wire-news" in f.value for f in embed.fields)
    choices = await world.alice.autocomplete(world.channel, "ask", "source", "gazette")
    assert [c["value"] for c in choices] == ["riverton-gazette"]


async def test_a_question_the_corpus_does_not_cover_is_refused(world):
    result = await world.alice.slash(world.channel, "ask", question="What is the boiling point of tungsten?")
    embed = embed_of(result.response)
    assert "does not cover" in embed.description and not embed.fields
    assert embed.colour == COLOUR_REFUSED
    assert [i.split(":")[1] for i in custom_ids(result.response)] == ["up", "down"]  # nothing to show
    # What to try, in Discord's commands; no dates were given, so none are mentioned.
    assert embed.description.endswith("\nTry `/timeline topic:` or `/summary topic:` with the subject's name to "
                                      "see what the articles do say.")
    dated = embed_of((await world.bob.slash(world.channel, "ask", question="What is the boiling point of tungsten?",
                                            since="2024-03-01")).response)
    assert dated.description.endswith(", or ask again with a wider `since:` and `until:`.")


async def test_discord_itself_refuses_a_question_longer_than_the_box_allows(world):
    command = next(c for c in await world.bot.tree.fetch_commands(guild=discord.Object(GUILD_ID))
                   if c.name == "ask")
    question = next(o for o in command.options if o.name == "question")
    assert (question.min_length, question.max_length) == (1, MAX_QUESTION_CHARS)
    with pytest.raises(simcord.OptionError, match="at most"):
        await world.alice.slash(world.channel, "ask", question="tram " * 300)


@pytest.mark.parametrize("question,hint", [
    (DENSE, r"The question is too long \(180 words, 539 characters\); keep it to one or two sentences, "
            r"under about 150 words\."),
    # The example is drawn from the corpus: the name its newest week's titles give (see test_help.py).
    ("   ", r"The question is empty: type a few words, e\.g\. “What happened with Port Aldine\?”\."),
])
async def test_an_unusable_question_gets_a_private_hint_without_an_error_id(world, fake, question, hint):
    assert len(DENSE) <= MAX_QUESTION_CHARS and count_tokens(DENSE) > world.bot.settings.max_question_tokens
    result, requests = await world.calls(world.alice.slash(world.channel, "ask", question=question))
    assert result.response.ephemeral and re.fullmatch(hint, result.response.content)
    assert [r.json["type"] for r in requests] == [4]  # answered at once, never deferred
    assert fake.called("ask") == []
    world.expect_error(QuestionError)


async def test_a_bad_date_gets_a_private_hint(world, fake):
    result = await world.alice.slash(world.channel, "ask", question=TRAM_QUESTION, since="last week")
    assert result.response.ephemeral
    # The example is a day of the index (its newest), typed as the option wants it.
    assert result.response.content == "Dates are typed as `YYYY-MM-DD`, e.g. `2024-03-20`; 'last week' is not one."
    assert fake.called("ask") == []
    world.expect_error(BadOption)


# --------------------------------------------------------------------------- outlets


async def test_a_long_outlet_name_chosen_in_the_autocomplete_filters_its_articles(world, fake):
    outlet = "The Riverton and Port Aldine Evening Chronicle of Harbour Affairs, Shipping, Ferries " \
             "and the Coastal Economy (weekend edition)"
    assert len(outlet) > 100
    sentence = ("Ferry fares between Riverton and Port Aldine will rise by 20 percent in April, the ferry operator "
                "announced on Thursday, blaming the price of fuel.")
    fares = {"ferry.md": {"title": "Ferry fares rise by a fifth", "published": "2024-03-14", "source": outlet,
                          "url": "https://chronicle.example/ferry", "text": sentence}}
    question = "How much will ferry fares rise?"
    fake.articles.append(article_ref("ferry.md", fares))
    fake.answers[question] = quoting(question, [("ferry.md", sentence)], articles=fares)

    [choice] = await world.alice.autocomplete(world.channel, "ask", "source", "Evening Chronicle")
    assert len(choice["value"]) <= 100 and outlet.startswith(choice["value"]) and choice["value"] != outlet
    result = await world.alice.slash(world.channel, "ask", question=question, source=choice["value"])

    assert fake.called("ask")[-1][1].sources == (outlet,)  # the whole name, from the cut choice
    embed = embed_of(result.response)
    assert "20 percent" in embed.description and embed.fields
    assert all("Evening Chronicle" in f.value for f in embed.fields)
    # An outlet the index does not have: the reply says the filter is the cause.
    bad = await world.alice.slash(world.channel, "ask", question=question, source="Riverton Morning Star")
    assert bad.response.ephemeral
    assert "No outlet in the index is called 'Riverton Morning Star'" in bad.response.content
    assert len(fake.called("ask")) == 1
    world.expect_error(BadOption)


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
        assert articles and articles[0]["name"].startswith(BOT_ARTICLES["port.md"]["title"])
    finally:
        release.set()
        await asyncio.gather(*held)


async def test_an_example_drawn_from_the_titles_is_shown_inert(tmp_path):
    """Titles are article text: the name an example takes from them is escaped like any article text."""
    settings = Settings().replace(corpus_dir=tmp_path / "corpus", data_dir=tmp_path / "data")
    titled = FakeService(settings, [ArticleRef("a", "Floods hit Quay_Side_Market in Riverton", "gazette",
                                               date(2024, 3, 1))])
    async with open_world(titled, tmp_path) as world:
        result = await world.alice.slash(world.channel, "ask", question="   ")
        world.expect_error(QuestionError)
    assert result.response.content == ("The question is empty: type a few words, e.g. "
                                       "“What happened with Quay\\_Side\\_Market?”.")
