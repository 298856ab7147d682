"""Near-duplicate articles: wire copies grouped at indexing, collapsed in search, listed in citations."""

from __future__ import annotations

import logging
import shutil
from datetime import date
from pathlib import Path

import pytest

from rag.index import dedup
from rag.index.chunking import chunk_article
from rag.cli import format_answer
from rag.sources.ingest import load_corpus
from rag.search.retrieval import collapse_groups
from rag.service import RagService
from rag.core.types import Article, Chunk, Filters, Passage
from tests.conftest import ARTICLES, write_corpus
from tests.fakes import ScriptedChatModel

from cogs.render.shared import source_fields

# The original report, as the Norvale Post ran it.
P1 = ("Thousands of dockworkers walked off the job at the port of Norvale on Monday, halting container "
      "traffic at the country's busiest harbour after talks over pay and automation broke down late on Sunday.")
P2 = ("The Norvale Dockworkers Union said about 4,300 of its members had joined the strike, which is planned "
      "to last 72 hours. Picket lines formed at all six terminal gates before dawn, and no ships were loaded "
      "or unloaded during the morning shift.")
P3 = ("The union is demanding a wage increase of 9 percent over two years and guarantees that the automated "
      "cranes ordered by the port operator will not lead to job losses. The operator, Norvale Port Holdings, "
      "has offered 4.5 percent and a joint committee to study automation.")
P4 = ("\"Our members have kept this port running through every crisis, and they will not be replaced by "
      "machines without a say,\" union president Ilse Marquardt told reporters outside the main gate.")
P5 = ("Norvale Port Holdings said the strike was unnecessary and that its offer remained on the table. A "
      "spokesman said 23 container ships were waiting at anchor outside the harbour by midday.")
P6 = ("Retailers warned that a long stoppage would delay deliveries of clothing and electronics ahead of the "
      "summer season. The national chamber of commerce estimated that each day of the strike would cost the "
      "economy about 40 million euros.")
P7 = ("The transport ministry urged both sides to return to talks and said a state mediator was available. "
      "The last major strike at the port, in 2019, lasted nine days.")


def story(*paragraphs: str) -> str:
    return "\n".join(paragraphs)


ORIGINAL = {
    "strike.md": {
        "title": "Dockworkers strike halts Norvale container port",
        "published": "2024-05-06", "source": "norvale-post", "url": "https://post.example/strike",
        "text": story(P1, P2, P3, P4, P5, P6, P7),
    },
}

# Wire copies as other outlets ran them: a new headline, a dateline, a paragraph cut, attributions.
COPIES = {
    "strike-wire.md": {  # the agency's own copy: dateline, retailers paragraph cut, credits at the end
        "title": "Norvale port at standstill as dockworkers strike over pay",
        "published": "2024-05-06", "source": "wire-press", "url": "https://wire.example/norvale-strike",
        "text": story("NORVALE, May 6 (Wire Press) - " + P1, P2, P3, P4, P5, P7,
                      "(Reporting by Jonas Feld; Editing by Mara Quint)"),
    },
    "strike-gazette.md": {  # a newspaper running the wire: attributions in the text, the last paragraph cut
        "title": "Strike stops ships in Norvale",
        "published": "2024-05-06", "source": "harbour-gazette", "url": "https://gazette.example/norvale",
        "text": story(
            "NORVALE (Wire Press) - " + P1,
            P2.replace("The Norvale Dockworkers Union said", "The Norvale Dockworkers Union told Wire Press"),
            P3, P4.replace("told reporters outside the main gate", "said, Wire Press reported"), P5, P6),
    },
    "strike-update.md": {  # the next day's updated version: new figures, one paragraph cut, one added
        "title": "UPDATE 1-Norvale dock strike enters second day as ships queue",
        "published": "2024-05-07", "source": "metro-daily", "url": "https://metro.example/norvale-update",
        "text": story(
            "NORVALE, May 7 (Wire Press) - " + P1.replace("on Monday,", "on Monday, and the strike entered "
                                                          "its second day on Tuesday,"),
            P2, P3, P4,
            P5.replace("23 container ships were waiting at anchor outside the harbour by midday",
                       "31 container ships were waiting at anchor outside the harbour by Tuesday morning"),
            P7 + " Talks are due to resume on Wednesday, the mediator's office said.",
            "(Updates with ships waiting, talks in paragraphs 1, 5 and 6)"),
    },
}

# The same strike told in other words: these must stay apart from the story and from each other.
RELATED = {
    "cranes.md": {
        "title": "Why automation divides Norvale's docks",
        "published": "2024-05-06", "source": "norvale-post", "url": "https://post.example/cranes",
        "text": (
            "Behind the walkout in Norvale lies a fleet of remote-controlled cranes that the port operator "
            "ordered last year from a Finnish supplier.\n"
            "Each of the new cranes can be run by one operator sitting in an office, where the old ones need "
            "a driver in the cab and two lashers on the quay. Union officials fear that the terminal will need "
            "a third fewer workers once all of them are installed.\n"
            "Port managers reply that the cranes are safer and that ports in Rotterdam and Hamburg automated "
            "without mass layoffs, by retraining staff as they retired.\n"
            "Economists at the regional university say both may be right: jobs on the quay will shrink, but "
            "the port is likely to handle more containers if it keeps up with its rivals."
        ),
    },
    "reroute.md": {
        "title": "Shippers reroute cargo as Norvale strike bites",
        "published": "2024-05-07", "source": "business-weekly", "url": "https://bw.example/reroute",
        "text": (
            "Two of the largest container lines said on Tuesday they were sending ships bound for Norvale to "
            "Kessport and Varby instead, as the dockworkers' strike entered its second day.\n"
            "Freight forwarders said the detour adds two days and about 300 euros per container for goods "
            "trucked back to Norvale's warehouses.\n"
            "Supermarket chains said their shelves were stocked for a week, but that fresh fruit arriving by "
            "sea could run short by the weekend if the stoppage continued."
        ),
    },
    "picket.md": {
        "title": "On the Norvale picket line: 'We built this port'",
        "published": "2024-05-07", "source": "harbour-gazette", "url": "https://gazette.example/picket",
        "text": (
            "At gate four of the Norvale container terminal, a dozen strikers kept a brazier burning through "
            "the night, sharing coffee and stories of three decades on the docks.\n"
            "Petra Holm, a crane driver for 22 years, said she had trained the engineers who now test the "
            "automated cranes. \"They asked for our help, and now they want our jobs,\" she said.\n"
            "Younger workers said they worried less about machines than about rents in the city, which have "
            "risen faster than their pay since the last agreement was signed.\n"
            "Their union's president had set the tone on the first morning: " + P4 + "\n"
            "By evening, a food bank run by the port chaplaincy had delivered soup to every gate."
        ),
    },
}

LATE_COPY = {
    "strike-river.md": {  # one more outlet running the updated wire, indexed later
        "title": "Norvale strike: ships wait at anchor",
        "published": "2024-05-07", "source": "river-times", "url": "https://river.example/norvale",
        "text": story(
            P1.replace("on Monday,", "on Monday, and the strike entered its second day on Tuesday,"),
            P2, P3,
            P5.replace("23 container ships were waiting at anchor outside the harbour by midday",
                       "31 container ships were waiting at anchor outside the harbour by Tuesday morning"),
            P6, "Talks are due to resume on Wednesday, the mediator's office said. (Wire Press)"),
    },
}

STORY = {"strike", "strike-wire", "strike-gazette", "strike-update"}


def ids_in(folder: Path) -> dict[str, str]:
    """File name without ``.md`` -> article id, for the articles of a corpus folder."""
    articles, _ = load_corpus(folder, 10**7)
    return {a.origin.removesuffix(".md"): a.id for a in articles}


def named_groups(service: RagService) -> set[frozenset[str]]:
    """The committed duplicate groups, as sets of file names, read from the generation folder."""
    folder = service.settings.data_dir / service.manifests.read().lexical
    groups = dedup.load(folder)
    assert groups is not None
    names = {aid: name for name, aid in ids_in(service.settings.corpus_dir).items()}
    return {frozenset(names[a] for a in members) for members in groups.members.values()}


@pytest.fixture
def wire(service: RagService) -> dict[str, str]:
    """The fixture corpus plus the strike story, its three copies and three related articles, indexed."""
    write_corpus(service.settings.corpus_dir, {**ARTICLES, **ORIGINAL, **COPIES, **RELATED})
    report = service.reindex()
    assert report.duplicate_groups == 2 and "2 groups of duplicate articles" in report.summary()
    return ids_in(service.settings.corpus_dir)


def test_the_threshold_sits_between_copies_and_related_articles():
    texts = {name.removesuffix(".md"): a["text"]
             for name, a in {**ORIGINAL, **COPIES, **RELATED, **LATE_COPY}.items()}
    sh = {name: dedup.shingles(t) for name, t in texts.items()}

    def jaccard(a: str, b: str) -> float:
        return len(sh[a] & sh[b]) / len(sh[a] | sh[b])

    copies = [jaccard("strike", c) for c in texts if c.startswith("strike-")]
    related = [jaccard(r, o) for r in ("cranes", "reroute", "picket") for o in texts if o != r]
    assert min(copies) >= dedup.THRESHOLD + 0.05, copies
    assert max(related) <= 0.1, related
    assert jaccard("picket", "strike") > 0  # it quotes a paragraph of the story, and still stays apart


def test_copies_are_grouped_and_related_articles_are_not(wire, service):
    assert named_groups(service) == {frozenset(STORY), frozenset({"factory", "factory-wire"})}
    groups = dedup.load(service.settings.data_dir / service.manifests.read().lexical)
    story = sorted(wire[n] for n in STORY)
    assert groups.members[story[0]] == tuple(story)  # named by the smallest id
    assert all(groups.group(wire[n]) == story[0] for n in STORY)
    assert groups.group(wire["cranes"]) == wire["cranes"] and groups.copies(wire["cranes"]) == ()


def test_search_returns_the_story_once_from_the_newest_version(wire, service):
    passages = service.search("How many container ships were waiting at anchor outside Norvale harbour?", k=5)
    story = [p for p in passages if p.chunk.article_id in {wire[n] for n in STORY}]
    assert len(story) == 1
    p = story[0]
    assert p.chunk.article_id == wire["strike-update"] and "31 container ships" in p.chunk.text
    assert passages.index(p) == 0  # at the rank of the group's best passage
    assert {c.rsplit(":", 2)[0] for c in p.also_in} >= {wire["strike"], wire["strike-wire"]}
    assert p.outlets == ("harbour-gazette", "norvale-post", "wire-press")


def test_an_earlier_as_of_cites_a_version_of_that_day(wire, service):
    passages = service.search("How many container ships were waiting at anchor outside Norvale harbour?",
                              Filters(as_of=date(2024, 5, 6)), k=5)
    story = [p for p in passages if p.chunk.article_id in {wire[n] for n in STORY}]
    assert len(story) == 1 and "23 container ships" in story[0].chunk.text
    assert story[0].chunk.published == date(2024, 5, 6)
    assert "metro-daily" not in story[0].outlets  # the update is hidden on that day
    assert len(story[0].outlets) == 2


def test_the_citation_lists_the_other_outlets(wire, service):
    answer = service.ask("How many container ships were waiting at anchor outside Norvale?")
    assert not answer.refused
    cited = answer.citations[0]
    assert cited.article_id == wire["strike-update"] and "31 container ships" in cited.quote
    assert cited.outlets == ("harbour-gazette", "norvale-post", "wire-press")
    assert cited.to_dict()["outlets"] == ["harbour-gazette", "norvale-post", "wire-press"]
    assert "also in: harbour-gazette, norvale-post, wire-press" in format_answer(answer)
    value = dict(source_fields(answer.citations))[f"[1] {cited.title}"]
    assert value.splitlines()[-1] == "also in: harbour-gazette, norvale-post, wire-press"


def test_a_written_answer_cites_the_other_outlets_too(wire, service):
    model = ScriptedChatModel.replying(
        "31 container ships were waiting at anchor outside the harbour by Tuesday morning [1].")
    writer = RagService(service.settings, embeddings=service.embeddings, client=service.client, chat_model=model)
    answer = writer.ask("How many container ships were waiting at anchor outside Norvale?")
    assert answer.mode == "generative" and not answer.refused
    assert [c.article_id for c in answer.citations] == [wire["strike-update"]]
    assert answer.citations[0].outlets == ("harbour-gazette", "norvale-post", "wire-press")


def test_an_incremental_reindex_signs_only_the_new_copy(wire, service, monkeypatch):
    signed: list[str] = []
    sign = dedup.signature
    monkeypatch.setattr(dedup, "signature", lambda text: signed.append(text) or sign(text))
    write_corpus(service.settings.corpus_dir, LATE_COPY)
    report = service.reindex()
    assert report.added == [ids_in(service.settings.corpus_dir)["strike-river"]]
    assert signed == [LATE_COPY["strike-river.md"]["text"]]
    assert named_groups(service) == {frozenset(STORY | {"strike-river"}), frozenset({"factory", "factory-wire"})}
    passages = service.search("How many container ships were waiting at anchor outside Norvale harbour?", k=5)
    ids = ids_in(service.settings.corpus_dir)
    story = [p for p in passages if p.chunk.article_id in {ids[n] for n in STORY | {"strike-river"}}]
    assert len(story) == 1 and "31 container ships" in story[0].chunk.text
    assert set(story[0].outlets) | {story[0].chunk.source} == {
        "river-times", "metro-daily", "norvale-post", "wire-press", "harbour-gazette"}


def test_removing_articles_removes_them_from_their_groups(wire, service, monkeypatch):
    signed: list[str] = []
    monkeypatch.setattr(dedup, "signature", lambda text: signed.append(text))  # nothing may be signed
    (service.settings.corpus_dir / "strike-wire.md").unlink()
    (service.settings.corpus_dir / "factory-wire.md").unlink()
    report = service.reindex()
    assert sorted(report.removed) == sorted([wire["strike-wire"], wire["factory-wire"]]) and not signed
    assert named_groups(service) == {frozenset(STORY - {"strike-wire"})}  # a group of one is no group
    assert report.duplicate_groups == 1
    passages = service.search("Lumetra battery factory jobs", k=5)
    assert [p.outlets for p in passages if "Lumetra" in p.chunk.text] == [()]


@pytest.mark.parametrize("lost", ["dedup files", "whole folder"])
def test_a_generation_without_dedup_files_gets_them_rebuilt_on_load(wire, service, settings, embeddings,
                                                                   caplog, lost):
    folder = settings.data_dir / service.manifests.read().lexical
    before = dedup.Signatures.load(folder)
    groups = named_groups(service)
    if lost == "dedup files":
        (folder / dedup.SIGNATURES_FILE).unlink()
        (folder / dedup.GROUPS_FILE).unlink()
    else:  # as after indexing on another machine
        shutil.rmtree(folder)
    fresh = RagService(settings, embeddings=embeddings)
    with caplog.at_level(logging.INFO, logger="rag.search.live"):
        passages = fresh.search("How many container ships were waiting at anchor outside Norvale harbour?", k=5)
    assert "finding duplicate articles for generation 1 from the store" in caplog.text
    assert named_groups(fresh) == groups
    after = dedup.Signatures.load(folder)
    # Signed from the stored chunks, the articles get the signatures their full texts got.
    assert after.ids == before.ids and after.hashes == before.hashes
    assert (after.values == before.values).all()
    assert len([p for p in passages if p.chunk.article_id in {wire[n] for n in STORY}]) == 1


def test_collapse_keeps_the_newest_version_at_the_best_rank():
    def passage(article: str, day: int, text: str, score: float) -> Passage:
        chunk = Chunk(f"{article}:h:0", article, "h", 0, 0, len(text), text, article.title(),
                      source=f"{article}-outlet", published=date(2024, 5, day))
        return Passage(chunk, score)

    body = "the port of Norvale stayed shut on Monday as dockworkers walked out over pay and cranes"
    other = "retailers warned of delayed deliveries of clothing and electronics ahead of the summer"
    passages = [
        passage("a", 6, body, 0.9),
        passage("x", 6, "an unrelated report about a football match in Riverton on Saturday", 0.8),
        passage("c", 7, other, 0.7),  # the newest member, but another part of the story
        passage("b", 7, body + " again", 0.6),  # newest version of the best passage
        passage("d", 7, body, 0.5),  # as new, ranked lower
    ]
    groups = dedup.Groups.of([["a", "b", "c", "d"]])
    out = collapse_groups(passages, groups)
    assert [p.chunk.article_id for p in out] == ["b", "x"]
    assert out[0].score == 0.9 and set(out[0].also_in) == {"a:h:0", "c:h:0", "d:h:0"}
    assert collapse_groups(passages, dedup.Groups()) == passages
    assert collapse_groups(passages[:2], groups) == passages[:2]


def test_text_of_chunks_has_the_words_of_the_article():
    # Small overlapping chunks, and a sentence longer than a chunk (cut inside words).
    long_sentence = " ".join(f"word{i}" for i in range(300))
    for name, a in {**ORIGINAL, **COPIES, **RELATED}.items():
        article = Article(name, a["title"], a["text"] + "\n" + long_sentence + ".")
        chunks = chunk_article(article, 64, 16)
        assert len(chunks) > 3
        assert dedup.words(dedup.text_of(reversed(chunks))) == dedup.words(article.text)
