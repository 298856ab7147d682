"""The store is the only module that talks to Chroma: Chroma's own errors are translated there."""

from __future__ import annotations

import chromadb.errors
import pytest

from rag.core.errors import StoreInconsistent
from rag.index.store import ChunkStore


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
