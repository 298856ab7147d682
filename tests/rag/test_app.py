"""The composition root: each long-lived part built once, on first use, from the settings."""

from __future__ import annotations

from rag.app import ANSWERS_DB, App
from rag.core.settings import Settings
from rag.core.types import Answer


def test_each_part_is_built_once_on_first_use_and_nothing_before(tmp_path):
    settings = Settings().replace(data_dir=tmp_path / "data", corpus_dir=tmp_path / "corpus", max_file_mb=3)
    app = App(settings)
    assert app.feeds is app.feeds and app.feeds.reindex == app.service.reindex  # feeds reindex through the service
    assert (app.uploads.corpus_dir, app.uploads.max_bytes) == (tmp_path / "corpus", 3 * 1024 * 1024)
    assert app.state_dir == tmp_path / "data" and app.answers is app.answers
    assert not (tmp_path / "data").exists()  # nothing is opened until it is used

    key = app.answers.remember(7, Answer(question="q", text="a", refused=False))
    assert app.answers.get(key).answer.text == "a"
    assert sorted(p.name for p in (tmp_path / "data").iterdir() if not p.name.startswith(".")) == [
        ANSWERS_DB, "feedback.sqlite3.salt"]  # the bot's state, side by side


def test_a_service_passed_in_is_used_as_it_is(tmp_path):
    settings = Settings().replace(data_dir=tmp_path / "data")
    service = object()
    assert App(settings, service).service is service
