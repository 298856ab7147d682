"""The bot's fixtures: a world on the fake service for the cogs' formatting and flow, and one on
the real core (a real index of the bot corpus, built once per module) for the end-to-end tests.

A test that requests ``rag`` (or ``real_world``, built on it) is marked ``integration`` by
tests/conftest.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.service import RagService

from tests.cogs.world import bot_service, index_bot_corpus, open_world
from tests.fakes import FakeService


@pytest.fixture(scope="module")
def rag(tmp_path_factory, embeddings) -> RagService:
    """The real answering service over the bot corpus, indexed once for the module."""
    return index_bot_corpus(tmp_path_factory.mktemp("bot"), embeddings)


@pytest.fixture
def fake(tmp_path: Path) -> FakeService:
    """The fake service over the bot corpus (see tests/cogs/world.py for its answers)."""
    return bot_service(tmp_path / "fake")


@pytest.fixture
async def world(fake, tmp_path):
    """The bot on the fake service."""
    async with open_world(fake, tmp_path) as w:
        yield w


@pytest.fixture
async def real_world(rag, tmp_path):
    """The bot on the real core."""
    async with open_world(rag, tmp_path) as w:
        yield w
