"""`python -m rag` as a user runs it: exit codes, JSON output, one clear line on bad use."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from rag.cli import refusal_hint
from rag.core.types import Answer

from tests.conftest import ROOT

# Each test runs the CLI in subprocesses that load the model and read or build a real index.
pytestmark = [pytest.mark.integration, pytest.mark.slow]


def run(*args: str, data_dir, corpus=None, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, DATA_DIR=str(data_dir))
    if corpus:
        env["CORPUS_DIR"] = str(corpus)
    return subprocess.run([sys.executable, "-m", "rag", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def cli_index(tmp_path_factory):
    """The seed corpus indexed once through the CLI."""
    data = tmp_path_factory.mktemp("cli") / "data"
    result = run("index", "--corpus", str(ROOT / "corpus"), data_dir=data)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("indexed 1 article, 5 passages in ")  # a new index: what it built
    return data


def test_ask_json_has_the_documented_fields(cli_index):
    result = run("ask", "What happened at the Faladie gendarmerie school?", "--json", data_dir=cli_index)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["refused"] is False and out["citations"]
    assert set(out["citations"][0]) >= {"n", "article_id", "title", "source", "published", "url", "quote"}
    assert out["citations"][0]["article_id"] == "c832c291b0591559"


def test_ask_refuses_what_the_corpus_does_not_cover(cli_index):
    result = run("ask", "What is the recipe for sourdough bread?", data_dir=cli_index)
    assert result.returncode == 0
    assert "does not cover" in result.stdout
    # What to try, in the terminal's commands; dates only when some were given.
    assert 'Try `python -m rag timeline "SUBJECT"`' in result.stdout and "Discord" not in result.stdout
    assert "--since" not in result.stdout and "date range" not in result.stdout
    dated = run("ask", "What is the recipe for sourdough bread?", "--since", "2024-01-01", data_dir=cli_index)
    assert "or ask again with a wider --since and --until." in dated.stdout


def test_reindexing_an_unchanged_corpus_embeds_nothing(cli_index):
    result = run("index", "--corpus", str(ROOT / "corpus"), data_dir=cli_index)
    assert result.returncode == 0
    assert "0 passages embedded" in result.stdout and "1 unchanged" in result.stdout


def test_stats(cli_index):
    result = run("stats", data_dir=cli_index)
    assert result.returncode == 0
    assert "articles: 1" in result.stdout and "published: 17 Sep 2024 to 17 Sep 2024" in result.stdout


def test_chat_answers_until_an_empty_line(cli_index):
    result = run("chat", data_dir=cli_index, stdin="Who confirmed the withdrawal of US troops from Niger?\n\n")
    assert result.returncode == 0, result.stderr
    assert "[1]" in result.stdout and "Sources:" in result.stdout
    # Dates as every reply writes them (Discord too): "17 Sep 2024", never 2024-09-17.
    assert "(seed article (outlet unknown), 17 Sep 2024)" in result.stdout and "2024-09-17" not in result.stdout


def test_chat_takes_ask_as_the_bot_does_and_says_where_the_other_commands_are(cli_index):
    from rag.cli import CHAT_COMMANDS

    result = run("chat", data_dir=cli_index,
                 stdin="/summary topic Mali\n/ask Who confirmed the withdrawal of US troops from Niger?\n\n")
    assert result.returncode == 0, result.stderr
    # /summary is not asked (no refusal, no sources for it): the chat says the other commands are the bot's.
    assert result.stdout.count(CHAT_COMMANDS) == 1 and "does not cover" not in result.stdout
    assert "Pentagon" in result.stdout and "[1]" in result.stdout and result.stdout.count("Sources:") == 1


@pytest.mark.parametrize("args,message", [
    (("ask", ""), "question is empty"),
    (("ask", "word " * 400), "tokens long"),
])
def test_bad_questions_exit_non_zero_with_one_line(cli_index, args, message):
    result = run(*args, data_dir=cli_index)
    assert result.returncode == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_date_is_a_usage_error(cli_index):
    result = run("ask", "Anything?", "--as-of", "yesterday", data_dir=cli_index)
    assert result.returncode == 2
    assert "YYYY-MM-DD" in result.stderr


def test_asking_without_an_index_says_how_to_build_one(tmp_path):
    result = run("ask", "Anything?", data_dir=tmp_path / "empty")
    assert result.returncode == 1
    assert "python -m rag index" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_corpus_folder(tmp_path):
    result = run("index", "--corpus", str(tmp_path / "nope"), data_dir=tmp_path / "data")
    assert result.returncode == 1
    assert "does not exist" in result.stderr


def run_bytes(*args: bytes | str, data_dir, stdin: bytes | None = None,
              **env: str) -> subprocess.CompletedProcess:
    """``python -m rag`` with arguments and input that may not be valid UTF-8."""
    return subprocess.run([sys.executable, "-m", "rag", *args], cwd=ROOT, input=stdin,
                          env=dict(os.environ, DATA_DIR=str(data_dir), **env), capture_output=True, timeout=300)


def test_a_question_with_bytes_that_are_not_utf8_is_answered(cli_index):
    result = run_bytes("ask", b"What happened at the Faladi\xe9 gendarmerie school\xff?", data_dir=cli_index)
    assert result.returncode == 0, result.stderr.decode()
    assert b"Traceback" not in result.stderr and b"Sources:" in result.stdout


def test_chat_goes_on_after_a_line_that_is_not_utf8(cli_index):
    result = run_bytes("chat", data_dir=cli_index,
                       stdin=b"caf\xe9 \xed\xa0\x80 gendarmerie?\nWho confirmed the withdrawal of US troops from Niger?\n\n")
    assert result.returncode == 0, result.stderr.decode()
    assert b"Traceback" not in result.stderr
    assert result.stdout.count(b"\n? ") == 3  # three prompts: both questions were read
    assert b"[1]" in result.stdout


def test_a_time_window_before_year_one_is_no_error(cli_index):
    result = run("ask", "What happened this week at the gendarmerie school?", "--as-of", "0001-01-01",
                 data_dir=cli_index)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "does not cover" in result.stdout


@pytest.mark.parametrize("where", ["after", "before"])
def test_data_dir_is_accepted_before_or_after_the_subcommand(tmp_path, where):
    data = tmp_path / "elsewhere"
    args = ["index", "--corpus", str(ROOT / "corpus")]
    args = [*args, "--data-dir", str(data)] if where == "after" else ["--data-dir", str(data), *args]
    result = run(*args, data_dir=tmp_path / "from-env")
    assert result.returncode == 0, result.stderr
    assert (data / "manifest.json").exists() and not (tmp_path / "from-env").exists()
    stats = run("stats", "--data-dir", str(data), data_dir=tmp_path / "from-env")
    assert stats.returncode == 0 and "articles: 1" in stats.stdout


def test_an_unexpected_error_is_one_line_and_its_traceback_is_shown_with_verbose(tmp_path):
    data = tmp_path / "data"
    assert run("index", "--corpus", str(ROOT / "corpus"), data_dir=data).returncode == 0
    [fields] = data.glob("lexical/*/fields.json")
    fields.write_text("{broken", encoding="utf-8")  # a file damaged on disk
    result = run("ask", "What happened at the Faladie gendarmerie school?", data_dir=data)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: unexpected JSONDecodeError: ")
    assert result.stderr.strip().endswith("(run again with -v to see where)")
    verbose = run("ask", "What happened at the Faladie gendarmerie school?", "-v", data_dir=data)
    assert verbose.returncode == 1 and "Traceback" in verbose.stderr


@pytest.mark.parametrize("window,dates,chat,hint", [
    ("", False, False,
     'Try `python -m rag timeline "SUBJECT"` with the subject\'s name to see what the articles do say.'),
    ("this week: 12 Jan – 19 Jan 2023", False, False, "…, or ask without “this week”."),
    ("", False, True, "Ask it another way, or name the subject: its people, places or organisations."),
    ("", True, True, "…, or start the chat with a wider --since and --until."),
])
def test_a_refusal_hint_fits_the_terminal(window, dates, chat, hint):
    refused = Answer("Who?", "The corpus does not cover this.", True, window=window)
    shown = refusal_hint(refused, dates, chat=chat)
    assert shown == hint if not hint.startswith("…") else shown.endswith(hint[1:])
    assert "/summary" not in shown and "Discord" not in shown
