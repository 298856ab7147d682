"""The recorded session of tests/cogs/transcript.py over the session corpus (the seed article and a week of
articles written for the tests): what members and admins saw, asserted on its payloads."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT
from tests.cogs.session_corpus import SCRIPT, STRIKE_ENDS
from tests.cogs.transcript import Step, record, render

# The recorded session runs the bot on the real core over a real index, and `python -m rag index` beside it.
pytestmark = pytest.mark.integration

HINT_ERRORS = {"OnCooldown", "BadOption", "QuestionError", "NotFound", "NotAdmin"}
# What the sessions issue 27 reports showed, none of which may appear again.
BAD_TEXTS = ("What did the council decide about the tram?", "battery factory since:", "the ferry strike",
             "and when will it open?", "/summary topic in Discord", "Try another date range", "in that date range",
             "0 added, 0 updated, 0 removed")
MARKS = re.compile("[\"“”«»]")


@pytest.fixture(scope="module")
async def steps(tmp_path_factory, embeddings) -> list[Step]:
    return await record(tmp_path_factory.mktemp("transcript"), embeddings)


def find(steps: list[Step], actor: str, action: str, nth: int = 0) -> Step:
    return [s for s in steps if s.actor == actor and action in s.action][nth]


def text_of(step: Step) -> str:
    """Everything the step showed, as one string."""
    parts = []
    for shown in step.shown:
        parts.append(shown.content)
        for e in shown.embeds:
            parts += [e.get("title", ""), e.get("description", ""), (e.get("footer") or {}).get("text", "")]
            parts += [f"{f['name']}\n{f['value']}" for f in e.get("fields", [])]
    return "\n".join(parts)


def description(step: Step) -> str:
    return step.shown[0].embeds[0]["description"]


def test_the_session_covers_every_command_and_the_bot_reported_only_hints(steps):
    actions = " ".join(s.action for s in steps)
    for command in ("/help", "/ask", "/sources", "/summary article", "/summary topic", "/timeline", "/status",
                    "/reindex", "/feeds list", "Passages", "Helpful", "The bot restarts", "python -m rag index"):
        assert command in actions, command
    assert {e for s in steps for e in s.errors} <= HINT_ERRORS  # no real failure anywhere
    assert all("error id" not in text_of(s) and "This request failed" not in text_of(s) for s in steps)


def test_none_of_the_texts_issue_27_reported_appears(steps):
    shown = render(steps)
    assert [t for t in BAD_TEXTS if t in shown] == []


def test_help_by_command_and_by_mention_with_examples_from_the_corpus(steps):
    command, mention = find(steps, "alice", "`/help`"), find(steps, "alice", "@TestBot help")
    assert command.shown[0].ephemeral and not mention.shown[0].ephemeral
    for step in (command, mention):
        [embed] = step.shown[0].embeds
        fields = {f["name"]: f["value"] for f in embed["fields"]}
        assert {"Ask", "I can answer", "I cannot answer"} <= set(fields) and "For admins" not in fields
        # The name the newest week's titles share most, its biggest outlet, that week's first day.
        assert fields["Ask"].startswith("`/ask question: What happened with Storm Elin?`")
        assert "`source: valdoria-times`, `since: 2024-09-11` and `until: 2024-09-17`" in fields["Ask"]
        assert "`/timeline topic: Storm Elin`" in fields["Summaries and timelines"]


def test_an_answer_quotes_a_quotation_whole_and_links_each_source_by_its_title(steps):
    step = find(steps, "alice", f"/ask question: {SCRIPT['question']}")
    [shown] = step.shown
    [embed] = shown.embeds
    assert not shown.ephemeral and embed["description"].startswith("*Newest source: 4 days ago (13 Sep 2024)*")
    assert ('"We are on schedule. The steel is in place and the panels arrive next month," project manager Ines '
            'Varga told reporters at the site. [1]') in embed["description"]
    for part in re.split(r"\[\d+\]", embed["description"].split("\n", 1)[1]):
        assert len(MARKS.findall(part)) % 2 == 0, part  # no quotation mark left open
    assert embed["fields"][0]["value"].startswith(
        "[1] [Kessel stadium roof to be finished by spring, builder says](https://gazette.example/kessel-roof) · "
        "riverton-gazette · 13 Sep 2024")
    assert shown.buttons == ["📄 Passages", "👍 Helpful", "👎 Not helpful"]


def test_passages_and_sources_show_each_quote_once(steps):
    for step in (find(steps, "bob", "clicks **Passages**"), find(steps, "alice", "`/sources`"),
                 find(steps, "bob", "`/sources`")):
        assert step.shown[0].ephemeral
        quoted = [f["value"] for f in step.shown[0].embeds[0]["fields"] if not f["name"].startswith("(not quoted)")]
        bold = [b for value in quoted for b in re.findall(r"\*\*([^*]+)\*\*", value)]
        assert bold and len(bold) == len(set(bold)), bold


@pytest.mark.parametrize("actor,action,line", [
    ("alice", SCRIPT["quick_question"], r"Slow down: you can ask again <t:\d+:R>\."),
    ("bob", "since: last week", r"Dates are typed as `YYYY-MM-DD`, e\.g\. `2024-09-17`; 'last week' is not one\."),
    ("bob", "/ask question:    ",
     r"The question is empty: type a few words, e\.g\. “What happened with Storm Elin\?”\."),
    ("bob", "/timeline topic:    ", r"The topic is empty: type a few words, e\.g\. “Storm Elin”\."),
    ("bob", "article: A title nobody wrote", r"No indexed article has that title; pick one .*"),
])
def test_mistakes_get_one_private_hint_with_examples_from_the_corpus(steps, actor, action, line):
    step = find(steps, actor, action)
    [shown] = step.shown  # nothing public first
    assert shown.ephemeral and re.fullmatch(line, shown.content) and not shown.embeds
    assert len(step.errors) == 1 and step.errors[0] in HINT_ERRORS


def test_refusals_are_true_and_name_discords_commands_and_no_dates_nobody_gave(steps):
    uncovered = find(steps, "bob", f"`/timeline topic: {SCRIPT['uncovered_topic']}`")
    assert description(uncovered) == "The corpus does not cover this topic."
    refused = description(find(steps, "alice", SCRIPT["refused_question"]))
    assert refused.startswith("The corpus does not cover this: the nearest articles are ")
    assert refused.endswith("\nTry `/timeline topic:` or `/summary topic:` with the subject's name to see what the "
                            "articles do say.")
    # The nearest article names the country: it is named, cited, instead of "does not cover".
    named = find(steps, "alice", SCRIPT["naming_question"])
    assert description(named).startswith("The articles found do not answer this for certain (none of them mentions "
                                         "West African); the nearest names Bamako")
    [embed] = named.shown[0].embeds
    assert embed["fields"][0]["value"].startswith("[1] Militants attack gendarmerie school in Mali's capital, Bamako")


def test_what_happened_this_week_lists_the_biggest_stories(steps):
    week = description(find(steps, "alice", "What happened this week?"))
    lines = week.split("\n")
    assert lines[1] == ("The biggest stories of this week (10 Sep – 17 Sep 2024), by how many outlets and articles "
                        "carried them:")
    assert "Storm Elin" in lines[2]
    assert lines[2].endswith("[1] (3 outlets: wire-news, riverton-gazette, valdoria-times)")
    assert "bus drivers" in lines[3] and lines[3].endswith("[2] (2 articles)")


def test_a_thread_its_one_hint_a_private_cooldown_and_a_restart(steps):
    asked = find(steps, "bob", f"@TestBot {SCRIPT['mention']}")
    [answer] = asked.shown
    assert asked.typing and answer.where == f"thread “{SCRIPT['mention']}”"  # titled by the user's words
    hint = find(steps, "bob", "“thanks!”")
    assert hint.shown[0].content.startswith("To ask me a follow-up in this thread, mention me with it, e.g. "
                                            "“@TestBot what happened next?”")
    # bob's follow-up within his cooldown: told to him alone, by direct message, with a clock time.
    [cooldown] = find(steps, "bob", f"@TestBot {SCRIPT['followups'][0]}").shown
    assert cooldown.where == "a direct message to bob"
    assert re.fullmatch(r"About your message in <#\d+>: Slow down: you can ask again at <t:\d+:T>\.",
                        cooldown.content)
    first = find(steps, "alice", f"@TestBot {SCRIPT['followups'][0]}")
    # Not probable enough for the answer judge to claim: the sentence that gives it leads, not a list of names.
    assert "40 million euros" in first.shown[0].embeds[0]["description"].split("\n")[1].split(". [1]")[0]
    restart = steps.index(find(steps, "—", "The bot restarts"))
    again = find(steps, "bob", "“thanks again!”")
    assert steps.index(again) > restart and not again.shown  # the hint is remembered with the thread
    second = find(steps, "alice", f"@TestBot {SCRIPT['followups'][1]}")
    assert steps.index(second) > restart and "Lena Hart" in second.shown[0].embeds[0]["description"]


def test_buttons_and_sources_still_work_after_the_restart(steps):
    restart = steps.index(find(steps, "—", "The bot restarts"))
    after = find(steps, "bob", "clicks **Passages**", nth=1)
    assert steps.index(after) > restart
    assert after.shown[0].embeds == find(steps, "bob", "clicks **Passages**").shown[0].embeds
    assert find(steps, "bob", "`/sources`").shown[0].embeds[0]["title"].startswith("Everything retrieved for: ")


def test_a_member_cannot_run_the_admin_commands(steps):
    hidden, refused = find(steps, "bob", "`/reindex`"), find(steps, "bob", "`/reindex`", nth=1)
    assert "not visible to this user" in hidden.note and not hidden.shown
    assert refused.shown[0].content == "Only server managers and the bot's configured admins can do that."
    assert refused.errors == ["NotAdmin"]


def test_a_full_reindex_says_what_it_rebuilt(steps):
    full = find(steps, "manager", "`/reindex full: True`")
    [embed] = full.shown[0].embeds
    assert embed["title"] == "Full reindex finished"
    assert re.fullmatch(r"Rebuilt 9 articles, \d+ passages in \d+\.\ds; 0 skipped", embed["description"])
    assert full.note.startswith("While it ran, the reply read: “Reindexing: ")


def test_the_bot_answers_from_a_reindex_another_process_made(steps):
    terminal = find(steps, "admin", "runs `python -m rag index` in a terminal")
    assert terminal.note.startswith("The terminal prints: 1 added, 0 updated, 0 removed, 9 unchanged, 0 skipped; ")
    answer = find(steps, "alice", SCRIPT["new_question"]).shown[0].embeds[0]
    assert "pay rise of 6 percent" in answer["description"]
    assert answer["fields"][0]["value"].startswith(f"[1] [{STRIKE_ENDS['title']}]")


def test_status_shows_internals_to_admins_and_explains_the_hidden_admin_commands(steps):
    def fields(step: Step) -> dict[str, str]:
        return {f["name"]: f["value"] for f in step.shown[0].embeds[0]["fields"]}

    member, admin, manager = (fields(find(steps, who, "`/status`")) for who in ("bob", "admin", "manager"))
    assert "Embedding model" not in member and "Embedding model" in admin and "Embedding model" in manager
    assert "Discord hides /reindex, /ingest, /feeds from you" in admin["⚠ Admin commands hidden"]
    assert "Members of the admin role News admins cannot see" in manager["⚠ Admin commands hidden"]
    assert "⚠ Admin commands hidden" not in fields(find(steps, "admin", "`/status`", nth=1))  # once allowed


def test_dates_have_one_style_in_everything_the_bot_wrote(steps):
    for step in steps:
        shown = re.sub(r"`[^`]*`", "", text_of(step))  # code spans hold what users type (dates as YYYY-MM-DD)
        shown = re.sub(r"\]\([^)]*\)", "]", shown)  # and links their addresses
        assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", shown), (step.action, shown)


def test_the_committed_transcript_is_this_session(steps):
    committed = (ROOT / "docs" / "transcript.md").read_text(encoding="utf-8")
    headings = [line for line in render(steps).splitlines() if line.startswith("## ")]
    assert [line for line in committed.splitlines() if line.startswith("## ")] == headings
