"""The bench index the subcommands share: where it lives, its corpus folder, and the service on it."""

from __future__ import annotations

import argparse
import filecmp
import sys
from pathlib import Path

from ..core.fsutil import place_file
from ..core.settings import Settings, load_dotenv_once
from ..index.embeddings import use_model_environment


def corpus_folder(data_dir: Path, articles: Path) -> Path:
    """A corpus folder holding just the articles file (a hard link to it, or a copy), read as is."""
    folder = data_dir / "corpus"
    folder.mkdir(parents=True, exist_ok=True)
    placed = folder / articles.name
    if placed.is_symlink() or placed.exists():
        if not placed.is_symlink() and filecmp.cmp(placed, articles):  # the same link or an equal copy
            return folder
        placed.unlink()
    place_file(articles, placed)
    return folder


def ours_folder(settings: Settings) -> str:
    """One bench index per embedding runtime: their vectors differ."""
    return "ours" if settings.embedding_runtime == "torch" else f"ours-{settings.embedding_runtime}"


def add_data_arguments(p: argparse.ArgumentParser, questions: bool = True) -> None:
    """--articles, --questions and --data-dir, as every bench command takes them."""
    p.add_argument("--articles", type=Path, required=True, help="articles (.jsonl or .jsonl.gz)")
    if questions:
        p.add_argument("--questions", type=Path, required=True, help="questions (.jsonl)")
    p.add_argument("--data-dir", type=Path, default=Path("bench-data"),
                   help="where the bench indexes live (default ./bench-data; `python -m rag.bench` builds them)")


def not_files(*paths: Path | None) -> bool:
    """True, with a one-line error for the first, when a path given (not None) is not a file."""
    for f in paths:
        if f is not None and not f.is_file():
            print(f"error: {f} is not a file", file=sys.stderr)
            return True
    return False


def open_index(data_dir: Path):
    """The extractive service on the index `python -m rag.bench` built in ``data_dir``."""
    from ..service import RagService

    load_dotenv_once()
    settings = Settings.from_env()
    use_model_environment(settings.embedding_runtime)
    return RagService(settings.replace(data_dir=data_dir / ours_folder(settings), llm_provider="none"))
