"""Routes for documents: the list, one document with its sources and chunks, its original file, similar ones."""

from __future__ import annotations

import dataclasses
import mimetypes
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse, Response, StreamingResponse

from api.auth import Reader
from api.deps import get_engine, get_filters
from broker.access import Principal
from broker.comparison.columns import similar_documents
from broker.paths import SourcePaths
from broker.search import Engine
from core.errors import NotFound
from core.types import SearchFilters, Source
from ingest.files import open_regular
from ingest.jsonl import find_record, record_text

router = APIRouter(tags=["dokumenter"])
_BLOCK = 1 << 16


def _document_or_404(engine: Engine, doc_id: str, caller: Principal) -> dict[str, Any]:
    """The document, or 404 also when it is internal and the caller may not see it (its existence is hidden)."""
    doc = engine.store.document(doc_id)
    if doc is None or (doc["internal"] and not caller.sees_internal):
        raise NotFound(f"Dokumentet '{doc_id}' findes ikke.")
    return doc


@router.get("/api/documents", summary="Dokumenter, sidevis og filtrerbart")
def list_documents(
    engine: Annotated[Engine, Depends(get_engine)],
    filters: Annotated[SearchFilters, Depends(get_filters)],
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 20,
) -> dict[str, Any]:
    with engine.store.snapshot():
        total, docs = engine.store.list_documents(filters, (page - 1) * per_page, per_page)
    return {"total": total, "page": page, "per_page": per_page, "documents": docs}


@router.get("/api/documents/{doc_id}", summary="Et dokument: metadata, kilder og tekststykker")
def get_document(
    doc_id: str, engine: Annotated[Engine, Depends(get_engine)], caller: Reader
) -> dict[str, Any]:
    with engine.store.snapshot():
        doc = _document_or_404(engine, doc_id, caller)
        names = SourcePaths(engine.store.registered_sources(), engine.store.web_links())
        sources = [_source(s, names, caller.is_admin) for s in engine.store.sources_of(doc_id)]
        chunks = [dataclasses.asdict(c) for c in engine.store.chunks_of(doc_id)]
    for chunk in chunks:
        chunk.pop("text_hash", None)
    return {**doc, "sources": sources, "chunks": chunks, "file_url": f"/api/documents/{doc_id}/file"}


def _source(source: Source, names: SourcePaths, admin: bool) -> dict[str, Any]:
    """One source as a caller may see it: the source's name and the path inside it; the server's path, size
    and time of change only for admin."""
    shown: dict[str, Any] = {
        "source": names.source_name(source.path),
        "path": names.shown(source.path),
        "record_id": source.record_id,
        "file_hash": source.file_hash,
    } | names.web_fields(source.path)
    if admin:
        shown |= {"absolute_path": source.path, "size": source.size, "mtime": source.mtime}
    return shown


def _record_text(source: Source) -> str | None:
    """The text of one record of a JSON Lines export, found by its id as ingest reads the export."""
    assert source.record_id is not None
    # newline="\n": lines are numbered exactly as ingest numbers them ("linje-17" ids stay right)
    with os.fdopen(
        open_regular(Path(source.path)), encoding="utf-8", errors="replace", newline="\n"
    ) as handle:
        record = find_record(handle, source.record_id)
    return None if record is None else record_text(record)


@router.get(
    "/api/documents/{doc_id}/file",
    summary="Originalfilen (åbn på en side med #page=N)",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "text/plain": {}}}},
)
def get_file(doc_id: str, engine: Annotated[Engine, Depends(get_engine)], caller: Reader) -> Response:
    with engine.store.snapshot():
        _document_or_404(engine, doc_id, caller)
        sources = engine.store.sources_of(doc_id)
    for source in sources:
        path = Path(source.path)
        try:
            if source.record_id is not None:
                text = _record_text(source)
                if text is not None:
                    return PlainTextResponse(text)
                continue
            # The recorded path is the real one: a file (or a folder on its way) swapped for a link since
            # indexing is refused on the opened file itself, so nothing outside a source is ever served.
            fd = open_regular(path)
        except OSError:
            continue
        return _file_response(fd, path)
    raise NotFound("Originalfilen findes ikke længere på den gemte placering.")


def _file_response(fd: int, path: Path) -> Response:
    """The opened original, streamed from the checked descriptor (never reopened by name)."""
    size = os.fstat(fd).st_size

    def chunks() -> Iterator[bytes]:
        with os.fdopen(fd, "rb") as handle:
            while block := handle.read(_BLOCK):
                yield block

    media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    response = StreamingResponse(chunks(), media_type=media)
    response.headers["Content-Length"] = str(size)
    response.headers["Content-Disposition"] = f"inline; filename*=utf-8''{quote(path.name)}"
    # An original may be a web page with scripts: it opens sandboxed, never with the service's origin.
    response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@router.get("/api/documents/{doc_id}/similar", summary="Lignende praksis fra andre kommuner")
def similar(
    doc_id: str,
    engine: Annotated[Engine, Depends(get_engine)],
    filters: Annotated[SearchFilters, Depends(get_filters)],
    caller: Reader,
    k: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict[str, Any]:
    """De dokumenter fra andre kommuner, der i betydning ligger tættest på dette."""
    found = similar_documents(engine, doc_id, k=k, filters=filters)
    with engine.store.snapshot():
        names = SourcePaths(engine.store.registered_sources(), engine.store.web_links())
    found["results"] = names.hits(found["results"], admin=caller.is_admin)
    return found
