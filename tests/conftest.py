"""Shared fixtures: a small news corpus written by the tests, the real embedding model, temp data folders.

Markers (registered in pytest.ini): a test that requests ``service`` or ``indexed`` (the real
service over a temp data folder, and the same with the test corpus indexed) or ``rag`` (the bot
tests' real service over a real index), directly or through another fixture, is marked
``integration`` here (``pytest_collection_modifyitems``); tests that build a real index or run
the bot, the CLI or the local LLM on the real core some other way are marked in their own
module. ``make test-quick`` runs ``-m "not slow and not integration"``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rag.index.embeddings import make_embeddings, use_model_environment

use_model_environment("ct2-int8")  # the runtime the tests embed with, set before the model loads
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # the tests fork (subprocesses) after tokenizing

from rag.service import RagService  # noqa: E402
from rag.core.settings import Settings  # noqa: E402
from rag.core.types import Chunk, Filters, day_number  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

# Short fictional news articles: distinct topics, dates and outlets, plus one wire copy.
ARTICLES: dict[str, dict] = {
    "tram.md": {
        "title": "Riverton council approves new tram line",
        "published": "2024-03-02", "source": "riverton-gazette", "url": "https://gazette.example/tram",
        "text": (
            "The Riverton city council voted 9 to 4 on Monday to approve a new tram line linking the "
            "harbour district to the university campus.\n"
            "The line will cost 310 million euros and is expected to open in 2027, according to the "
            "council's transport committee.\n"
            "Opponents argued that the money should go to bus services instead. Mayor Elena Sorrel said "
            "the tram would cut travel times across the city by a third."
        ),
    },
    "drought.md": {
        "title": "Drought forces water restrictions in Valdoria",
        "published": "2024-03-05", "source": "valdoria-times", "url": "https://times.example/drought",
        "text": (
            "Authorities in Valdoria imposed water restrictions on Tuesday after the driest winter in "
            "forty years left reservoirs at 18 percent of capacity.\n"
            "Garden watering and car washing are banned until further notice, the regional water agency "
            "said. Farmers will receive compensation for reduced irrigation quotas."
        ),
    },
    "football.md": {
        "title": "Riverton Rovers win the cup final",
        "published": "2024-03-09", "source": "riverton-gazette", "url": "https://gazette.example/cup",
        "text": (
            "Riverton Rovers beat Port Aldine 2-1 in the cup final on Saturday, their first trophy in "
            "twelve years.\n"
            "Striker Tomas Brekke scored the winning goal in the 88th minute in front of 41,000 fans."
        ),
    },
    "factory.md": {
        "title": "Lumetra to open battery factory with 1,200 jobs",
        "published": "2024-03-12", "source": "business-daily", "url": "https://bd.example/lumetra",
        "text": (
            "The technology company Lumetra will build a battery factory outside Valdoria, creating "
            "1,200 jobs, its chief executive Ana Ruiz announced on Tuesday.\n"
            "Production of lithium iron phosphate cells is due to start in the spring of 2026. The "
            "regional government contributed 95 million euros in subsidies."
        ),
    },
    "factory-wire.md": {
        "title": "Lumetra plans battery plant near Valdoria",
        "published": "2024-03-13", "source": "wire-news", "url": "https://wire.example/lumetra",
        "text": (
            "The technology company Lumetra will build a battery factory outside Valdoria, creating "
            "1,200 jobs, its chief executive Ana Ruiz announced on Tuesday.\n"
            "Production of lithium iron phosphate cells is due to start in the spring of 2026. The "
            "regional government contributed 95 million euros in subsidies."
        ),
    },
}


# The fixtures that build the real service (and index with it): whoever requests one is an integration test.
INTEGRATION_FIXTURES = frozenset({"service", "indexed", "rag"})


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if INTEGRATION_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


def admits(filters: Filters, chunk: Chunk) -> bool:
    """Whether ``chunk`` passes ``filters``, worked out from its own fields: the tests' oracle."""
    if filters.sources and chunk.source not in filters.sources:
        return False
    day = day_number(chunk.published)
    if filters.since and day < day_number(filters.since):
        return False
    return not (filters.latest and day > day_number(filters.latest))


def write_article(folder: Path, name: str, article: dict) -> Path:
    """Write one article as Markdown with front matter."""
    folder.mkdir(parents=True, exist_ok=True)
    meta = "\n".join(f"{k}: {v!r}" if k == "title" else f"{k}: {v}"
                     for k, v in article.items() if k != "text")
    path = folder / name
    path.write_text(f"---\n{meta}\n---\n{article['text']}\n", encoding="utf-8")
    return path


def write_corpus(folder: Path, articles: dict[str, dict] = ARTICLES) -> Path:
    for name, article in articles.items():
        write_article(folder, name, article)
    return folder


@pytest.fixture(scope="session")
def embeddings():
    """The real packaged all-MiniLM-L6-v2, loaded once for the whole session."""
    return make_embeddings(Settings())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings().replace(corpus_dir=tmp_path / "corpus", data_dir=tmp_path / "data")


@pytest.fixture
def corpus(settings: Settings) -> Path:
    return write_corpus(settings.corpus_dir)


@pytest.fixture
def service(settings: Settings, embeddings) -> RagService:
    return RagService(settings, embeddings=embeddings)


@pytest.fixture
def indexed(service: RagService, corpus: Path) -> RagService:
    service.reindex()
    return service


# A longer article (eleven sentences, several chunks), for summaries and long passages.
LONG_ARTICLE: dict[str, dict] = {
    "port.md": {
        "title": "Port Aldine approves a deep-water terminal",
        "published": "2024-03-20", "source": "coast-herald", "url": "https://herald.example/terminal",
        "text": (
            "The port authority of Port Aldine approved a deep-water container terminal on Wednesday, "
            "the largest investment in the town's history, after three years of planning and two public "
            "inquiries into its effect on the estuary.\n"
            "The terminal will cost 640 million euros and will be able to handle ships of up to 20,000 "
            "containers, which today have to unload at larger ports two days' sailing to the north.\n"
            "Construction is due to begin in the autumn and to take four years, during which the old "
            "fishing quay will stay open under a temporary agreement with the fishermen's cooperative.\n"
            "The authority's chair, Marta Lindqvist, said the terminal would create about 900 permanent "
            "jobs at the port and in logistics firms around it, and several hundred more during the works.\n"
            "Environmental groups said the dredging of the channel would destroy seagrass beds that shelter "
            "young fish, and announced that they would challenge the decision in the administrative court.\n"
            "The authority replied that it would replant twice the area of seagrass elsewhere in the "
            "estuary and fund ten years of monitoring by the regional university's marine biologists.\n"
            "Residents of the old town mostly welcomed the project at the last inquiry, but asked for a "
            "bypass so that lorries would not drive through the narrow streets around the harbour.\n"
            "The regional government has promised to pay for the bypass, which is expected to cost 85 "
            "million euros and to open at the same time as the terminal.\n"
            "Shipping lines have not yet signed contracts, but the authority said two of the five largest "
            "carriers had expressed interest during talks held in January.\n"
            "Critics on the town council warned that the port was taking on too much debt, since most of "
            "the cost will be financed by loans to be repaid from terminal fees over thirty years.\n"
            "The authority expects the first ships to call at the new terminal in 2028, and says traffic "
            "could reach one million containers a year by the middle of the next decade."
        ),
    },
}
