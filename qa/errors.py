"""Errors a user can act on. The CLI prints them as one line and exits 2."""
from __future__ import annotations


class QAError(Exception):
    """Base class: the message says what was wrong and what to do."""


class InputError(QAError):
    """A source file, record or question that cannot be used."""


class UnreadableFileError(InputError):
    """A file whose bytes cannot be turned into text; a directory load skips it instead of failing."""

    def __init__(self, name: str, reason: str):
        super().__init__(f"{name}: {reason}")
        self.reason = reason


class IndexNotFoundError(QAError):
    """The index directory does not exist or holds no index."""


class IndexMismatchError(QAError):
    """The index was built with another encoder, tokenizer or format version."""


class CorruptIndexError(QAError):
    """Files of the index directory are missing or unreadable."""


class ModelError(QAError):
    """An encoder that cannot be loaded."""


class IndexBusyError(QAError):
    """Another writer holds the index for longer than the lock timeout."""


class StorageError(QAError):
    """The index could not be written (disk full, no permission); the old version is intact."""


class PortInUseError(QAError):
    """The page cannot listen on the port asked for."""
