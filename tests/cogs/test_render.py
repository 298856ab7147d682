"""Discord renderings: Discord's limits, cutting at sentences, escaping, links only from corpus metadata."""

from __future__ import annotations

import re
from datetime import date

import discord
import pytest

from cogs.render.answer import age, answer_embed, refusal_hint, thread_name
from cogs.render.ingest import uploads_summary
from cogs.render.limits import CHOICE, COLOUR_REFUSED, CONTENT, DESCRIPTION, FIELDS, FIELD_NAME, FIELD_VALUE, FOOTER, THREAD_NAME, TITLE, TOTAL, cut, fit, listing, plural, safe, safe_url, scrub, with_error_id
from cogs.render.passages import UNQUOTED, highlight, passages_embed
from cogs.render.reindex import index_summary, progress_text, report_embed
from cogs.render.shared import choice_name
from cogs.render.status import status_embed
from cogs.render.timeline import event_line
from rag.answer.timelines import TimelineEvent
from rag.state.feedback import FeedbackCounts
from rag.core.types import Answer, Chunk, Citation, IndexReport, Passage, Skipped
from rag.sources.uploads import ADDED, Upload, UploadReport

ANSWER_TEXT = ("The line will cost 310 million euros. [1] It opens in 2027, said Mr. Sorrel. [2] "
               "Buses lose out. [3]")


def citation(n: int, article: str = "a1", title: str = "Tram line approved", url: str = "https://g.example/tram",
             source: str = "riverton-gazette") -> Citation:
    quote = "The line will cost 310 million euros."
    return Citation(n, article, title, source, date(2024, 3, 2), url, quote, 0, len(quote))


@pytest.mark.parametrize("limit,expected", [
    (500, ANSWER_TEXT),
    (91, "The line will cost 310 million euros. [1] It opens in 2027, said Mr. Sorrel. [2] …"),
    (60, "The line will cost 310 million euros. [1] …"),
    (30, "The line will cost 310…"),  # no sentence ends early enough: cut at a word
    (1, "…"),
])
def test_cut_after_a_sentence_and_its_markers(limit, expected):
    assert cut(ANSWER_TEXT, limit) == expected


@pytest.mark.parametrize("limit", range(1, 120, 7))
def test_cut_never_exceeds_the_limit(limit):
    text = safe("Prices *rose* by 5%. Officials said __nothing__. " * 20)
    out = cut(text, limit)
    assert len(out) <= limit and not out.rstrip("…").endswith("\\")


@pytest.mark.parametrize("raw,inert", [
    ("told @everyone today", "told @\u200beveryone today"),
    ("hey @here", "hey @\u200bhere"),
    ("to <@&123456789012345678> holders", "to <@\u200b&123456789012345678> holders"),
    ("ask <@123456789012345678>", "ask <@\u200b123456789012345678>"),
    ("**Refunds** paid", "\\*\\*Refunds\\*\\* paid"),
    ("a __big__ ~~deal~~ ||secret||", "a \\_\\_big\\_\\_ \\~\\~deal\\~\\~ \\|\\|secret\\|\\|"),
    ("click [here](https://evil.example)", "click \\[here](hxxps://evil[.]example)"),
    ("see https://evil.example/x", "see hxxps://evil[.]example/x"),
    ("at www.evil.example/refund_now.", "at www[.]evil[.]example/refund\\_now."),
])
def test_safe_makes_text_inert(raw, inert):
    assert safe(raw) == inert


@pytest.mark.parametrize("url,expected", [
    ("https://gazette.example/tram", "https://gazette.example/tram"),
    ("http://gazette.example/a?b=1#c", "http://gazette.example/a?b=1#c"),
    ("https://x.example/a_(b)", "https://x.example/a_%28b%29"),  # a ")" would end the markdown link
    ("javascript:alert(1)", None),
    ("ftp://files.example/a", None),
    ("https://x.example/a b", None),
    ("not a url", None),
    ("", None),
    ("https://x.example/" + "a" * 600, None),
])
def test_links_are_only_plain_web_urls(url, expected):
    assert safe_url(url) == expected


def test_scrub_removes_server_paths_but_keeps_corpus_names():
    assert scrub("cannot open /srv/news/data/chroma/x.bin for a/b.md") == "cannot open …/x.bin for a/b.md"
    assert scrub(r"read C:\news\data\x.db") == "read …/x.db"


def test_listing_says_how_many_more():
    out = listing([f"article-{i}.md" for i in range(200)], limit=300)
    assert len(out) <= 300 and re.search(r"… and \d+ more$", out)
    assert listing(["a", "b"]) == "• a\n• b"


TODAY = date(2024, 3, 4)  # two days after the tram article


def test_answer_embed_numbers_sources_per_article_titled_and_linked_from_metadata():
    # Numbered per sentence (1 and 3 quote the same article): shown as one source, one marker in a row.
    answer = Answer("What will it cost?", ANSWER_TEXT + " Trams win. [1][3]", False,
                    (citation(1), citation(2, "a2", "Sorrel speaks", url=""), citation(3)), as_of=TODAY)
    embed = answer_embed(answer)
    assert embed.title == "What will it cost?"
    assert embed.description == ("*Newest source: 2 days ago (2 Mar 2024)*\n"
                                 "The line will cost 310 million euros. [1] It opens in 2027, said Mr. Sorrel. [2] "
                                 "Buses lose out. [1] Trams win. [1]")
    assert [(f.name, f.value) for f in embed.fields] == [("Sources", (
        "[1] [Tram line approved](https://g.example/tram) · riverton-gazette · 2 Mar 2024\n"
        "[2] Sorrel speaks · riverton-gazette · 2 Mar 2024"))]  # no URL in the corpus: no link
    assert embed.footer.text == "Every sentence is quoted from the article cited"


def test_citations_sharing_a_number_make_one_source_and_a_bold_short_answer_stays_bold():
    # Numbered per article: several quotes of one article share [1].
    text = '**Michelle Yeoh** [1] — "She won the award." [1] The *film* opened in May. [2]'
    answer = Answer("Who won?", text, False,
                    (citation(1), citation(1), citation(2, "a2", "Film opens", url="https://g.example/film")),
                    as_of=date(2024, 3, 3))
    embed = answer_embed(answer)
    assert embed.description == '**Michelle Yeoh** [1] — "She won the award." [1] The \\*film\\* opened in May. [2]'
    assert embed.fields[0].value.splitlines() == [
        "[1] [Tram line approved](https://g.example/tram) · riverton-gazette · 2 Mar 2024",
        "[2] [Film opens](https://g.example/film) · riverton-gazette · 2 Mar 2024"]


@pytest.mark.parametrize("notice,first,footer", [
    ("", "*Newest source: 3 weeks ago (2 Mar 2024)*",
     "Every sentence is quoted from the article cited"),
    ("nothing indexed is dated this week: 18 – 25 Mar 2024; searched every date up to 25 Mar 2024",
     "*Nothing indexed is dated this week: 18 – 25 Mar 2024; newest source: 3 weeks ago (2 Mar 2024)*",
     "Every sentence is quoted from the article cited"),
    ("Outlets disagree on the figure", "*Newest source: 3 weeks ago (2 Mar 2024)*",
     "Every sentence is quoted from the article cited · Outlets disagree on the figure"),
])
def test_how_current_an_answer_is_comes_first_and_the_footer_stays_short(notice, first, footer):
    answer = Answer("Tram this week?", "The line will cost 310 million euros. [1]", False, (citation(1),),
                    notice=notice, as_of=date(2024, 3, 25))
    embed = answer_embed(answer)
    assert embed.description.split("\n")[0] == first and embed.footer.text == footer


@pytest.mark.parametrize("days,text", [
    (0, "today"), (1, "yesterday"), (3, "3 days ago"), (20, "2 weeks ago"), (100, "3 months ago"),
    (800, "2 years ago"),
])
def test_age(days, text):
    assert age(date(2024, 1, 1), date.fromordinal(date(2024, 1, 1).toordinal() + days)) == text


def test_a_fresh_answer_says_nothing_about_its_age():
    answer = Answer("Q?", "The line will cost 310 million euros. [1]", False, (citation(1),), as_of=date(2024, 3, 3))
    assert answer_embed(answer).description == "The line will cost 310 million euros. [1]"


def test_refusal_embed():
    embed = answer_embed(Answer("Tungsten?", "The corpus does not cover this.", True))
    assert embed.colour == COLOUR_REFUSED and not embed.fields
    assert "Nothing in the indexed articles" in embed.footer.text


@pytest.mark.parametrize("window,dates,ending", [
    ("", False, "to see what the articles do say."),
    ("this week: 12 Jan – 19 Jan 2023", False, ", or ask without “this week”."),
    ("", True, ", or ask again with a wider `since:` and `until:`."),
])
def test_a_refusal_hint_names_discords_commands_and_dates_only_when_given(window, dates, ending):
    refused = Answer("Who?", "The corpus does not cover this.", True, window=window)
    hint = refusal_hint(refused, dates_given=dates)
    assert hint.startswith("Try `/timeline topic:` or `/summary topic:`") and hint.endswith(ending)
    assert "date" not in hint and "python -m" not in hint
    assert refusal_hint(Answer("Who?", "Nepal [1]", False)) == ""


def test_a_refusal_naming_a_candidate_shows_its_source_and_says_what_it_is():
    named = Answer("Which country?", "The articles found do not answer this for certain ...; the nearest names "
                   "Nepal [1]: “... in Nepal.” [1]", True, citations=(citation(1),))
    embed = answer_embed(named, hint=refusal_hint(named))
    assert embed.fields[0].name == "Sources"
    assert embed.footer.text == "The articles found do not answer this for certain"
    assert "Try" not in embed.description


def within_limits(embed: discord.Embed) -> bool:
    return (len(embed) <= TOTAL and len(embed.title or "") <= TITLE
            and len(embed.description or "") <= DESCRIPTION and len(embed.fields) <= FIELDS
            and all(len(f.name) <= FIELD_NAME and len(f.value) <= FIELD_VALUE for f in embed.fields)
            and len(embed.footer.text or "") <= FOOTER)


def test_oversized_answer_fits():
    text = " ".join(f"Sentence number {n} says something long about the tram line. [{n}]" for n in range(1, 200))
    citations = tuple(citation(n, f"a{n}", "Headline " * 40, url="https://g.example/" + "x" * 300)
                      for n in range(1, 60))
    embed = answer_embed(Answer("Why? " * 100, text, False, citations, notice="note " * 500))
    assert within_limits(embed)
    assert embed.description.endswith("] …")  # cut after a sentence's marker
    sources = [line for f in embed.fields for line in f.value.splitlines()]
    assert len(embed.description) > TOTAL // 4 and len(sources) >= 5  # both keep room
    assert re.fullmatch(r"\d+ more not shown · Every sentence is quoted .{,300}", embed.footer.text)


def test_fit_drops_trailing_fields_and_says_so():
    embed = discord.Embed(title="t", description="Short.")
    for i in range(25):
        embed.add_field(name=f"field {i}", value="v" * 1000)
    fit(embed)
    assert within_limits(embed) and 0 < len(embed.fields) < 25
    assert embed.footer.text == f"{25 - len(embed.fields)} more not shown"


PARAGRAPHS = ("Mayor Sorrel spoke first. The council debated the tram line at length. Nobody left early.\n"
              "The vote came late at night. " + "Residents cheered outside the hall. " * 40)


def _passage_answer(n_chunks: int = 8, cited: int = 5) -> Answer:
    chunks = [Chunk(f"a{i}:h:0", f"a{i}", "h", 0, 100, 100 + len(PARAGRAPHS), PARAGRAPHS, f"Article {i}", "gazette",
                    f"https://g.example/{i}", date(2024, 3, 2)) for i in range(n_chunks)]
    quote = "The council debated the tram line at length."
    at = 100 + PARAGRAPHS.index(quote)
    return Answer("Q?", f"{quote} [1]", False,
                  (Citation(1, f"a{cited}", f"Article {cited}", "gazette", date(2024, 3, 2),
                            f"https://g.example/{cited}", quote, at, at + len(quote)),),
                  passages=tuple(Passage(c, 1.0, 0.9) for c in chunks))


def test_the_passages_button_shows_each_quote_in_bold_in_its_paragraph():
    embed = passages_embed(_passage_answer())
    assert within_limits(embed) and embed.title == "Quoted passages: Q?"
    [field] = embed.fields  # only what the answer quotes
    assert field.name == "[1] Article 5"
    assert field.value == ("Mayor Sorrel spoke first. **The council debated the tram line at length.** Nobody left "
                           "early.\n[gazette](https://g.example/5) · 2 Mar 2024")  # its paragraph, not the chunk


def test_sources_also_shows_what_was_retrieved_but_not_quoted_within_the_budget():
    embed = passages_embed(_passage_answer(), everything=True)
    assert within_limits(embed) and embed.title == "Everything retrieved for: Q?" and len(embed.fields) == 8
    assert embed.fields[0].name == "[1] Article 5" and embed.fields[1].name.startswith("(not quoted)")
    assert "**" in embed.fields[0].value and "**" not in embed.fields[1].value
    # What was not quoted is a short excerpt: enough to judge it, not a wall of text.
    assert all(len(f.value.split("\n")[0]) <= UNQUOTED for f in embed.fields[1:])
    assert all(f.value.rstrip().endswith("· 2 Mar 2024") for f in embed.fields)


@pytest.mark.parametrize("limit", [60, 120, 300, 1000])
def test_a_long_paragraph_is_cut_around_its_quote(limit):
    text = "Some context first. " * 20 + "The tram will cost 310 million euros. " + "More follows. " * 40
    at = text.index("The tram")
    out = highlight(text, [(at, at + len("The tram will cost 310 million euros."))], limit)
    assert len(out) <= limit and "**The tram will cost 310 million euros.**" in out
    assert out.startswith("… ") and out.endswith(" …")


def test_report_embed_lists_changes_and_skips_with_reasons():
    report = IndexReport(added=["a1"], updated=[], removed=["a2"], unchanged=3,
                         skipped=[Skipped(f"bad/{i}.json", "invalid JSON: Expecting value") for i in range(100)])
    embed = report_embed(report, {"a1": "ferry.md (Ferry strike ends)", "a2": "old.md (Old news)"})
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Added (1)"] == "• ferry.md (Ferry strike ends)"
    assert fields["Removed (1)"] == "• old.md (Old news)"
    assert fields["Skipped (100)"].startswith("• bad/0.json: invalid JSON")
    assert fields["Skipped (100)"].endswith("more") and within_limits(embed)
    assert "Updated (0)" not in fields


@pytest.mark.parametrize("chunks,groups,text", [
    (1, 1, "1 added, 0 updated, 0 removed, 3 unchanged, 0 skipped; 1 passage embedded in 0.5s; "
           "1 group of duplicate articles"),
    (2, 0, "1 added, 0 updated, 0 removed, 3 unchanged, 0 skipped; 2 passages embedded in 0.5s"),
])
def test_reindex_summary_counts_in_proper_english(chunks, groups, text):
    report = IndexReport(added=["a"], unchanged=3, chunks_embedded=chunks, seconds=0.5, duplicate_groups=groups)
    assert index_summary(report) == text
    assert report_embed(report, {}).description == text


@pytest.mark.parametrize("report,text", [
    # A full reindex says what it rebuilt, not "0 added, 0 updated, 0 removed, 40 unchanged".
    (IndexReport(unchanged=40, chunks_embedded=374, seconds=20.3, full=True),
     "Rebuilt 40 articles, 374 passages in 20.3s; 0 skipped"),
    (IndexReport(added=["a", "b"], updated=["c"], removed=["d"], unchanged=37, chunks_embedded=374, seconds=20.3,
                 full=True, duplicate_groups=2),
     "Rebuilt 40 articles, 374 passages in 20.3s (2 added, 1 updated, 1 removed since the last index); "
     "0 skipped; 2 groups of duplicate articles"),
    (IndexReport(added=["a"] * 40, chunks_embedded=374, seconds=9.0, full=True),  # the first index
     "Indexed 40 articles, 374 passages in 9.0s; 0 skipped"),
])
def test_a_full_reindex_says_what_it_rebuilt(report, text):
    assert index_summary(report) == text
    assert report.summary() == text[:1].lower() + text[1:]  # the command line's line


def test_upload_summary_counts_in_proper_english():
    one = UploadReport([Upload("a.md", ADDED, saved_as="a.md", articles=1)])
    assert uploads_summary(one) == "1 file added, 0 already there, 0 rejected"
    assert plural(2, "file") == "2 files" and plural(1_200, "entry", "entries") == "1,200 entries"


def test_status_embed_without_an_index_still_shows_feedback():
    problem = "Nothing is indexed yet: an admin can run /reindex."
    embed = status_embed(None, FeedbackCounts(3, 1), problem=problem)
    assert embed.description.startswith("Nothing is indexed yet")
    assert [(f.name, f.value) for f in embed.fields] == [("Feedback", "👍 3 · 👎 1")]


@pytest.mark.parametrize("stage,done,total,text", [
    ("reading", 0, 0, "Reindexing: reading the corpus folder…"),
    ("embedding", 30, 120, "Reindexing: embedding passages 30/120 (25%)"),
    ("lexical index", 0, 9, "Reindexing: building the keyword index 0/9 (0%)"),
])
def test_progress_text(stage, done, total, text):
    assert progress_text(stage, done, total) == text


def test_error_line_fits_and_carries_the_id():
    line = with_error_id("Failed to open /srv/secret/config.yaml " * 200, "0badc0de")
    assert len(line) <= CONTENT and line.endswith("(error id `0badc0de`)") and "/srv" not in line


def test_choice_and_thread_names_fit():
    assert len(choice_name("T" * 300, "outlet", date(2024, 1, 1))) <= CHOICE
    assert choice_name("Tram", "gazette", date(2024, 3, 2)) == "Tram (gazette, 2 Mar 2024)"
    assert len(thread_name("why " * 100)) <= THREAD_NAME


def test_a_timeline_line_closes_the_quotation_its_sentence_leaves_open():
    quote = '"The last two games will be played with the stands half covered.'
    c = Citation(1, "a1", "Roof", "gazette", date(2024, 3, 14), "", quote, 0, len(quote))
    event = TimelineEvent(date(2024, 3, 14), quote, c, ("gazette",), ("a1",))
    assert event_line(event) == ('14 Mar 2024 — "The last two games will be played with the stands half '
                                 'covered." [1]')


def test_a_quote_two_overlapping_passages_hold_is_shown_once():
    text = ("The harbour reopened on Monday. The council debated the tram line at length. Nobody left early. "
            "The vote comes next week.")
    quote = "The council debated the tram line at length."
    at = text.index(quote)
    first = Chunk("a:h:0", "a", "h", 0, 0, at + len(quote), text[:at + len(quote)], "Tram", "gazette",
                  "https://g.example/a", date(2024, 3, 2))
    second = Chunk("a:h:1", "a", "h", 1, at, len(text), text[at:], "Tram", "gazette",
                   "https://g.example/a", date(2024, 3, 2))
    cited = Citation(1, "a", "Tram", "gazette", date(2024, 3, 2), "https://g.example/a", quote, at, at + len(quote))
    answer = Answer("Q?", f"{quote} [1]", False, (cited, cited), passages=(Passage(second, 1.0), Passage(first, 0.9)))
    for everything in (False, True):
        embed = passages_embed(answer, everything=everything)
        [field] = embed.fields  # one source, one paragraph: the two passages joined, nothing "not quoted"
        assert field.value.count(f"**{quote}**") == 1
        assert field.value.startswith("The harbour reopened on Monday. **The council") and "next week." in field.value
