"""Timelines on the real core: date order, citations, wire copies merged, filters, refusals, the CLI."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from cogs.render.limits import COLOUR_REFUSED, DESCRIPTION, TOTAL
from cogs.render.timeline import timeline_embed
from rag.sources.ingest import load_corpus
from rag.service import RagService
from rag.core.settings import Settings
from rag.answer.summaries import TOPIC_NOT_COVERED
from rag.answer.timelines import Timeline, TimelineEvent
from rag.core.types import Citation, Filters, human_date

from tests.conftest import write_corpus
from tests.rag.test_cli import run

STORY = {
    "bridge-1.md": {
        "title": "Cracks close the Kessel river bridge",
        "published": "2024-04-02", "source": "riverton-gazette", "url": "https://gazette.example/bridge-cracks",
        "text": (
            "Engineers closed the Kessel river bridge in Riverton on Tuesday after inspectors found deep "
            "cracks in two of its concrete piers.\n"
            "About 30,000 vehicles cross the bridge every day; traffic is being diverted through the "
            "harbour district, and commuters faced long queues."
        ),
    },
    "bridge-2.md": {
        "title": "Kessel bridge cannot be repaired, report finds",
        "published": "2024-04-09", "source": "valdoria-times", "url": "https://times.example/bridge-report",
        "text": (
            "The Kessel river bridge cannot be repaired and must be demolished, an engineering report "
            "published on Tuesday concluded.\n"
            "The report found that corrosion of the steel inside the piers had gone too far for the 1968 "
            "bridge to be saved."
        ),
    },
    "bridge-3.md": {
        "title": "Council approves new Kessel bridge",
        "published": "2024-04-16", "source": "riverton-gazette", "url": "https://gazette.example/bridge-vote",
        "text": (
            "Riverton council approved 85 million euros on Monday to replace the Kessel river bridge with "
            "a new crossing by 2027.\n"
            "A temporary pontoon bridge for pedestrians and cyclists will open next month."
        ),
    },
    "bridge-wire-a.md": {
        "title": "Demolition of Kessel bridge begins",
        "published": "2024-04-23", "source": "wire-news", "url": "https://wire.example/bridge-demolition",
        "text": (
            "Demolition crews began taking down the Kessel river bridge in Riverton on Monday, three weeks "
            "after cracks were found in its piers.\n"
            "The work is expected to take two months, and the river will be closed to boats while the "
            "spans are removed. The new bridge is due to open in 2027."
        ),
    },
    "bridge-wire-b.md": {
        "title": "Kessel bridge demolition starts in Riverton",
        "published": "2024-04-23", "source": "coast-herald", "url": "https://herald.example/bridge-demolition",
        "text": (
            "Demolition crews began taking down the Kessel river bridge in Riverton on Monday, three weeks "
            "after cracks were discovered in its piers.\n"
            "The work is expected to take about two months, and the river will be closed to boats while the "
            "spans are removed. The new bridge is due to open in 2027."
        ),
    },
    "bridge-undated.md": {
        "title": "Kessel bridge: what commuters need to know",
        "source": "city-blog",
        "text": (
            "Since the Kessel river bridge closed, buses from the north bank run every ten minutes to the "
            "harbour district.\n"
            "Cyclists can take the ferry across the river for free until the pontoon bridge opens."
        ),
    },
}
UNRELATED = {
    # another town's bridge: close in meaning, but not the Kessel river bridge the topic names
    "other-bridge.md": {
        "title": "Cracks close the river bridge in Port Aldine",
        "published": "2024-04-10", "source": "coast-herald", "url": "https://herald.example/aldine-bridge",
        "text": (
            "Engineers closed the old river bridge in Port Aldine on Wednesday after inspectors found deep "
            "cracks in two of its concrete piers.\n"
            "About 20,000 vehicles cross the river bridge every day; the bridge may have to be demolished."
        ),
    },
    "cup.md": {
        "title": "Riverton Rovers win the cup final",
        "published": "2024-04-13", "source": "riverton-gazette", "url": "https://gazette.example/cup",
        "text": (
            "Riverton Rovers beat Port Aldine 2-1 in the cup final on Saturday, their first trophy in "
            "twelve years.\n"
            "Striker Tomas Brekke scored the winning goal in the 88th minute in front of 41,000 fans."
        ),
    },
    "opera.md": {
        "title": "Valdoria opera house reopens after renovation",
        "published": "2024-04-12", "source": "valdoria-times", "url": "https://times.example/opera",
        "text": (
            "The Valdoria opera house reopened on Friday with a performance of La Traviata after a two-year "
            "renovation of its stage machinery and seating.\n"
            "Tickets for the opening season sold out within a day, the director said."
        ),
    },
    "bakery.md": {
        "title": "Bakers protest rising flour prices",
        "published": "2024-04-18", "source": "business-daily", "url": "https://bd.example/flour",
        "text": (
            "Independent bakers in Valdoria closed their shops for an hour on Thursday in protest against "
            "flour prices, which have risen by 40 percent in a year.\n"
            "The bakers' guild asked the government to cut the tax on bread."
        ),
    },
}

TOPIC = "Kessel river bridge"
LINE = re.compile(r"(\d{1,2} [A-Z][a-z]{2} \d{4}|undated) — (.+) \[(\d+)\]( \((.+)\))?")


@pytest.fixture(scope="module")
def service(tmp_path_factory, embeddings) -> RagService:
    root = tmp_path_factory.mktemp("timeline")
    settings = Settings().replace(corpus_dir=root / "corpus", data_dir=root / "data")
    write_corpus(settings.corpus_dir, {**STORY, **UNRELATED})
    service = RagService(settings, embeddings=embeddings)
    service.reindex()
    return service


@pytest.fixture(scope="module")
def ids(service) -> dict[str, str]:
    """File name -> article id."""
    articles, _ = load_corpus(service.settings.corpus_dir)
    return {a.origin: a.id for a in articles}


@pytest.fixture(scope="module")
def texts(service) -> dict[str, str]:
    articles, _ = load_corpus(service.settings.corpus_dir)
    return {a.id: a.text for a in articles}


def parsed(timeline: Timeline) -> list[tuple[str, str, int, str]]:
    """(date, sentence, n, outlets) of each line of the text."""
    out = []
    for line in timeline.text.split("\n"):
        m = LINE.fullmatch(line)
        assert m, f"not a timeline line: {line!r}"
        out.append((m.group(1), m.group(2), int(m.group(3)), m.group(5) or ""))
    return out


def test_the_story_in_date_order_one_cited_line_per_article(service, ids, texts):
    timeline = service.timeline(TOPIC)

    assert not timeline.refused
    lines = parsed(timeline)
    assert [n for _, _, n, _ in lines] == list(range(1, len(lines) + 1))
    days = [d for d, _, _, _ in lines]
    assert days == ["2 Apr 2024", "9 Apr 2024", "16 Apr 2024", "23 Apr 2024", "undated"]  # undated last
    for (day, sentence, n, _), event in zip(lines, timeline.events, strict=True):
        c = event.citation
        assert c.n == n and sentence == " ".join(c.quote.split())
        assert texts[c.article_id][c.start:c.end] == c.quote  # quoted exactly from the article
        assert (human_date(c.published) if c.published else "undated") == day  # dated by its article
        assert c.title and c.source and (c.url or day == "undated")
    cited = [e.citation.article_id for e in timeline.events]
    assert cited[:3] == [ids["bridge-1.md"], ids["bridge-2.md"], ids["bridge-3.md"]]
    assert cited[4] == ids["bridge-undated.md"]
    assert "cracks" in lines[0][1] and "demolished" in lines[1][1] and "85 million euros" in lines[2][1]


def test_wire_copies_make_one_line_listing_both_outlets(service, ids):
    timeline = service.timeline(TOPIC)
    copies = {ids["bridge-wire-a.md"], ids["bridge-wire-b.md"]}

    [merged] = [e for e in timeline.events if copies & set(e.article_ids)]
    assert set(merged.article_ids) == copies and set(merged.outlets) == {"wire-news", "coast-herald"}
    day, sentence, n, outlets = parsed(timeline)[timeline.events.index(merged)]
    assert day == "23 Apr 2024" and "Demolition crews" in sentence
    assert set(outlets.split(", ")) == {"wire-news", "coast-herald"}
    assert [e for e in timeline.events if len(e.article_ids) > 1] == [merged]  # the others stand alone


def test_unrelated_articles_are_left_out(service, ids):
    timeline = service.timeline(TOPIC)
    cited = {a for e in timeline.events for a in e.article_ids}
    assert not cited & {ids[name] for name in UNRELATED}
    assert cited == {ids[name] for name in STORY}
    # the other bridge is close enough to be found, but the topic names the Kessel river bridge
    assert ids["other-bridge.md"] in {p.chunk.article_id for p in service.search(TOPIC, k=8)}
    summary = service.summarize_topic(TOPIC)
    assert summary.citations and ids["other-bridge.md"] not in {c.article_id for c in summary.citations}


def test_since_and_until_bound_the_timeline(service, ids):
    window = service.timeline(TOPIC, Filters(since=date(2024, 4, 5), until=date(2024, 4, 20)))
    assert [d for d, *_ in parsed(window)] == ["9 Apr 2024", "16 Apr 2024"]  # undated articles need no since
    assert [e.citation.article_id for e in window.events] == [ids["bridge-2.md"], ids["bridge-3.md"]]

    early = service.timeline(TOPIC, Filters(until=date(2024, 4, 10)))
    assert [d for d, *_ in parsed(early)] == ["2 Apr 2024", "9 Apr 2024", "undated"]

    as_of = service.timeline(TOPIC, Filters(as_of=date(2024, 4, 16)))
    assert [d for d, *_ in parsed(as_of)] == ["2 Apr 2024", "9 Apr 2024", "16 Apr 2024", "undated"]

    later = service.timeline(TOPIC, Filters(since=date(2024, 5, 1)))
    assert later.refused and later.text == "The corpus does not cover this topic since 1 May 2024."


def test_a_topic_the_corpus_does_not_cover_gets_the_refusal(service):
    timeline = service.timeline("volcanic eruptions in Iceland")
    assert timeline.refused and not timeline.events and not timeline.citations
    assert timeline.text == TOPIC_NOT_COVERED
    answer = timeline.as_answer()
    assert answer.refused and answer.text == TOPIC_NOT_COVERED


def test_a_topic_whose_name_no_article_mentions_gets_the_refusal(service):
    """Stories close in meaning to "Brandt river bridge" are about another bridge: no timeline and no
    summary of them is given for it."""
    timeline = service.timeline("Brandt river bridge")
    assert timeline.refused and timeline.text == TOPIC_NOT_COVERED
    summary = service.summarize_topic("Brandt river bridge")
    assert summary.refused and summary.text == TOPIC_NOT_COVERED
    assert not service.timeline("Kessel river bridge").refused


def test_the_cli_prints_the_timeline_as_json_and_as_text(service, ids):
    data_dir = service.settings.data_dir
    result = run("timeline", TOPIC, "--json", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["topic"] == TOPIC and out["refused"] is False
    assert [e["date"] for e in out["events"]] == ["2024-04-02", "2024-04-09", "2024-04-16", "2024-04-23", None]
    assert out["text"] == service.timeline(TOPIC).text
    assert [c["n"] for c in out["citations"]] == [e["n"] for e in out["events"]] == [1, 2, 3, 4, 5]
    assert set(out["citations"][0]) >= {"n", "article_id", "title", "source", "published", "url", "quote"}
    merged = out["events"][3]
    assert set(merged["outlets"]) == {"wire-news", "coast-herald"}
    assert set(merged["article_ids"]) == {ids["bridge-wire-a.md"], ids["bridge-wire-b.md"]}

    text = run("timeline", TOPIC, "--since", "2024-04-05", "--until", "2024-04-20", data_dir=data_dir)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0].startswith("9 Apr 2024 — ") and lines[1].startswith("16 Apr 2024 — ")
    assert "Sources:" in lines and any(line.startswith("[2] Council approves new Kessel bridge") for line in lines)

    bad = run("timeline", TOPIC, "--since", "2024-13-01", data_dir=data_dir)
    assert bad.returncode != 0 and "not a date in YYYY-MM-DD form" in bad.stderr


def _event(n: int, day: date | None, chars: int) -> TimelineEvent:
    sentence = ("The council said the bridge works continue as planned " * 10)[:chars - 1] + "."
    citation = Citation(n, f"a{n}", f"Bridge article number {n} " + "x" * 150, "outlet-" + "y" * 80, day,
                        f"https://news.example/{n}/" + "z" * 300, sentence, 0, len(sentence))
    return TimelineEvent(day, sentence, citation, (citation.source,), (citation.article_id,))


def test_the_embed_keeps_whole_lines_within_discord_limits():
    events = tuple(_event(n, date(2024, 4, n), 400) for n in range(1, 13)) + (_event(13, None, 400),)
    embed = timeline_embed(Timeline(TOPIC, events), f"Timeline: {TOPIC}")

    assert len(embed) <= TOTAL and len(embed.description) <= DESCRIPTION
    lines = embed.description.split("\n")
    assert 1 <= len(lines) < len(events)
    assert all(line.startswith(f"{i} Apr 2024 — ") and line.endswith(f"[{i}]")
               for i, line in enumerate(lines, start=1))  # the first ones, whole
    assert embed.footer.text.startswith(f"{len(events) - len(lines)} later events not shown")
    assert [f.name.split(" ")[0] for f in embed.fields] == [f"[{i}]" for i in range(1, len(lines) + 1)]

    small = timeline_embed(Timeline(TOPIC, events[:3]), f"Timeline: {TOPIC}")
    assert len(small.description.split("\n")) == 3 and "not shown" not in small.footer.text
    assert all("(https://news.example/" in f.value for f in small.fields)

    refused = timeline_embed(Timeline("volcanoes", ()), "Timeline: volcanoes")
    assert refused.description == TOPIC_NOT_COVERED and refused.colour == COLOUR_REFUSED
