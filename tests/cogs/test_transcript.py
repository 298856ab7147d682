"""The recorded session of tests/cogs/transcript.py: what members and admins saw, asserted on its payloads."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT
from tests.cogs.world import TRAM_QUESTION
from tests.cogs.transcript import FOLLOWUPS, Step, record, render

# The recorded session runs the bot on the real core over a real index.
pytestmark = pytest.mark.integration

HINT_ERRORS = {"OnCooldown", "BadOption", "QuestionError", "NotFound", "NotAdmin"}


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


def test_the_session_covers_every_command_and_the_bot_reported_only_hints(steps):
    actions = " ".join(s.action for s in steps)
    for command in ("/help", "/ask", "/sources", "/summary article", "/summary topic", "/timeline", "/status",
                    "/reindex", "/feeds list", "Passages", "Helpful", "The bot restarts"):
        assert command in actions, command
    assert {e for s in steps for e in s.errors} <= HINT_ERRORS  # no real failure anywhere
    assert all("error id" not in text_of(s) and "This request failed" not in text_of(s) for s in steps)


def test_help_by_command_and_by_mention(steps):
    command, mention = find(steps, "alice", "`/help`"), find(steps, "alice", "@TestBot help")
    assert command.shown[0].ephemeral and not mention.shown[0].ephemeral
    for step in (command, mention):
        [embed] = step.shown[0].embeds
        names = [f["name"] for f in embed["fields"]]
        assert {"Ask", "I can answer", "I cannot answer"} <= set(names) and "For admins" not in names


def test_an_answer_says_how_current_it_is_and_links_each_source_by_its_title(steps):
    step = find(steps, "alice", f"/ask question: {TRAM_QUESTION}")
    [shown] = step.shown
    [embed] = shown.embeds
    assert not shown.ephemeral and embed["description"].startswith("*Newest source: ")
    assert embed["fields"][0]["value"].startswith(
        "[1] [Riverton council approves new tram line](https://gazette.example/tram) · riverton-gazette")
    assert "[2]" not in embed["description"]  # one article, one number
    assert len(embed["footer"]["text"]) < 80 and shown.buttons == ["📄 Passages", "👍 Helpful", "👎 Not helpful"]


def test_passages_highlight_the_quotes_and_sources_show_more(steps):
    passages, sources = find(steps, "bob", "clicks **Passages**"), find(steps, "alice", "`/sources`")
    assert passages.shown[0].ephemeral and sources.shown[0].ephemeral
    quoted = passages.shown[0].embeds[0]["fields"]
    assert len(quoted) == 1 and re.search(r"\*\*[^*]+310 million euros[^*]+\*\*", quoted[0]["value"])
    names = [f["name"] for f in sources.shown[0].embeds[0]["fields"]]
    assert names[0] == quoted[0]["name"] and any(n.startswith("(not quoted)") for n in names[1:])


@pytest.mark.parametrize("actor,action,line", [
    ("alice", "When does the tram line open?", r"Slow down: you can ask again <t:\d+:R>\."),
    ("bob", "since: last week", r"Dates look like 2024-03-01; 'last week' is not one\."),
    ("bob", "/ask question:    ", r"The question is empty: .*"),
    ("bob", "article: Ferry strike in the harbour", r"No indexed article has that title; pick one .*"),
])
def test_mistakes_get_one_private_hint(steps, actor, action, line):
    step = find(steps, actor, action)
    [shown] = step.shown  # nothing public first
    assert shown.ephemeral and re.fullmatch(line, shown.content) and not shown.embeds
    assert len(step.errors) == 1 and step.errors[0] in HINT_ERRORS


def test_a_thread_with_two_follow_ups_around_a_restart(steps):
    asked = find(steps, "bob", f"@TestBot {TRAM_QUESTION}")
    [answer] = asked.shown
    assert asked.typing and answer.where == f"thread “{TRAM_QUESTION}”"  # titled by the user's words
    first, second = (find(steps, "alice", f"@TestBot {q}") for q in FOLLOWUPS)
    assert steps.index(first) < steps.index(find(steps, "—", "The bot restarts")) < steps.index(second)
    for step, question in ((first, FOLLOWUPS[0]), (second, FOLLOWUPS[1])):
        [embed] = step.shown[0].embeds
        assert step.typing and embed["title"] == question
        understood = re.match(r"Understood as “(.+)” · ", embed["footer"]["text"])
        assert understood and understood[1] != question and understood[1].endswith(f": {question}")
    assert "2027" in first.shown[0].embeds[0]["description"]
    assert "Mayor Elena Sorrel" in second.shown[0].embeds[0]["description"]  # context read back after the restart
    hint = find(steps, "bob", "“thanks!”")
    assert hint.shown[0].content.startswith("To ask me a follow-up in this thread, mention me")


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
    assert find(steps, "manager", "`/reindex`").shown[0].embeds[0]["title"] == "Reindex finished"


def test_status_shows_internals_to_admins_and_explains_the_hidden_admin_commands(steps):
    def fields(step: Step) -> dict[str, str]:
        return {f["name"]: f["value"] for f in step.shown[0].embeds[0]["fields"]}

    member, admin, manager = (fields(find(steps, who, "`/status`")) for who in ("bob", "admin", "manager"))
    assert "Embedding model" not in member and "Embedding model" in admin and "Embedding model" in manager
    assert "Discord hides /reindex, /ingest, /feeds from you" in admin["⚠ Admin commands hidden"]
    assert "Members of the admin role News admins cannot see" in manager["⚠ Admin commands hidden"]
    assert "⚠ Admin commands hidden" not in fields(find(steps, "admin", "`/status`", nth=1))  # once allowed


def test_the_committed_transcript_is_this_session(steps):
    committed = (ROOT / "docs" / "transcript.md").read_text(encoding="utf-8")
    headings = [line for line in render(steps).splitlines() if line.startswith("## ")]
    assert [line for line in committed.splitlines() if line.startswith("## ")] == headings
