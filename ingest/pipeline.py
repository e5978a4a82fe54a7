"""The ingest pipeline: find files, read each under time and memory limits, and build Documents."""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from core.errors import BadFile, NeedsOCR
from core.settings import Settings
from core.types import UNKNOWN_MUNICIPALITY, Block, Document, ParsedFile, Source
from ingest import ocr as ocr_engine
from ingest.chunking import chunk_blocks
from ingest.clean import clean_blocks
from ingest.detect import sniff
from ingest.docx import parse_docx
from ingest.files import iter_files, read_regular
from ingest.html import parse_html
from ingest.jsonl import ExportRecord, parse_jsonl
from ingest.limits import Call, run_limited
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

# Format -> parser; looked up at call time so tests can swap one in.
PARSERS: dict[str, Callable[..., Any]] = {
    "pdf": parse_pdf,
    "docx": parse_docx,
    "html": parse_html,
    "text": parse_text,
    "jsonl": parse_jsonl,
}


# ----------------------------------------------------------------------------------------- parsing
def _parse(kind: str, data: bytes, ocr: bool, deadline: float | None = None) -> Any:
    parser = PARSERS[kind]
    return parser(data, ocr=ocr, ocr_deadline=deadline) if kind == "pdf" else parser(data)


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


def parse_limited(kind: str, data: bytes, *, timeout_s: float, ocr: bool) -> Any:
    """Run the parser for `kind` under the time and memory limit (see run_limited)."""
    _warm(kind)
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
        data = read_regular(path)  # never through a link put in after the scan
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

    _warm(kind)
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
