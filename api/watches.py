"""Routes for saved searches: each key holder sees and changes their own; an admin sees everyone's."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.auth import Reader
from broker.access import Principal
from broker.watches import add_watch, list_watches, parse_since, remove_watch, watch_news
from core.settings import Settings
from core.types import SearchFilters
from language.filters import resolve_filters

router = APIRouter(tags=["overvågning"])
ANONYMOUS_OWNER = "anonym"  # reads open to all (no reader keys): one shared owner


def owner_of(caller: Principal) -> str:
    return caller.name or ANONYMOUS_OWNER


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _owner(caller: Principal, owner: str | None) -> str:
    """Whose watch a request means: the caller's own; an admin may name another owner."""
    return owner if owner and caller.is_admin else owner_of(caller)


def summary_for(settings: Settings, caller: Principal) -> list[dict[str, Any]]:
    """The caller's watches (an admin: everyone's) with the number each found in its last run."""
    return list_watches(settings, None if caller.is_admin else owner_of(caller))


class WatchIn(BaseModel):
    name: str = Field(min_length=1, max_length=80, examples=["familiebehandling"])
    query: str = Field(min_length=1, max_length=2000, examples=["familiebehandling i hjemmet"])
    kommuner: list[str] = Field(default_factory=list, max_length=100)
    regions: list[str] = Field(default_factory=list, max_length=10)
    types: list[str] = Field(default_factory=list, max_length=20)
    year_from: int | None = Field(default=None, ge=1900, le=2100)
    year_to: int | None = Field(default=None, ge=1900, le=2100)
    mode: Literal["hybrid", "dense", "lexical"] = "hybrid"


@router.get("/api/watches", summary="Mine overvågninger (admin: alle)")
def watches(request: Request, caller: Reader) -> dict[str, Any]:
    """Hver overvågning med antal nye eller ændrede dokumenter ved seneste kørsel (`new`)."""
    return {"watches": summary_for(_settings(request), caller)}


@router.post("/api/watches", summary="Gem en søgning som overvågning", status_code=201)
def create_watch(body: WatchIn, request: Request, caller: Reader) -> dict[str, Any]:
    """Overvågningen ser på alt, der indekseres herefter, med de filtre og den ret til interne dokumenter,
    nøglen har nu."""
    filters = resolve_filters(
        SearchFilters(
            kommuner=body.kommuner,
            regions=body.regions,
            types=body.types,
            year_from=body.year_from,
            year_to=body.year_to,
        )
    )
    return add_watch(
        _settings(request),
        body.name,
        body.query,
        filters,
        owner=owner_of(caller),
        role=caller.role or "reader",
        mode=body.mode,
    )


@router.delete("/api/watches/{name}", summary="Slet en overvågning")
def delete_watch(
    name: str,
    request: Request,
    caller: Reader,
    owner: Annotated[str | None, Query(max_length=200, description="Ejerens navn (kun admin).")] = None,
) -> JSONResponse:
    remove_watch(_settings(request), name, _owner(caller, owner))
    return JSONResponse({"deleted": name})


@router.get("/api/watches/{name}/news", summary="Nye og ændrede dokumenter for en overvågning")
def news(
    name: str,
    request: Request,
    caller: Reader,
    since: Annotated[
        str | None,
        Query(max_length=40, description="Fra og med dato (2025-03-01); standard: seneste kørsel."),
    ] = None,
    owner: Annotated[str | None, Query(max_length=200, description="Ejerens navn (kun admin).")] = None,
) -> dict[str, Any]:
    """Dokumenterne, overvågningen fandt, nyeste først; kun dem, nøglen må se nu."""
    return watch_news(
        _settings(request),
        name,
        _owner(caller, owner),
        since=parse_since(since),
        include_internal=caller.sees_internal,
    )
