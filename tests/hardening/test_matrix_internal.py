"""Internal documents never reach a reader through the matrix, its exports or a note; they do with the right key."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from docx import Document

from core.settings import Settings
from index.embed import Embedder
from tests.api.conftest import serve
from tests.hardening.conftest import ADMIN, INTERNAL, READER, with_keys

pytestmark = pytest.mark.slow
PARAMS: list[tuple[str, str | int | float | bool | None]] = [
    ("q", "familiebehandling"),
    ("kommune", "Hjørring"),
    ("kommune", "Herning"),
]
TITLE = "Kvalitetsstandard for familiebehandling"


@pytest.fixture
def closed(private_index: tuple[Settings, Path], e5: Embedder) -> Iterator[httpx.Client]:
    settings = with_keys(private_index[0], readers=True)
    with serve(settings, e5) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


def everything(client: httpx.Client, headers: dict[str, str], chunk_id: int) -> str:
    """All the matrix surfaces as one text: JSON, CSV, DOCX and a note asking for the hidden passage."""
    parts = [client.get("/api/compare/matrix", params=PARAMS, headers=headers).text]
    parts.append(client.get("/api/compare/matrix.csv", params=PARAMS, headers=headers).text)
    for response in (
        client.get("/api/compare/matrix.docx", params=PARAMS, headers=headers),
        client.get(
            "/api/compare/note.docx",
            params={"q": "notat", "item": f"{chunk_id}:lovgrundlag"},
            headers=headers,
        ),
    ):
        assert response.status_code == 200
        doc = Document(io.BytesIO(response.content))
        parts += [p.text for p in doc.paragraphs]
        parts += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_an_internal_document_is_absent_from_matrix_exports_and_notes_for_a_reader(
    closed: httpx.Client,
) -> None:
    body = closed.get("/api/compare/matrix", params=PARAMS, headers=READER).json()
    law = next(r for r in body["rows"] if r["aspect"] == "lovgrundlag")["cells"][0]["passage"]
    assert law["title"] == TITLE
    doc_id, chunk_id = law["doc_id"], law["chunk_id"]
    assert doc_id in everything(closed, READER, chunk_id)

    assert closed.patch(f"/api/documents/{doc_id}", json={"internal": True}, headers=ADMIN).status_code == 200

    hidden = everything(closed, READER, chunk_id)
    for trace in (doc_id, TITLE, "seks til tolv", "§ 52, stk. 3, nr. 3"):
        assert trace not in hidden, trace
    allowed = everything(closed, INTERNAL, chunk_id)
    assert doc_id in allowed and TITLE in allowed
