"""How `broker serve` holds up under many idle connections: a header timeout, a connection cap, calm logs."""

from __future__ import annotations

import asyncio
import errno
import logging
import resource
import threading
import time
from collections import OrderedDict
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from core.settings import Settings

# Errors of a process out of file descriptors (or memory for sockets): one connection each would flood the log.
_RESOURCE_ERRNOS = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
# asyncio's accept loop retries through _start_serving; after a shutdown in such a storm the retries fail too.
_RESOURCE_TEXTS = (
    "too many open files",
    "out of system resource",
    "[errno 24]",
    "[errno 23]",
    "_start_serving",
)
RESOURCE_LOG_INTERVAL_S = 60.0
# File descriptors kept free for everything but client connections: SQLite (three per thread's connection,
# up to 40 threads), the model, FAISS, logs and uploads. A quarter of a small limit.
FD_RESERVE = 256
OPEN_FILES_WANTED = 65536

_BUSY_BODY = "Tjenesten har for mange åbne forbindelser lige nu. Prøv igen om lidt.\n".encode()
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\nretry-after: 5\r\ncontent-length: " + str(len(_BUSY_BODY)).encode() + b"\r\n\r\n"
) + _BUSY_BODY


def _is_resource_error(record: logging.LogRecord) -> bool:
    exc = record.exc_info[1] if record.exc_info else None
    if isinstance(exc, OSError) and exc.errno in _RESOURCE_ERRNOS:
        return True
    text = record.getMessage().lower()
    return any(marker in text for marker in _RESOURCE_TEXTS)


class ResourceErrorFilter(logging.Filter):
    """Lets one 'out of file descriptors' error through per interval, with the count of those held back."""

    def __init__(self, interval_s: float = RESOURCE_LOG_INTERVAL_S) -> None:
        super().__init__()
        self.interval_s = interval_s
        self._last = -float("inf")
        self._held_back = 0
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if not _is_resource_error(record):
            return True
        with self._lock:
            now = time.monotonic()
            if now - self._last < self.interval_s:
                self._held_back += 1
                return False
            held_back, self._held_back, self._last = self._held_back, 0, now
        # The one line that gets through says what it is and how often, without a traceback per connection.
        exc = record.exc_info[1] if record.exc_info else None
        detail = f" ({exc})" if exc is not None else ""
        record.msg = (
            f"{record.getMessage()}{detail} – tjenesten mangler fildeskriptorer (for mange forbindelser); "
            f"{held_back} lignende fejl skjult siden sidst, højst én besked pr. {self.interval_s:g} s"
        )
        record.args = None
        record.exc_info = None
        record.exc_text = None
        return True


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request head and a cap on open connections.

    A connection that has not sent a complete request head within the header timeout (counted from the
    connection, or from the end of the previous response) is closed. At the cap a new connection closes
    the oldest one still waiting for its request head; when every connection is busy with a request, the
    new one gets 503 at once. So idle half-sent requests can neither starve normal ones nor run the process
    out of file descriptors.
    """

    header_timeout_s: float = 10.0
    max_connections: int = 500
    _configured = False
    # Connections waiting for a request head, oldest first (one event loop per process).
    _waiting: ClassVar[OrderedDict[int, GuardedH11Protocol]] = OrderedDict()

    @classmethod
    def configure(cls, settings: Settings) -> None:
        cls.header_timeout_s = settings.http_header_timeout_s
        cls.max_connections = connection_cap(settings.http_max_connections)
        cls._configured = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if not GuardedH11Protocol._configured:  # in a uvicorn worker: settings from the environment
            GuardedH11Protocol.configure(Settings())
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None

    # -- waiting for a request head --------------------------------------------------------------
    def _start_waiting(self) -> None:
        self._stop_waiting()
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._header_timeout)
        GuardedH11Protocol._waiting[id(self)] = self

    def _stop_waiting(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        GuardedH11Protocol._waiting.pop(id(self), None)

    def _waits_for_head(self) -> bool:
        idle = self.cycle is None or self.cycle.response_complete
        return idle and self.conn.their_state in (h11.IDLE, h11.DONE)

    def _header_timeout(self) -> None:
        self._header_timer = None
        GuardedH11Protocol._waiting.pop(id(self), None)
        if self._waits_for_head() and not self.transport.is_closing():
            self.transport.close()

    # -- uvicorn's protocol interface -----------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            oldest = next(iter(GuardedH11Protocol._waiting.values()), None)
            if oldest is None:  # every other connection is busy with a request: refuse this one
                self.connections.discard(self)
                transport.write(_BUSY)
                transport.close()
                return
            oldest._stop_waiting()
            oldest.transport.close()
        self._start_waiting()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._header_timer is not None and not self._waits_for_head():
            self._stop_waiting()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self._waits_for_head():
            self._start_waiting()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        super().connection_lost(exc)


def connection_cap(wanted: int) -> int:
    """Raise the soft open-file limit as far as allowed, and return the connection cap that fits under it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = OPEN_FILES_WANTED if hard == resource.RLIM_INFINITY else min(hard, OPEN_FILES_WANTED)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, soft - min(FD_RESERVE, soft // 4)))


def log_config(base: dict[str, Any]) -> dict[str, Any]:
    """uvicorn's logging configuration with the resource-error filter on its handlers and asyncio's logger
    routed through them (asyncio reports a failed accept() there, once per attempt)."""
    config = {**base, "filters": {**base.get("filters", {})}}
    config["filters"]["resource_errors"] = {"()": "broker.serving.ResourceErrorFilter"}
    config["handlers"] = {
        name: {**handler, "filters": [*handler.get("filters", []), "resource_errors"]}
        for name, handler in base["handlers"].items()
    }
    config["loggers"] = {
        **base["loggers"],
        "asyncio": {"handlers": ["default"], "level": "WARNING", "propagate": False},
    }
    return config
