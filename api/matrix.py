"""Routes for the practice matrix (aspects × municipalities) and its exports as CSV and as a Word note."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.auth import Reader
from api.deps import get_engine, get_filters
from broker.comparison.matrix import MAX_NOTE_ITEMS, compare_matrix, note_items
from broker.comparison.note_docx import matrix_csv, matrix_docx, note_docx
from broker.search import Engine, validate_query
from core.errors import InvalidQuery
from core.types import SearchFilters

router = APIRouter()

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
Topic = Annotated[
    str, Query(min_length=1, max_length=2000, description="Emnet.", examples=["familiebehandling"])
]
Columns = Annotated[
    list[str], Query(description="2-6 kommuner (kolonnerne).", examples=[["Vesthimmerland", "Lolland"]])
]
Aspects = Annotated[
    list[str] | None,
    Query(description="Kun disse aspekter (rækkerne), fx lovgrundlag.", examples=[["lovgrundlag"]]),
]


def _matrix(
    engine: Engine, filters: SearchFilters, q: str, kommune: list[str], aspect: list[str] | None
) -> Any:
    return compare_matrix(engine, q, kommune, aspects=aspect, filters=filters)


@router.get(
    "/api/compare/matrix", tags=["søgning"], summary="Sammenlign praksis som matrix: aspekter × kommuner"
)
def matrix(
    engine: Annotated[Engine, Depends(get_engine)],
    filters: Annotated[SearchFilters, Depends(get_filters)],
    q: Topic,
    kommune: Columns,
    aspect: Aspects = None,
) -> dict[str, Any]:
    """For hvert aspekt (målgruppe, lovgrundlag, omfang og varighed …) og hver kommune det bedste tekststykke om
    emnet med kildehenvisning og de tal, der står i det (varigheder, frister, sagstal, beløb, §§). En celle er
    tom (`passage: null`), når intet tekststykke handler tydeligt nok om både emnet og aspektet."""
    return dict(_matrix(engine, filters, q, kommune, aspect))


def _attachment(content: bytes | str, media_type: str, name: str) -> Response:
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get("/api/compare/matrix.csv", tags=["søgning"], summary="Matrixen som CSV")
def matrix_as_csv(
    request: Request,
    engine: Annotated[Engine, Depends(get_engine)],
    filters: Annotated[SearchFilters, Depends(get_filters)],
    q: Topic,
    kommune: Columns,
    aspect: Aspects = None,
) -> Response:
    """Én linje pr. celle: aspekt, kommune, tal, citat, dokument, titel, år, side, afsnit og link."""
    found = _matrix(engine, filters, q, kommune, aspect)
    return _attachment(
        matrix_csv(found, str(request.base_url)), "text/csv; charset=utf-8", "sammenligning.csv"
    )


@router.get("/api/compare/matrix.docx", tags=["søgning"], summary="Matrixen som vidensnotat (Word)")
def matrix_as_docx(
    request: Request,
    engine: Annotated[Engine, Depends(get_engine)],
    filters: Annotated[SearchFilters, Depends(get_filters)],
    q: Topic,
    kommune: Columns,
    aspect: Aspects = None,
) -> Response:
    """Et dansk notat med spørgsmålet, datoen, matrixen og hvert citat med fuld kildehenvisning."""
    found = _matrix(engine, filters, q, kommune, aspect)
    return _attachment(matrix_docx(found, str(request.base_url)), DOCX, "sammenligning.docx")


NOTE_ITEM = re.compile(r"^(\d{1,18})(?::(.{1,100}))?$", re.S)


@router.get("/api/compare/note.docx", tags=["søgning"], summary="Et notat af udvalgte tekststykker (Word)")
def note_as_docx(
    request: Request,
    engine: Annotated[Engine, Depends(get_engine)],
    caller: Reader,
    q: Annotated[str, Query(min_length=1, max_length=2000, description="Notatets spørgsmål eller emne.")],
    item: Annotated[
        list[str],
        Query(
            max_length=MAX_NOTE_ITEMS,
            description="Tekststykker som chunk_id eller chunk_id:aspekt, fx 42:lovgrundlag (gentages).",
            examples=[["42:lovgrundlag"]],
        ),
    ],
) -> Response:
    """Tekststykkerne læses igen fra indekset; et tekststykke, nøglen ikke må se, kommer ikke med."""
    refs = []
    for value in item:
        match = NOTE_ITEM.match(value.strip())
        if match is None:
            raise InvalidQuery(f"Ugyldigt tekststykke »{value[:40]}«: skriv chunk_id eller chunk_id:aspekt.")
        refs.append({"chunk_id": int(match.group(1)), "aspect": match.group(2)})
    items = note_items(engine, refs, include_internal=caller.sees_internal)
    question = validate_query(q)
    note = note_docx(question, engine.today().isoformat(), items, str(request.base_url))
    return _attachment(note, DOCX, "notat.docx")
