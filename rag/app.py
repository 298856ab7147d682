"""The composition root: every long-lived part of the bot and the CLI, built from the settings in one place.

The answering service (rag.service); the feed subscriptions, whose syncs write articles into the corpus
and hand them to the service's reindex; the uploads of /ingest; and the bot's state: ratings, remembered
answers and thread conversations, in SQLite beside the feedback database (rag.state). ``bot.py`` and
``python -m rag`` build one App and pass its parts on; nothing else builds them. Each part is built on
first use, so a CLI command builds only what it needs.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from .core.settings import Settings
from .service import RagService
from .sources.feeds import FeedSync
from .sources.uploads import Uploads
from .state.feedback import FeedbackStore
from .state.memory import AnswerMemory, ThreadMemory

ANSWERS_DB = "answers.sqlite3"  # remembered answers and thread conversations, beside the feedback database


class App:
    """The parts, built once each. A service passed in (a test's) is used as it is."""

    def __init__(self, settings: Settings, service: RagService | None = None) -> None:
        self.settings = settings
        if service is not None:
            self.service = service

    @cached_property
    def service(self) -> RagService:
        return RagService(self.settings)

    @cached_property
    def feeds(self) -> FeedSync:
        return FeedSync(self.settings, reindex=self.service.reindex)

    @cached_property
    def uploads(self) -> Uploads:
        return Uploads(self.settings.corpus_dir, self.settings.max_file_bytes)

    @property
    def state_dir(self) -> Path:
        """Where the bot keeps its state: beside the feedback database."""
        return self.settings.feedback_path.parent

    @cached_property
    def feedback(self) -> FeedbackStore:
        return FeedbackStore(self.settings.feedback_path)

    @cached_property
    def answers(self) -> AnswerMemory:
        return AnswerMemory(self.state_dir / ANSWERS_DB, self.feedback.hash_user)

    @cached_property
    def conversations(self) -> ThreadMemory:
        return ThreadMemory(self.state_dir / ANSWERS_DB)
