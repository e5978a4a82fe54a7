"""The error hierarchy: every expected failure is a BrokerError with a Danish message.

Mapped once to CLI exit codes (broker.cli) and HTTP status codes (api).
"""

from __future__ import annotations


class BrokerError(Exception):
    """Base of all expected errors. `message` is Danish and shown to the user as is."""

    exit_code = 1
    http_status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnsupportedFile(BrokerError):
    """A file whose content is not a format we read."""


class BadFile(BrokerError):
    """A file of a known format that cannot be read: corrupt, truncated, encrypted, empty, too large, too slow."""

    def __init__(self, message: str, code: str = "corrupt") -> None:
        super().__init__(message)
        self.code = code


class ReaderFault(BadFile):
    """Reading a file failed on our side (a bug in a parser, a missing library), not because of the file.

    A per-file failure like BadFile, so one never stops a batch, but with its own code "internal"; the
    traceback goes to the operator's log.
    """

    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message, code="internal")


class NeedsOCR(BadFile):
    """A scanned document with no text layer and no OCR engine installed."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="needs_ocr")


class IndexMismatch(BrokerError):
    """The index was built with another embedder (or dimension) than the one asked for."""

    exit_code = 3
    http_status = 409


class IndexMissing(BrokerError):
    """No index in the data directory yet."""

    exit_code = 4
    http_status = 503


class IndexBusy(BrokerError):
    """Another writer (ingest or re-index) holds the data directory's lock."""

    exit_code = 75  # EX_TEMPFAIL: a scheduler may retry later
    http_status = 409


class InvalidQuery(BrokerError):
    """A query or filter the user must fix."""

    exit_code = 2
    http_status = 422


class NotFound(BrokerError):
    exit_code = 4
    http_status = 404


class Unauthorized(BrokerError):
    exit_code = 5
    http_status = 401


class Forbidden(BrokerError):
    exit_code = 5
    http_status = 403


class TooLarge(BrokerError):
    """A request, an upload or a file over the configured limits."""

    http_status = 413


class StorageError(BrokerError):
    """The data directory cannot be written: the disk is full, or it is read-only or not ours to write."""

    exit_code = 74  # EX_IOERR
    http_status = 507
