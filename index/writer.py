"""One unit of work for every writer: the data directory's lock, storage errors told in Danish, the store."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from core.errors import BrokerError, StorageError
from core.settings import Settings
from index.lock import WriteLock
from index.store import Store

_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_NOT_WRITABLE = (errno.EROFS, errno.EACCES, errno.EPERM)


@contextlib.contextmanager
def open_writer(settings: Settings, *, locked: bool = False, create: bool = True) -> Iterator[Store]:
    """The store, opened for writing under the data directory's write lock (held by the caller with
    `locked`), closed afterwards; a full disk or a read-only data directory becomes one StorageError."""
    with storage_errors(settings.data_dir), contextlib.ExitStack() as stack:
        if not locked:
            stack.enter_context(WriteLock(settings.lock_path))
        store = Store(settings.db_path, create=create)
        try:
            yield store
        finally:
            store.close()


def _storage_problem(exc: BaseException, data_dir: Path) -> str | None:
    """A Danish explanation when `exc` comes from a full disk or an unwritable data directory."""
    code = getattr(exc, "errno", None)
    text = str(exc).lower()
    full = code in _FULL or "disk is full" in text or "no space" in text
    unwritable = code in _NOT_WRITABLE or "readonly" in text or "read-only" in text
    if not (full or unwritable):  # FAISS and SQLite I/O errors carry no errno: look at the disk itself
        with contextlib.suppress(OSError):
            full = shutil.disk_usage(data_dir).free < 1024 * 1024
        unwritable = data_dir.exists() and not os.access(data_dir, os.W_OK)
    if full:
        return f"Disken med datamappen {data_dir} er fuld. Indekset er uændret; frigør plads, og prøv igen."
    if unwritable:
        return (
            f"Datamappen {data_dir} kan ikke skrives (skrivebeskyttet eller uden skriveret). "
            "Indekset er uændret."
        )
    return None


@contextlib.contextmanager
def storage_errors(data_dir: Path) -> Iterator[None]:
    """Turn a full disk or a read-only data directory into one clear StorageError; other errors pass."""
    try:
        yield
    except BrokerError as exc:
        cause = exc.__cause__
        if type(exc) is BrokerError and cause is not None:  # e.g. the database could not be opened
            problem = _storage_problem(cause, data_dir)
            if problem is not None:
                raise StorageError(problem) from exc
        raise
    except (OSError, sqlite3.Error, RuntimeError) as exc:
        problem = _storage_problem(exc, data_dir)
        if problem is None:
            raise
        raise StorageError(problem) from exc
