"""Dependencies shared by the routes: the engine and answerer from app state, and the common filters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request

from api.auth import Reader
from broker.answers.extractive import Answerer
from broker.search import Engine
from core.types import SearchFilters
from language.filters import filters_from_input


async def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def get_answerer(request: Request) -> Answerer:
    answerer: Answerer = request.app.state.answerer
    return answerer


async def get_filters(
    caller: Reader,
    kommune: Annotated[
        list[str] | None, Query(description="Kun disse kommuner.", examples=["Hjørring"])
    ] = None,
    region: Annotated[
        list[str] | None, Query(description="Kun disse regioner.", examples=["Nordjylland"])
    ] = None,
    type: Annotated[
        list[str] | None,
        Query(description="Dokumenttyper, fx kvalitetsstandard.", examples=["kvalitetsstandard"]),
    ] = None,
    year_from: Annotated[int | None, Query(ge=1900, le=2100, description="Fra og med år.")] = None,
    year_to: Annotated[int | None, Query(ge=1900, le=2100, description="Til og med år.")] = None,
    language: Annotated[list[str] | None, Query(description="Sprog (ISO 639-1), fx da.")] = None,
) -> SearchFilters:
    """The filters of a read, with internal documents only for a caller who may see them."""
    return filters_from_input(
        kommuner=kommune,
        regions=region,
        types=type,
        year_from=year_from,
        year_to=year_to,
        languages=language,
        include_internal=caller.sees_internal,
    )
