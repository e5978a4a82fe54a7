"""Running a parser in a forked child under a time and memory limit, with services asked of the parent."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import resource
import signal
import time
import traceback
from collections.abc import Callable
from typing import Any

from core.errors import BadFile, BrokerError, NeedsOCR, ReaderFault, UnsupportedFile

log = logging.getLogger("ingest.pipeline")  # the operator's log for reading files, as before the split

CHILD_MEMORY_BYTES = 2 * 1024**3  # address space a parser may add on top of what it inherits
OCR_SHARE_OF_TIMEOUT = 0.8

Call = Callable[[str, Any], Any]  # in the child: ask the parent for a service ("count", "known")
Work = Callable[[Call, float | None], Any]  # (call, OCR deadline) -> result, run in the child


def _limit_memory() -> None:
    """Cap the child's address space at what it inherited plus CHILD_MEMORY_BYTES (Linux only)."""
    try:
        with open("/proc/self/statm") as fh:
            current = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return  # without /proc the inherited size is unknown; a blind cap could starve the parser
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = current + CHILD_MEMORY_BYTES
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft == resource.RLIM_INFINITY or limit < soft:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _child(conn: Any, work: Work, deadline: float | None) -> None:
    with contextlib.suppress(OSError):
        os.setpgrp()  # own process group, so a timeout also stops Tesseract
    _limit_memory()

    def call(name: str, arg: Any) -> Any:
        conn.send(("call", name, arg))
        return conn.recv()

    try:
        result = work(call, deadline)
        conn.send(("ok", result))
    except BrokerError as exc:
        conn.send(("error", type(exc).__name__, exc.message, getattr(exc, "code", "")))
    except MemoryError:
        conn.send(("error", "BadFile", "Filen kræver for meget hukommelse at læse", "too_large"))
    except BaseException as exc:  # a bug of ours, not a bad file: a per-file failure with the traceback
        conn.send(("internal", type(exc).__name__, traceback.format_exc()))
    finally:
        conn.close()


def _rebuild_error(name: str, message: str, code: str) -> BrokerError:
    if name == "NeedsOCR":
        return NeedsOCR(message)
    if name == "UnsupportedFile":
        return UnsupportedFile(message)
    if name == "ReaderFault":
        return ReaderFault(message)
    return BadFile(message, code=code or "corrupt")


def _fault(what: str, kind: str, name: str, trace: str) -> ReaderFault:
    """The operator gets the traceback in the log; the user a Danish line saying it is not the file's fault."""
    log.error("Intern fejl ved læsning af %s (%s): %s\n%s", what or "en fil", kind, name, trace)
    return ReaderFault(
        "Intern fejl ved læsning af filen; filen er ikke nødvendigvis i stykker. "
        "Detaljerne står i driftsloggen."
    )


def _kill(process: Any) -> None:
    with contextlib.suppress(OSError, ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(OSError, ValueError):
        process.kill()
    process.join(5)


def run_limited(
    work: Work,
    *,
    kind: str,
    timeout_s: float,
    services: dict[str, Callable[[Any], Any]] | None = None,
    what: str = "",
) -> Any:
    """Run `work` in a forked child with a time and memory limit; errors come back as the same BrokerError,
    an unexpected exception as a ReaderFault (logged with its traceback). The child asks this process for
    `services` (token counts, known documents), so the embedder and the database are never used across the
    fork. Without fork (or with timeout_s <= 0) it runs in this process."""
    services = services or {}

    def local(name: str, arg: Any) -> Any:
        return services[name](arg)

    if timeout_s <= 0 or "fork" not in multiprocessing.get_all_start_methods():
        try:
            return work(local, None)
        except BrokerError:
            raise
        except MemoryError as exc:
            raise BadFile("Filen kræver for meget hukommelse at læse", code="too_large") from exc
        except Exception as exc:
            raise _fault(what, kind, type(exc).__name__, traceback.format_exc()) from exc
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe(duplex=True)
    # OCR stops a little before the limit, so a long scan keeps the pages it got through.
    started = time.monotonic()
    deadline = started + OCR_SHARE_OF_TIMEOUT * timeout_s
    process = context.Process(target=_child, args=(child, work, deadline), daemon=True)
    process.start()
    child.close()
    try:
        while True:
            left = started + timeout_s - time.monotonic()
            if left <= 0 or not parent.poll(left):
                _kill(process)
                raise BadFile(f"Filen tog for lang tid at læse (over {timeout_s:g} s)", code="timeout")
            try:
                message = parent.recv()
            except EOFError:
                process.join(5)
                raise BadFile(
                    f"Læsningen af filen stoppede uventet (afslutningskode {process.exitcode})",
                    code="corrupt",
                ) from None
            if message[0] != "call":
                break
            parent.send(services[message[1]](message[2]))
    finally:
        parent.close()
        if process.is_alive():
            process.join(1)
            if process.is_alive():
                _kill(process)
    if message[0] == "ok":
        return message[1]
    if message[0] == "internal":
        raise _fault(what, kind, message[1], message[2])
    raise _rebuild_error(message[1], message[2], message[3])
