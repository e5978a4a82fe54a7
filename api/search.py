"""Routes for searching, asking, comparing, and the service's status."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.auth import Reader
from api.deps import get_answerer, get_engine, get_filters
from api.watches import summary_for
from broker.answers.extractive import Answerer
from broker.comparison.columns import compare as compare_practice
from broker.indexing import LAST_INGEST
from broker.paths import SourcePaths
from broker.reindex import LAST_REINDEX
from broker.report_views import report_view
from broker.reports import result_dict
from broker.search import MAX_K, Engine
from core.types import SearchFilters
from index.generations import current_generation
from language.filters import filters_from_input

router = APIRouter()
log = logging.getLogger("vidensmaegler.api")

Mode = Literal["hybrid", "dense", "lexical"]


@router.get("/api/search", tags=["søgning"], summary="Søg i dokumenterne")
def search(
    engine: Annotated[Engine, Depends(get_engine)],
    filters: Annotated[SearchFilters, Depends(get_filters)],
    caller: Reader,
    q: Annotated[
        str, Query(min_length=1, max_length=2000, description="Søgningen.", examples=["familiebehandling"])
    ],
    k: Annotated[int, Query(ge=1, le=MAX_K, description="Antal resultater.")] = 10,
    mode: Annotated[Mode, Query(description="Søgetilstand.")] = "hybrid",
    collapse: Annotated[bool, Query(description="Kun bedste tekststykke pr. dokument.")] = False,
) -> dict[str, Any]:
    """Samme parametre og svar som `broker search --json`, plus facetter og `matched`.

    `facets` tæller dokumenter pr. kommune, region, dokumenttype og år blandt de tætte træf (målt mod det
    bedste træf uden disse filtre); hvert felt tælles uden sit eget filter, så flere kommuner kan vælges.
    Et tal er det antal dokumenter, et klik på værdien giver: med et af disse filtre viser resultaterne kun
    de tætte træf (findes ingen, de nærmeste). `matched` er antallet af tætte træf med alle filtrene."""
    result = engine.search(q, k=k, mode=mode, filters=filters, collapse=collapse, facets=True)
    return result_dict(
        result, source_paths(engine, [hit.source for hit in result.results]), admin=caller.is_admin
    )


def source_paths(engine: Engine, sources: Iterable[str]) -> SourcePaths:
    """Shows the files of hits from `sources` (their server paths) by source name and path inside it; the
    server's paths are for admin only. Only these hits' web pages are read: an index may hold many."""
    pages = {source.partition("#")[0] for source in sources}
    return SourcePaths(engine.store.registered_sources(), engine.store.web_links(pages))


class AskRequest(BaseModel):
    question: str = Field(
        min_length=1, max_length=2000, examples=["Hvordan organiserer andre kommuner familiebehandling?"]
    )
    kommuner: list[str] | None = Field(
        default=None, description="Kun disse kommuner.", examples=[["Herning", "Aarhus"]], max_length=100
    )
    exclude_kommune: list[str] | str | None = Field(
        default=None, description="Udelad denne/disse kommuner (fx din egen).", max_length=100
    )
    region: list[str] | str | None = Field(default=None, examples=["Nordjylland"], max_length=100)
    type: list[str] | str | None = Field(default=None, examples=["kvalitetsstandard"], max_length=100)
    year_from: int | None = Field(default=None, ge=1900, le=2100)
    year_to: int | None = Field(default=None, ge=1900, le=2100)
    k: int = Field(
        default=20, ge=1, le=MAX_K, description="Antal tekststykker, svaret og oversigten bygger på."
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"question": "Hvilke kommuner har familiehuse med åben anonym rådgivning?"},
                {"question": "Hvad er sagstallet pr. rådgiver?", "exclude_kommune": "Herning", "k": 20},
            ]
        }
    }


def _listed(value: list[str] | str | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else value


@router.post("/api/ask", tags=["søgning"], summary="Stil et spørgsmål og få et svar med kildehenvisninger")
def ask(
    body: AskRequest, answerer: Annotated[Answerer, Depends(get_answerer)], caller: Reader
) -> dict[str, Any]:
    """Et kort dansk svar sammensat af det, de fundne tekster siger, med nummererede henvisninger [1], [2] …,
    og de bedste tekststykker grupperet pr. kommune. Findes intet relevant nok, er `answer` null med en grund."""
    filters = filters_from_input(
        kommuner=body.kommuner,
        exclude_kommuner=_listed(body.exclude_kommune),
        regions=_listed(body.region),
        types=_listed(body.type),
        year_from=body.year_from,
        year_to=body.year_to,
        include_internal=caller.sees_internal,
    )
    return dataclasses.asdict(answerer.ask(body.question, filters=filters, k=body.k))


@router.get("/api/compare", tags=["søgning"], summary="Sammenlign kommuner side om side")
def compare(
    engine: Annotated[Engine, Depends(get_engine)],
    caller: Reader,
    q: Annotated[str, Query(min_length=1, max_length=2000, examples=["fremskudt indsats på skolerne"])],
    kommune: Annotated[list[str], Query(description="2-6 kommuner.", examples=[["Herning", "Hjørring"]])],
    k: Annotated[int, Query(ge=1, le=20)] = 3,
    mode: Annotated[Mode, Query()] = "hybrid",
) -> dict[str, Any]:
    """For hver kommune dens bedste tekststykker om emnet, i kolonner."""
    result = compare_practice(engine, q, kommune, k=k, mode=mode, include_internal=caller.sees_internal)
    paths = source_paths(engine, (hit["source"] for column in result["columns"] for hit in column["results"]))
    for column in result["columns"]:
        column["results"] = paths.hits(column["results"], admin=caller.is_admin)
    return result


@router.get("/api/municipalities", tags=["dokumenter"], summary="Kommuner med dokumenter")
def municipalities(engine: Annotated[Engine, Depends(get_engine)], caller: Reader) -> dict[str, Any]:
    with engine.store.snapshot():
        rows = engine.store.municipalities(include_internal=caller.sees_internal)
    return {"municipalities": [{"name": n, "region": r, "documents": c} for n, r, c in rows]}


@router.get("/api/stats", tags=["drift"], summary="Indeksets størrelse og seneste genindeksering")
def stats(engine: Annotated[Engine, Depends(get_engine)], caller: Reader) -> dict[str, Any]:
    """Tal for de dokumenter, nøglen må se; interne dokumenter tælles kun med for nøgler, der må se dem."""
    store = engine.store
    with store.snapshot():
        counts = store.counts(include_internal=caller.sees_internal)
        index = engine.vectors()
        hidden_chunks = 0 if caller.sees_internal else store.counts()["chunks"] - counts["chunks"]
        last = report_view(
            store.get_json(LAST_REINDEX), admin=caller.is_admin, sees_internal=caller.sees_internal
        )
        ingest = report_view(
            store.get_json(LAST_INGEST), admin=caller.is_admin, sees_internal=caller.sees_internal
        )
        return {
            **counts,
            "embedder": store.get_meta("embedder_spec"),
            "embedder_id": store.get_meta("embedder_id"),
            "dimensions": int(store.get_meta("embedder_dim", "0") or 0),
            "vectors": max(len(index) - hidden_chunks, 0) if index is not None else 0,
            "index_kind": index.kind if index is not None else None,
            "generation": current_generation(store),
            "last_reindex": last,
            "last_ingest": ingest,  # the latest run of either kind: `broker ingest`, an upload or a re-index
            "watches": summary_for(engine.settings, caller),
        }


@router.get("/healthz", tags=["drift"], summary="Processen lever")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", tags=["drift"], summary="Indekset er indlæst og søgbart")
def readyz(engine: Annotated[Engine, Depends(get_engine)]) -> JSONResponse:
    try:
        with engine.store.snapshot():
            documents = engine.store.counts(include_internal=False)["documents"]
            ready = documents == 0 or engine.vectors() is not None
    except Exception:  # any failure here means "not ready"; the cause goes to the log, never to the caller
        log.exception("readyz: indekset kan ikke læses")
        return JSONResponse({"ready": False, "error": "Indekset kan ikke læses."}, status_code=503)
    return JSONResponse({"ready": ready, "documents": documents}, status_code=200 if ready else 503)
