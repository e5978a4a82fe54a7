"""The ingest pipeline: find files, read each under time and memory limits, and build Documents."""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import logging
import multiprocessing
import os
import re
import resource
import signal
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from broker.errors import BadFile, BrokerError, NeedsOCR, ReaderFault, UnsupportedFile
from broker.settings import Settings
from broker.types import UNKNOWN_MUNICIPALITY, Block, Document, ParsedFile, Source
from ingest import ocr as ocr_engine
from ingest.chunking import chunk_blocks
from ingest.clean import clean_blocks
from ingest.detect import sniff
from ingest.docx import parse_docx
from ingest.files import iter_files
from ingest.html import parse_html
from ingest.jsonl import ExportRecord, parse_jsonl
from ingest.metadata import (
    detect_date,
    detect_doc_type,
    detect_language,
    detect_municipality,
    detect_title,
    detect_year,
)
from ingest.pdf import NEEDS_OCR_MESSAGE, parse_pdf
from ingest.text import parse_text

log = logging.getLogger(__name__)

CHILD_MEMORY_BYTES = 2 * 1024**3  # address space a parser may add on top of what it inherits
OCR_SHARE_OF_TIMEOUT = 0.8

# Format -> parser; looked up at call time so tests can swap one in.
PARSERS: dict[str, Callable[..., Any]] = {
    "pdf": parse_pdf,
    "docx": parse_docx,
    "html": parse_html,
    "text": parse_text,
    "jsonl": parse_jsonl,
}


# -------------------------------------------------------------------------- parsing under limits
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


Call = Callable[[str, Any], Any]  # in the child: ask the parent for a service ("count", "known")
Work = Callable[[Call, float | None], Any]  # (call, OCR deadline) -> result, run in the child


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


def _parse(kind: str, data: bytes, ocr: bool, deadline: float | None = None) -> Any:
    parser = PARSERS[kind]
    return parser(data, ocr=ocr, ocr_deadline=deadline) if kind == "pdf" else parser(data)


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
        f"Intern fejl ved læsning af filen ({name}); filen er ikke nødvendigvis i stykker. "
        "Detaljerne står i driftsloggen."
    )


def _kill(process: Any) -> None:
    with contextlib.suppress(OSError, ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(OSError, ValueError):
        process.kill()
    process.join(5)


# Libraries the parsers import on first use. Imported once in this process, every forked child inherits
# them instead of importing them again (0.07-0.15 s a file, half the parsing time of the demo corpus).
_PARSER_IMPORTS: dict[str, tuple[str, ...]] = {
    "pdf": ("pypdf",),
    "docx": ("docx",),
    "html": ("trafilatura", "lxml.etree", "bs4"),
}
_warmed: set[str] = set()


def _warm(kind: str) -> None:
    if kind in _warmed:
        return
    _warmed.add(kind)
    for name in _PARSER_IMPORTS.get(kind, ()):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


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
    _warm(kind)
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


def parse_limited(kind: str, data: bytes, *, timeout_s: float, ocr: bool) -> Any:
    """Run the parser for `kind` under the time and memory limit (see run_limited)."""
    return run_limited(
        lambda _call, deadline: _parse(kind, data, ocr, deadline), kind=kind, timeout_s=timeout_s
    )


# ------------------------------------------------------------------------------- building documents
def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _chunks(blocks: list[Block], settings: Settings, count_tokens: Callable[[str], int] | None) -> Any:
    return chunk_blocks(
        blocks,
        target_words=settings.chunk_target_words,
        max_words=settings.chunk_max_words,
        overlap_words=settings.chunk_overlap_words,
        max_tokens=settings.chunk_max_tokens,
        count_tokens=count_tokens,
        max_chunks=settings.max_chunks_per_document,
    )


def _file_document(
    path: Path,
    parsed: ParsedFile,
    source: Source,
    settings: Settings,
    count_tokens: Callable[[str], int] | None,
) -> Document:
    blocks = clean_blocks(parsed.blocks, parsed.page_count)
    text = "\n".join(b.text for b in blocks)
    if not text.strip():
        if parsed.pages_needing_ocr:
            raise NeedsOCR(NEEDS_OCR_MESSAGE)
        raise BadFile("Ingen tekst fundet i dokumentet", code="empty")
    title = detect_title(parsed.meta, blocks, path.name)
    meta = {**parsed.meta, "title": parsed.meta.get("title") or title}
    # Before cleaning: a letterhead or footer ("Hjørring Kommune · ...") names the municipality.
    raw_text = "\n".join(b.text for b in parsed.blocks)
    municipality, region = detect_municipality(raw_text, path.name, meta)
    return Document(
        doc_id=source.file_hash[:16],
        title=title,
        municipality=municipality,
        region=region,
        doc_type=detect_doc_type(title, text, path.name),
        year=detect_year(text, parsed.meta, path.name),
        language=detect_language(text),
        page_count=parsed.page_count,
        content_hash=source.file_hash,
        sources=[source],
        chunks=_chunks(blocks, settings, count_tokens),
        author=parsed.meta.get("author"),
        created=parsed.meta.get("created"),
        date=detect_date(text),
    )


def _record_hash(record: ExportRecord) -> str:
    canonical = json.dumps(
        asdict(record), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return _sha256(canonical.encode("utf-8"))


def _record_document(
    record: ExportRecord,
    source: Source,
    settings: Settings,
    count_tokens: Callable[[str], int] | None,
    known: Callable[[str], bool] | None = None,
) -> Document | None:
    blocks: list[Block] = [Block(record.title, 1, "heading", 1)] if record.title else []
    blocks += [Block(p, 1, "paragraph") for p in re.split(r"\n\s*\n", record.text) if p.strip()]
    blocks = clean_blocks(blocks, 1)
    text = "\n".join(b.text for b in blocks)
    if not text.strip():
        return None
    content_hash = _record_hash(record)
    if known is not None and known(content_hash[:16]):
        # Indexed already with this very content: only its id and source are used, so the metadata
        # detection and the chunking (a token count per chunk) are skipped (most of a re-index's scan).
        return Document(
            doc_id=content_hash[:16],
            title=record.title,
            municipality=UNKNOWN_MUNICIPALITY,
            region=None,
            doc_type="",
            year=None,
            language="",
            page_count=1,
            content_hash=content_hash,
            sources=[source],
            chunks=[],
            committee=record.committee,
            date=record.date,
        )
    named = detect_municipality(text, "", {"title": record.title}, explicit=record.municipality)
    if named[0] == UNKNOWN_MUNICIPALITY and record.municipality:
        log.info("ukendt kommune i eksporten: %s", record.municipality)
    # An item on a committee's agenda is agenda material, whatever it is about ("Revideret
    # kvalitetsstandard for aflastning" on the agenda is not the standard itself).
    doc_type = "dagsorden/referat" if record.committee else detect_doc_type(record.title, text, "")
    year = int(record.date[:4]) if record.date else detect_year(text, {}, "")
    return Document(
        doc_id=content_hash[:16],
        title=record.title or detect_title({}, blocks, record.record_id),
        municipality=named[0],
        region=named[1],
        doc_type=doc_type,
        year=year,
        language=detect_language(text),
        page_count=1,
        content_hash=content_hash,
        sources=[source],
        chunks=_chunks(blocks, settings, count_tokens),
        committee=record.committee,
        date=record.date,
    )


def read_documents(
    path: Path,
    settings: Settings,
    count_tokens: Callable[[str], int] | None = None,
    *,
    warnings: list[str] | None = None,
    known: Callable[[str], bool] | None = None,
) -> list[Document]:
    """Read one file into Documents: one for a document file, one per record for a JSON Lines export.

    Parsing, cleaning and chunking all run in one child under the parse time and memory limit; the child
    asks this process for token counts and for which records are indexed already.

    `known` tells whether a doc id is indexed already: such export records come back as a Document with
    only id, title, source and content hash (no chunks, no detected metadata), which is all a re-index needs.

    Raises a BrokerError (Danish message) when the file cannot be used. Non-fatal problems (skipped
    export lines, pages that need OCR) are appended to `warnings` when a list is given.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise BadFile(f"Filen kan ikke læses ({exc.strerror or exc})", code="unreadable") from exc
    limit = settings.max_file_mb * 1024 * 1024
    if stat.st_size > limit:
        size_mb = stat.st_size / 1024 / 1024
        raise BadFile(
            f"Filen er for stor ({size_mb:.1f} MB; grænsen er {settings.max_file_mb:g} MB)", code="too_large"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadFile(f"Filen kan ikke læses ({exc.strerror or exc})", code="unreadable") from exc
    kind = sniff(data, path.name)
    file_hash = _sha256(data)
    resolved = str(path.resolve())
    services: dict[str, Callable[[Any], Any]] = {}
    if count_tokens is not None:
        services["count"] = count_tokens
    if known is not None:
        services["known"] = lambda ids: [doc_id for doc_id in ids if known(doc_id)]

    def work(call: Call, deadline: float | None) -> tuple[list[Document], list[str]]:
        counter = (lambda text: int(call("count", text))) if count_tokens is not None else None
        parsed = _parse(kind, data, settings.ocr, deadline)
        if kind == "jsonl":
            records, problems = parsed
            is_known = set(call("known", [_record_hash(r)[:16] for r in records])) if known else set()
            source = Source(resolved, None, file_hash, stat.st_size, stat.st_mtime)
            return _export_documents(records, problems, source, settings, counter, is_known.__contains__)
        source = Source(resolved, None, file_hash, stat.st_size, stat.st_mtime)
        return [_file_document(path, parsed, source, settings, counter)], _ocr_notes(parsed, settings)

    documents, notes = run_limited(
        work, kind=kind, timeout_s=settings.parse_timeout_s, services=services, what=resolved
    )
    if warnings is not None:
        warnings.extend(notes)
    return list(documents)


def _export_documents(
    records: list[ExportRecord],
    problems: list[str],
    file_source: Source,
    settings: Settings,
    count_tokens: Callable[[str], int] | None,
    known: Callable[[str], bool],
) -> tuple[list[Document], list[str]]:
    notes = list(problems)
    documents: dict[str, Document] = {}
    for record in records:
        source = replace(file_source, record_id=record.record_id)
        try:
            doc = _record_document(record, source, settings, count_tokens, known)
        except BadFile as exc:  # one record too long to index: the others still are
            notes.append(f"Post {record.record_id}: {exc.message}")
            continue
        if doc is None:
            notes.append(f"Post {record.record_id}: ingen tekst")
        elif doc.doc_id in documents:
            notes.append(f"Post {record.record_id} findes flere gange i filen og er kun læst én gang")
        else:
            documents[doc.doc_id] = doc
    if not documents:
        detail = "; ".join(notes[:3])
        raise BadFile(
            "Ingen brugbare poster i eksportfilen" + (f" ({detail})" if detail else ""), code="empty"
        )
    return list(documents.values()), notes


def _ocr_notes(parsed: ParsedFile, settings: Settings) -> list[str]:
    if not parsed.pages_needing_ocr:
        return []
    pages = ", ".join(str(p) for p in parsed.pages_needing_ocr)
    why = (
        "OCR nåede ikke at blive færdig"
        if settings.ocr and ocr_engine.ocr_available()
        else "OCR er ikke tilgængelig"
    )
    return [f"Side {pages} er scannet uden tekstlag og blev ikke læst ({why})"]


__all__ = ["PARSERS", "iter_files", "parse_limited", "read_documents", "run_limited"]
