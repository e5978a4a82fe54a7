"""Where a cited passage stands: the link to the original and the numbered citation behind an answer."""

from __future__ import annotations

from core.types import Citation, Hit


def document_url(doc_id: str, page: int | None = None) -> str:
    """The original file of a document, opened at a page where the viewer knows pages."""
    return f"/api/documents/{doc_id}/file" + (f"#page={page}" if page else "")


def citation(n: int, hit: Hit, quote: str) -> Citation:
    """Citation number `n`: where the passage of `hit` stands, with the quoted text."""
    return Citation(
        n=n,
        doc_id=hit.doc_id,
        chunk_id=hit.chunk_id,
        title=hit.title,
        municipality=hit.municipality,
        year=hit.year,
        page=hit.page,
        section=hit.section,
        quote=quote,
        url=document_url(hit.doc_id, hit.page),
    )
