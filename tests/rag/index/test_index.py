"""Incremental reindexing, the manifest check and crash safety, on real Chroma and the real model."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from rag.index import manifest as manifest_io
from rag.core.errors import IndexMismatch, IndexMissing, RagError, ReindexBusy
from rag.index.indexer import reindex_lock
from rag.service import RagService
from rag.index.store import ChunkStore

from tests.conftest import ARTICLES, ROOT, write_article, write_corpus


def store_count(service: RagService) -> int:
    m = manifest_io.read(service.settings.data_dir)
    return ChunkStore(service.client, m.collection).count()


def test_first_index_adds_every_article(service, corpus):
    report = service.reindex()
    assert len(report.added) == len(ARTICLES)
    assert report.updated == report.removed == []
    stats = service.stats()
    assert stats.articles == len(ARTICLES)
    assert stats.chunks == report.chunks_embedded == store_count(service)


def test_unchanged_corpus_embeds_nothing(indexed):
    report = indexed.reindex()
    assert report.chunks_embedded == 0
    assert report.unchanged == len(ARTICLES)
    assert report.added == report.updated == report.removed == []


def test_added_changed_and_removed_articles(indexed, corpus):
    write_article(corpus, "new.md", {"title": "Ferry strike ends", "published": "2024-03-20",
                                     "source": "riverton-gazette",
                                     "text": "The ferry workers' strike in Riverton ended after six days."})
    changed = dict(ARTICLES["drought.md"], text=ARTICLES["drought.md"]["text"] + "\nRain is forecast for May.")
    write_article(corpus, "drought.md", changed)
    (corpus / "football.md").unlink()

    report = indexed.reindex()

    assert len(report.added) == 1 and len(report.updated) == 1 and len(report.removed) == 1
    assert report.unchanged == len(ARTICLES) - 2
    stats = indexed.stats()
    assert stats.articles == len(ARTICLES)
    assert stats.chunks == store_count(indexed)  # old versions were cleaned up
    assert all(p.chunk.title != "Riverton Rovers win the cup final"
               for p in indexed.search("Rovers cup final winning goal", k=10))
    assert any("Rain is forecast" in p.chunk.text for p in indexed.search("rain forecast Valdoria", k=3))


def test_search_before_any_index_says_how_to_build_one(service):
    with pytest.raises(IndexMissing, match="python -m rag index"):
        service.ask("Anything?")


def test_manifest_mismatch_says_what_to_do(indexed, embeddings):
    other = RagService(indexed.settings.replace(chunk_tokens=120), embeddings=embeddings)
    with pytest.raises(IndexMismatch, match="chunk_tokens.*index --full"):
        other.ask("What did the council approve?")
    with pytest.raises(IndexMismatch):
        other.reindex()  # an incremental reindex would mix two chunkings


def test_full_reindex_rebuilds_with_new_settings(indexed, embeddings):
    other = RagService(indexed.settings.replace(chunk_tokens=120, chunk_overlap=20), embeddings=embeddings)
    report = other.reindex(full=True)
    assert report.chunks_embedded == other.stats().chunks == store_count(other)
    assert not other.ask("What will the new tram line cost?").refused
    names = [c if isinstance(c, str) else c.name for c in other.client.list_collections()]
    assert len(names) == 1  # the previous generation's collection is gone


def test_unreadable_manifest_is_reported(indexed):
    manifest_io.path_in(indexed.settings.data_dir).write_text("{not json", encoding="utf-8")
    fresh = RagService(indexed.settings, embeddings=indexed.embeddings)
    with pytest.raises(IndexMismatch, match="index --full"):
        fresh.stats()


def test_empty_corpus_never_wipes_an_index(indexed, corpus):
    for f in corpus.iterdir():
        f.unlink()
    with pytest.raises(RagError, match="keeps its"):
        indexed.reindex()
    assert indexed.stats().articles == len(ARTICLES)


def test_one_reindex_at_a_time(indexed):
    with reindex_lock(indexed.settings.data_dir):
        with pytest.raises(ReindexBusy):
            indexed.reindex()


def test_bad_files_are_reported_and_the_rest_indexes(service, corpus):
    (corpus / "broken.jsonl").write_text('{"text": "A good line about the harbour."}\n{oops\n', encoding="utf-8")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    report = service.reindex()
    reasons = {s.origin: s.reason for s in report.skipped}
    assert "broken.jsonl:2" in reasons and "binary.txt" in reasons
    assert len(report.added) == len(ARTICLES) + 1


def test_killed_reindex_leaves_the_previous_index_answering(indexed, corpus, tmp_path):
    before = indexed.ask("What will the new tram line cost?")
    generation = manifest_io.read(indexed.settings.data_dir).generation
    for i in range(40):
        write_article(corpus, f"extra-{i}.md", {
            "title": f"Harbour report {i}", "published": "2024-04-01", "source": "harbour-news",
            "text": " ".join(f"Ship {i}-{j} docked at pier {j} carrying {j * 7} containers of grain."
                             for j in range(30)),
        })
    env = dict(os.environ, EMBEDDING_BATCH_SIZE="2", CORPUS_DIR=str(corpus),
               DATA_DIR=str(indexed.settings.data_dir))
    proc = subprocess.Popen([sys.executable, "-m", "rag", "index"], cwd=ROOT, env=env,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    killed = False
    for line in proc.stderr:  # progress lines, one per 10%
        if line.startswith("embedding:") and " (0%)" not in line:
            proc.send_signal(signal.SIGKILL)
            killed = True
            break
        assert time.monotonic() < deadline
    proc.wait()
    assert killed, "the reindex finished before it could be killed"

    current = manifest_io.read(indexed.settings.data_dir)
    assert current.generation == generation
    assert store_count(indexed) > current.chunk_count  # the killed run did write chunks
    after = RagService(indexed.settings, embeddings=indexed.embeddings).ask("What will the new tram line cost?")
    assert after.text == before.text and after.citations == before.citations
    assert all(p.chunk.source != "harbour-news" for p in indexed.search("ship docked pier grain", k=10))

    report = indexed.reindex()  # the next run cleans up and completes
    assert len(report.added) == 40
    assert indexed.stats().chunks == store_count(indexed)


def test_file_names_that_are_not_utf8_are_indexed_and_committed(service, corpus):
    folder = os.fsencode(corpus)
    with open(folder + b"/latin\xe9-lighthouse.md", "wb") as fh:
        fh.write(b"Lighthouse keeper retires\nThe keeper of the Port Aldine lighthouse, Oskar Velde, "
                 b"retired on Friday after 38 years of service at the lamp.\n")
    with open(folder + b"/scan\xff.pdf", "wb") as fh:
        fh.write(b"%PDF-1.4")
    report = service.reindex()
    assert len(report.added) == len(ARTICLES) + 1
    assert [(s.origin, s.reason) for s in report.skipped] == [("scan\\xff.pdf", "unsupported file type .pdf")]
    manifest = manifest_io.read(service.settings.data_dir)
    assert "latin\\xe9-lighthouse.md" in {e.origin for e in manifest.articles.values()}
    answer = service.ask("How many years did the lighthouse keeper Oskar Velde serve?")
    assert not answer.refused and "38 years" in answer.text


def test_a_kill_between_the_commit_and_the_clean_up_is_cleaned_by_the_next_reindex(indexed, corpus, monkeypatch):
    from rag.index.indexer import Indexer

    def killed(*args, **kwargs):  # the process dies right after writing the manifest
        raise KeyboardInterrupt

    write_article(corpus, "tram.md", {**ARTICLES["tram.md"], "text": ARTICLES["tram.md"]["text"] + " Updated."})
    (corpus / "drought.md").unlink()
    with monkeypatch.context() as m:
        m.setattr(Indexer, "_clean_after_commit", killed)
        with pytest.raises(KeyboardInterrupt):
            indexed.reindex()
    committed = manifest_io.read(indexed.settings.data_dir)
    assert store_count(indexed) > committed.chunk_count  # the superseded chunks are still there

    report = indexed.reindex()  # nothing changed since the commit

    assert report.chunks_embedded == 0
    assert store_count(indexed) == manifest_io.read(indexed.settings.data_dir).chunk_count
    assert not indexed.ask("What will the new tram line cost?").refused


def test_questions_are_answered_while_another_rebuilds_a_missing_lexical_index(indexed, corpus, monkeypatch):
    import threading

    from rag.search import live as live_module

    before = indexed.ask("What will the new tram line cost?")
    # Another process (the indexer) commits a new generation; its lexical index is missing here,
    # as when it was written on another machine.
    write_article(corpus, "ferry.md", {"title": "Ferry strike ends", "published": "2024-03-21",
                                       "source": "riverton-gazette",
                                       "text": "The ferry workers' strike in Riverton ended after six days."})
    RagService(indexed.settings, embeddings=indexed.embeddings).reindex()
    manifest = manifest_io.read(indexed.settings.data_dir)
    (indexed.settings.data_dir / manifest.lexical / "fields.json").unlink()

    building, release = threading.Event(), threading.Event()
    real_build = live_module.build_lexical

    def slow_build(*args, **kwargs):
        building.set()
        assert release.wait(60)
        return real_build(*args, **kwargs)

    monkeypatch.setattr(live_module, "build_lexical", slow_build)
    answers: dict[str, object] = {}
    loader = threading.Thread(target=lambda: answers.setdefault("loader", indexed.ask(
        "How long did the ferry strike last?")))
    loader.start()
    try:
        assert building.wait(60)
        other = threading.Thread(target=lambda: answers.setdefault("other", indexed.ask(
            "What will the new tram line cost?")))
        other.start()
        other.join(30)
        assert not other.is_alive(), "a question waited for the rebuild of the lexical index"
        assert answers["other"].text == before.text  # answered from the generation being replaced
    finally:
        release.set()
        loader.join(60)
    assert "six days" in answers["loader"].text
    assert "six days" in indexed.ask("How long did the ferry strike last?").text


def test_summaries_and_timelines_are_as_of_today_unless_told_otherwise(indexed, corpus):
    from datetime import date

    from rag.core.types import Filters

    write_article(corpus, "tram-future.md", {
        "title": "Riverton tram line opens to passengers", "published": "2999-05-02",
        "source": "riverton-gazette", "url": "https://gazette.example/tram-opens",
        "text": "The new Riverton tram line linking the harbour district to the university campus opened to "
                "passengers on Saturday, the council's transport committee said."})
    indexed.reindex()
    future = {"Riverton tram line opens to passengers"}

    timeline = indexed.timeline("Riverton tram line")
    assert timeline.citations and not future & {c.title for c in timeline.citations}
    summary = indexed.summarize_topic("Riverton tram line")
    assert not summary.refused and not future & {c.title for c in summary.citations}
    later = Filters(as_of=date(2999, 12, 31))  # asked as of a later date, the article is there
    assert future & {c.title for c in indexed.timeline("Riverton tram line", later).citations}


def test_a_full_reindex_reports_what_it_rebuilt_and_its_progress_moves_from_the_start(indexed):
    settings = indexed.settings.replace(embedding_batch_size=2)  # write batches of 8 passages
    service = RagService(settings, embeddings=indexed.embeddings)
    seen: list[tuple[str, int, int]] = []
    report = service.reindex(full=True, progress=lambda stage, done, total: seen.append((stage, done, total)))

    articles, passages = len(ARTICLES), report.chunks_embedded
    assert report.full and report.summary().startswith(f"rebuilt {articles} articles, {passages} passages in ")
    stages = list(dict.fromkeys(stage for stage, _, _ in seen))
    assert stages == ["reading", "chunking", "embedding", "lexical index", "duplicates", "committed", "settling"]
    files = [(done, total) for stage, done, total in seen if stage == "reading" and total]
    assert files[0] == (0, len(ARTICLES)) and files[-1] == (len(ARTICLES), len(ARTICLES))  # file by file
    assert [done for stage, done, _ in seen if stage == "chunking"] == list(range(articles + 1))
    # Embedding moves a model batch (2) at a time, not a write batch (8) at a time.
    embedded = [done for stage, done, _ in seen if stage == "embedding"]
    assert embedded[0] == 0 and embedded[-1] == passages > 2
    assert all(0 < b - a <= 2 for a, b in zip(embedded, embedded[1:]))
