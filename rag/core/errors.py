"""Errors the user can act on; their messages are shown as they are."""


class RagError(Exception):
    """Base class: the message is one clear line saying what to do."""


class IndexMissing(RagError):
    """No index has been built in the data folder yet."""


class IndexMismatch(RagError):
    """The index on disk was built with other settings than the current ones."""


class QuestionError(RagError):
    """The question is empty, too long or otherwise unusable."""


class ReindexBusy(RagError):
    """Another reindex is already running on this data folder."""


class ConfigError(RagError):
    """A component cannot be set up from the current settings."""


class NotFound(RagError):
    """Something asked for by name or id (an article) is not in the index."""


class StoreInconsistent(RagError):
    """The vector store failed a search over records that an interrupted write left behind."""
