"""The Chroma store (rag.index.store): dates as day numbers, filters as Chroma ``where`` clauses,
chunks to metadata and back, and a ChunkStore on real Chroma on disk with vectors written by hand
(no embedding model), so what it finds is known exactly."""

from __future__ import annotations

import socket
from datetime import date

import chromadb.errors
import numpy as np
import pytest

from rag.core.errors import StoreInconsistent
from rag.core.settings import Settings
from rag.core.types import UNDATED, Chunk, Filters, day_number
from rag.index.store import (SETTLING, ChunkStore, StoreUnavailable, chunk_from, chunk_metadata, collection_names,
                             open_client, settle, unsettle,
                             where_clause)

MARCH_2 = date(2024, 3, 2).toordinal()


def chunk(n: int, source: str = "riverton-gazette", published: date | None = date(2024, 3, 2),
          text: str = "The council approved the tram line. It opens in 2027.") -> Chunk:
    return Chunk(f"a{n}:h{n}:0", f"a{n}", f"h{n}", 0, 0, len(text), text, f"Article {n}", source,
                 f"https://gazette.example/{n}", published, sentences=((0, 35, "s"), (36, len(text), "s")))


@pytest.fixture
def client(tmp_path):
    return open_client(Settings.from_env({"DATA_DIR": str(tmp_path / "data")}))


@pytest.fixture
def store(client) -> ChunkStore:
    """Four chunks: a1 and a2 from the gazette (2 and 9 March), a3 from the wire (5 March), a4 undated."""
    s = ChunkStore(client, "news-g1")
    s.add([chunk(1), chunk(2, published=date(2024, 3, 9)), chunk(3, "wire-news", date(2024, 3, 5)),
           chunk(4, published=None)],
          [[1.0, 0.0, 0.0], [0.8, 0.6, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], generation=1)
    return s


# --------------------------------------------------------------------------- days, filters, metadata


@pytest.mark.parametrize("day,number", [(date(2024, 3, 2), MARCH_2), (date(1, 1, 1), 1), (None, UNDATED)])
def test_a_date_is_its_day_number_and_no_date_is_undated(day, number):
    assert day_number(day) == number


@pytest.mark.parametrize("filters,generation,clause", [
    (Filters(), None, None),
    (Filters(), 3, {"gen": {"$lte": 3}}),
    (Filters(sources=("wire-news",)), None, {"source": {"$in": ["wire-news"]}}),
    (Filters(since=date(2024, 3, 2)), None, {"day": {"$gte": MARCH_2}}),
    (Filters(until=date(2024, 3, 9), as_of=date(2024, 3, 2)), None, {"day": {"$lte": MARCH_2}}),  # the earlier bound
    (Filters(sources=("a", "b"), since=date(2024, 3, 2)), 2,
     {"$and": [{"gen": {"$lte": 2}}, {"source": {"$in": ["a", "b"]}}, {"day": {"$gte": MARCH_2}}]}),
])
def test_filters_become_a_where_clause(filters, generation, clause):
    assert where_clause(filters, generation) == clause


@pytest.mark.parametrize("published", [date(2024, 3, 2), None])
def test_a_chunk_comes_back_from_its_metadata_as_it_went_in(published):
    original = chunk(1, published=published)
    meta = chunk_metadata(original, generation=4)
    assert meta["gen"] == 4 and meta["day"] == day_number(published)
    back = chunk_from(original.id, original.text, meta)
    assert back == original and back.sentences == original.sentences


# --------------------------------------------------------------------------- a ChunkStore on disk


def test_nearest_chunks_come_best_first_with_their_cosine_similarity(store):
    query = np.array([0.9, 0.1, 0.0])
    hits = store.nearest(query, 3)
    assert [h.chunk_id for h in hits] == ["a1:h1:0", "a2:h2:0", "a3:h3:0"]
    cosines = [query @ v / np.linalg.norm(query) for v in ([1.0, 0.0, 0.0], [0.8, 0.6, 0.0], [0.0, 1.0, 0.0])]
    assert [h.similarity for h in hits] == pytest.approx(cosines, abs=1e-4)


@pytest.mark.parametrize("filters,among,found", [
    (Filters(sources=("wire-news",)), None, ["a3:h3:0"]),
    (Filters(since=date(2024, 3, 5)), None, ["a2:h2:0", "a3:h3:0"]),  # an undated chunk has no day since
    (Filters(as_of=date(2024, 3, 4)), None, ["a1:h1:0", "a4:h4:0"]),  # ... and is kept before one
    (Filters(), ["a3:h3:0", "a4:h4:0"], ["a3:h3:0", "a4:h4:0"]),
    (Filters(), [], []),
])
def test_nearest_keeps_to_the_filters_and_the_chunks_it_is_given(store, filters, among, found):
    hits = store.nearest([1.0, 0.0, 0.0], 4, filters, among=among)
    assert sorted(h.chunk_id for h in hits) == found


def test_readers_see_only_committed_generations_until_the_uncommitted_are_deleted(store):
    store.add([chunk(5)], [[1.0, 0.0, 0.0]], generation=2)  # a reindex that was never committed
    assert "a5:h5:0" not in [h.chunk_id for h in store.nearest([1.0, 0.0, 0.0], 5, generation=1)]
    assert "a5:h5:0" in [h.chunk_id for h in store.nearest([1.0, 0.0, 0.0], 5)]
    assert store.delete_uncommitted(1) == 1
    assert store.count() == 4 and store.get(["a5:h5:0"]) == {}


def test_chunks_are_fetched_by_id_with_their_vectors_and_missing_ids_are_left_out(store):
    got = store.get(["a1:h1:0", "nowhere"])
    assert list(got) == ["a1:h1:0"] and got["a1:h1:0"] == chunk(1)
    [(found, vector)] = store.get_with_vectors(["a2:h2:0"]).values()
    assert found.published == date(2024, 3, 9) and vector.tolist() == pytest.approx([0.8, 0.6, 0.0])
    assert store.get([]) == {} and store.get_with_vectors([]) == {}


def test_pages_go_through_every_chunk_once(store):
    pages = list(store.pages(size=3))
    assert [len(p) for p in pages] == [3, 1]
    assert sorted(c.id for c in store.scan(page=2)) == sorted(c.id for p in pages for c in p) == [
        "a1:h1:0", "a2:h2:0", "a3:h3:0", "a4:h4:0"]


def test_deleted_chunks_are_gone(store):
    store.delete(["a1:h1:0", "a3:h3:0"])
    assert store.count() == 2 and store.get(["a1:h1:0", "a3:h3:0"]) == {}


def test_the_index_s_collections_are_told_from_others_by_their_prefix(client, store):
    for name in ("news", "news-g2", "newsroom", "other-g1"):
        ChunkStore(client, name)
    assert sorted(collection_names(client, "news")) == ["news", "news-g1", "news-g2"]


def test_a_chroma_server_that_is_not_there_is_unavailable_in_one_line(tmp_path):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = Settings.from_env({"DATA_DIR": str(tmp_path), "CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(port)})
    with pytest.raises(StoreUnavailable, match=r"^the index store is unreachable: start the Chroma server, or "
                                               r"check CHROMA_HOST and CHROMA_PORT$"):
        ChunkStore(open_client(settings), "news-g1")


# Chroma's own errors are translated here, the only module that talks to Chroma.


class FailingCollection:
    name = "news"

    def query(self, **kwargs):
        raise chromadb.errors.InternalError("Error finding id")


class Client:
    def get_or_create_collection(self, name, **kwargs):
        return FailingCollection()

    def get_max_batch_size(self) -> int:
        return 100


def test_a_failed_search_is_the_projects_own_error():
    with pytest.raises(StoreInconsistent, match="Error finding id") as failed:
        ChunkStore(Client(), "news").nearest([0.1, 0.2], 5)
    assert isinstance(failed.value.__cause__, chromadb.errors.InternalError)


# --------------------------------------------------------------------------- one search graph for every process


def _unsaved(data_dir) -> int:
    """Records Chroma's saved search graph does not hold yet: a process opening the collection adds them
    to the graph again, on several threads (read from Chroma's own bookkeeping, the only place it shows)."""
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(data_dir / "chroma" / "chroma.sqlite3")) as db:
        saved = db.execute("SELECT m.seq_id FROM max_seq_id m JOIN segments s ON s.id = m.segment_id "
                           "WHERE s.scope = 'VECTOR'").fetchone()
        written = db.execute("SELECT MAX(seq_id) FROM embeddings_queue").fetchone()
    return written[0] - (saved[0] if saved else 0)


@pytest.mark.slow
def test_a_settled_collection_has_its_whole_graph_saved_and_keeps_its_records_and_thresholds(tmp_path):
    settings = Settings.from_env({"DATA_DIR": str(tmp_path / "data")})
    client = open_client(settings)
    s = ChunkStore(client, "news-g1")
    vectors = np.random.default_rng(3).normal(size=(1900, 16)).astype(np.float32)
    s.add([chunk(n) for n in range(1500)], vectors[:1500].tolist(), generation=1)  # saved after this write
    s.add([chunk(n) for n in range(1500, 1900)], vectors[1500:].tolist(), generation=1)  # not: under 1,000
    assert _unsaved(settings.data_dir) == 400
    settle(client, "news-g1")
    assert _unsaved(settings.data_dir) <= 1  # at most the removal of its own record, searched exactly
    assert s.count() == 1900 and not s.get(["~settle"])
    assert client.get_collection("news-g1").configuration_json["hnsw"]["sync_threshold"] == 1000
    hit = s.nearest(vectors[7], 1)[0]
    assert hit.chunk_id == chunk(7).id and hit.similarity == pytest.approx(1.0, abs=1e-5)


def test_a_settle_killed_with_the_thresholds_lowered_is_undone_and_an_empty_one_is_left_alone(client):
    s = ChunkStore(client, "news-g1")
    settle(client, "news-g1")  # empty: nothing to save
    client.get_collection("news-g1").modify(configuration={"hnsw": {"batch_size": SETTLING, "sync_threshold": SETTLING}})
    unsettle(client, "news-g1")
    assert client.get_collection("news-g1").configuration_json["hnsw"]["sync_threshold"] == 1000
    s.add([chunk(1)], [[1.0, 0.0, 0.0]], generation=1)
    assert [h.chunk_id for h in s.nearest([1.0, 0.0, 0.0], 1)] == ["a1:h1:0"]
