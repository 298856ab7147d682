"""The index manifest (rag.index.manifest): what an index was built with and which article versions
are live, written atomically as the commit point of a reindex, in the data folder or (shared) also
in the Chroma store. Written and read here directly; tests/rag/index/test_index.py has the service's
reaction to a mismatch or an unreadable manifest."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from rag.core.errors import IndexMismatch, IndexMissing
from rag.core.settings import Settings
from rag.index import manifest as manifest_io
from rag.index.manifest import SCHEMA_VERSION, ArticleEntry, BuildSpec, Manifest, ManifestStore
from rag.index.store import open_client

SPEC = BuildSpec(schema=SCHEMA_VERSION, embedding="local:all-MiniLM-L6-v2+ct2-int8", dimension=384,
                 encoding="cl100k_base", chunk_tokens=200, chunk_overlap=40)
TRAM = ArticleEntry(hash="9d33f9fa0c1b2e3d", chunks=2, title="Riverton council approves new tram line",
                    source="riverton-gazette", published="2024-03-02", url="https://gazette.example/tram",
                    origin="tram.md")
CUP = ArticleEntry(hash="27e80e95aa", chunks=1, title="Riverton Rovers win the cup final", source="",
                   published="", url="", origin="news/football.md")
MANIFEST = Manifest(spec=SPEC, collection="news-g3", generation=3, articles={"tram": TRAM, "cup": CUP},
                    lexical="lexical/g3", last_reindex={"finished": "2024-03-21T09:00:00+0000"})


def test_the_same_spec_has_no_differences_and_another_names_each():
    assert SPEC.differences(SPEC) == []
    other = replace(SPEC, chunk_tokens=120, dimension=768)
    assert SPEC.differences(other) == ["dimension: index has 768, settings say 384",
                                       "chunk_tokens: index has 120, settings say 200"]


def test_chunks_are_counted_and_named_per_article_version():
    assert MANIFEST.chunk_count == 3
    assert MANIFEST.chunk_ids("tram") == ["tram:9d33f9fa:0", "tram:9d33f9fa:1"]
    assert MANIFEST.chunk_ids("cup") == ["cup:27e80e95:0"]


def test_a_manifest_comes_back_from_its_json_as_it_went_in():
    assert Manifest.from_json(json.loads(json.dumps(MANIFEST.to_json()))) == MANIFEST


def test_written_then_read_in_a_data_folder(tmp_path):
    data = tmp_path / "data"
    assert manifest_io.read(data) is None  # never committed there
    manifest_io.write(data, MANIFEST)
    assert manifest_io.read(data) == MANIFEST
    assert [p.name for p in data.iterdir()] == ["manifest.json"]  # no temporary file left behind


def test_a_new_manifest_replaces_the_old_one(tmp_path):
    manifest_io.write(tmp_path, MANIFEST)
    manifest_io.write(tmp_path, replace(MANIFEST, generation=4, articles={"cup": CUP}))
    assert manifest_io.read(tmp_path).generation == 4 and list(manifest_io.read(tmp_path).articles) == ["cup"]


@pytest.mark.parametrize("text,message", [
    ("{not json", r"the index manifest in .* is unreadable \(.*\): rebuild with `python -m rag index --full`"),
    ("[]", r"is unreadable \(.+\): rebuild with"),
    (json.dumps({"spec": {"schema": SCHEMA_VERSION}}), r"is unreadable \(.+\): rebuild with"),  # fields missing
    (json.dumps({"spec": {"schema": 1}}),
     rf"uses schema 1, this version reads {SCHEMA_VERSION}: rebuild it with `python -m rag index --full`"),
    (json.dumps({"collection": "news"}), rf"uses schema None, this version reads {SCHEMA_VERSION}"),
])
def test_a_manifest_that_cannot_be_used_says_to_rebuild(tmp_path, text, message):
    manifest_io.path_in(tmp_path).write_text(text, encoding="utf-8")
    with pytest.raises(IndexMismatch, match=message):
        manifest_io.read(tmp_path)


def test_the_check_against_the_settings_names_what_differs():
    manifest_io.check(MANIFEST, SPEC)  # the same settings: nothing to say
    with pytest.raises(IndexMismatch, match=r"^the index was built with other settings \(chunk_tokens: index has "
                                            r"200, settings say 120\): rebuild it with `python -m rag index --full`"):
        manifest_io.check(MANIFEST, replace(SPEC, chunk_tokens=120))


# --------------------------------------------------------------------------- ManifestStore


def test_without_an_index_the_store_says_how_to_build_one(tmp_path):
    store = ManifestStore(tmp_path / "data")
    assert not store.shared and store.where() == str(tmp_path / "data")
    assert store.read() is None and store.stamp() is None
    with pytest.raises(IndexMissing, match=r"^no index in .*data: build it with `python -m rag index`$"):
        store.require(SPEC)


def test_each_commit_changes_the_stamp_and_require_checks_the_spec(tmp_path):
    store = ManifestStore(tmp_path)
    store.write(MANIFEST)
    first = store.stamp()
    store.write(replace(MANIFEST, generation=4))
    assert first is not None and store.stamp() != first
    assert store.require(SPEC).generation == 4
    with pytest.raises(IndexMismatch, match="chunk_overlap"):
        store.require(replace(SPEC, chunk_overlap=20))


def test_a_shared_manifest_is_read_from_the_store_and_copied_to_the_data_folder(tmp_path):
    client = open_client(Settings.from_env({"DATA_DIR": str(tmp_path / "chroma-host")}))
    store = ManifestStore(tmp_path / "data", client, prefix="news")
    assert store.shared and store.where() == "the Chroma server (collection news-manifest)"
    assert store.read() is None and store.stamp() is None

    store.write(MANIFEST)

    assert store.stamp()[0] == MANIFEST.generation
    assert manifest_io.read(tmp_path / "data") == MANIFEST  # the local copy
    manifest_io.path_in(tmp_path / "data").unlink()
    assert store.read() == MANIFEST  # another machine, with an empty data folder, reads it from the store
