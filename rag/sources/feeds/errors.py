"""The feeds' errors: a command that cannot be done, a sync already running, a URL that cannot be used."""

from __future__ import annotations

from ...core.errors import RagError, ReindexBusy


class FeedError(RagError):
    """A feed command cannot be done (bad URL, unknown feed, feed from the settings); the message says why."""


class FeedsBusy(ReindexBusy):
    """Another feed sync (which ends with a reindex) is running on this data folder."""


class FetchError(Exception):
    """One URL could not be fetched or used; ``reason`` is a short line for reports."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
