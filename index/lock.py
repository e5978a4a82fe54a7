"""The data directory's write lock: one writer (ingest or re-index) at a time, stale locks taken over."""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path
from types import TracebackType

from core.errors import IndexBusy


class WriteLock:
    """An exclusive, non-blocking lock on a file in the data directory.

    flock() locks belong to the open file: the kernel releases them when the holder dies (SIGKILL included),
    so a lock left by a dead process is free again and the next writer simply takes it over.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def __enter__(self) -> WriteLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise IndexBusy(
                f"Indekset er optaget: en anden indeksering kører allerede{holder}. Prøv igen, når den er færdig."
            ) from None
        os.ftruncate(fd, 0)
        info = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}
        os.write(fd, json.dumps(info).encode())
        self._fd = fd
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _read_holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return f" (proces {info['pid']} siden {time.strftime('%H:%M', time.localtime(info['since']))})"
    except (ValueError, KeyError, OSError):
        return ""
