"""The document viewer's page, /vis/{doc_id}: static; it reads the document through the API with the caller's key."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

router = APIRouter(tags=["dokumenter"])
PAGE = Path(__file__).parent / "static" / "viewer.html"


@router.get(
    "/vis/{doc_id}",
    summary="Dokumentfremviseren: PDF på den citerede side med citatet fremhævet (side=N, citat=…)",
    response_class=FileResponse,
)
def viewer(doc_id: str) -> FileResponse:
    """The page is the same for every document, so it tells nothing about which exist: the document, its
    text and its file come from the API, which checks the key."""
    return FileResponse(PAGE, media_type="text/html")
