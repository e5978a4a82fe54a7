"""Routes for documents: the list, one document with its sources and chunks, its original file, similar ones."""

from __future__ import annotations

import dataclasses
import json
import mimetypes
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse, PlainTextResponse, Response

from api.auth import Reader
from api.deps import get_engine, get_filters
from broker.access import Principal
from broker.compare import similar_documents
from broker.search import Engine
from core.errors import NotFound
from core.types import SearchFilters, Source

router = APIRouter(tags=["dokumenter"])


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
        sources = [dataclasses.asdict(s) for s in engine.store.sources_of(doc_id)]
        chunks = [dataclasses.asdict(c) for c in engine.store.chunks_of(doc_id)]
    for chunk in chunks:
        chunk.pop("text_hash", None)
    return {**doc, "sources": sources, "chunks": chunks, "file_url": f"/api/documents/{doc_id}/file"}


def _record_text(source: Source) -> str | None:
    """The text of one record of a JSON Lines export, found by its id."""
    with Path(source.path).open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if isinstance(item, dict) and str(item.get("id")) == source.record_id:
                head = " · ".join(str(item[f]) for f in ("title", "committee", "date") if item.get(f))
                return f"{head}\n\n{item.get('text', '')}"
    return None


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
        if not path.is_file():
            continue
        if source.record_id is not None:
            text = _record_text(source)
            if text is not None:
                return PlainTextResponse(text)
            continue
        media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        response = FileResponse(path, media_type=media, filename=path.name, content_disposition_type="inline")
        # An original may be a web page with scripts: it opens sandboxed, never with the service's origin.
        response.headers["Content-Security-Policy"] = "sandbox"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
    raise NotFound("Originalfilen findes ikke længere på den gemte placering.")


@router.get("/api/documents/{doc_id}/similar", summary="Lignende praksis fra andre kommuner")
def similar(
    doc_id: str,
    engine: Annotated[Engine, Depends(get_engine)],
    filters: Annotated[SearchFilters, Depends(get_filters)],
    k: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict[str, Any]:
    """De dokumenter fra andre kommuner, der i betydning ligger tættest på dette."""
    return similar_documents(engine, doc_id, k=k, filters=filters)
