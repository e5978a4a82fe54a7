"""Routes that change something (upload, delete, mark internal, sources, re-index): all need an admin key."""

from __future__ import annotations

import logging
import threading
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.auth import Admin, AdminReader
from api.deps import get_engine
from api.errors import error_response
from broker.reindex import LAST_REINDEX, list_sources, reindex
from broker.reports import report_dict
from broker.search import Engine
from broker.uploads import (
    Incoming,
    create_source,
    delete_document,
    delete_source,
    set_internal,
    store_uploads,
)
from broker.web_sources import add_web_source
from core.errors import BrokerError, IndexBusy, InvalidQuery
from core.settings import Settings
from index.embed import Embedder
from index.lock import WriteLock

log = logging.getLogger("vidensmaegler.admin")
router = APIRouter(tags=["administration"])


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]


@router.post(
    "/api/documents",
    summary="Upload dokumenter til en kilde",
    status_code=201,
    responses={
        200: {"description": "Intet nyt: filerne var allerede indlæst"},
        422: {"description": "Alle filer blev afvist"},
    },
)
def upload(
    who: Admin,
    settings: SettingsDep,
    engine: EngineDep,
    files: Annotated[
        list[UploadFile], File(description="Én eller flere filer (PDF, Word, HTML, tekst, JSON Lines).")
    ],
    source: Annotated[
        str, Form(min_length=1, max_length=80, description="Kildens navn (mappe under data/uploads).")
    ] = "uploads",
    internal: Annotated[bool, Form(description="Markér dokumenterne som interne.")] = False,
) -> JSONResponse:
    """Indlæser filerne i kilden (mappen oprettes og registreres ved behov) og svarer med indlæsningsrapporten,
    samme form som `broker ingest --json`. Filtypen afgøres af indholdet; afviste filer står under `failed`."""
    incoming = [Incoming(f.filename or "", f.file) for f in files]
    report = report_dict(store_uploads(settings, engine.embedder, source, incoming, internal=internal))
    counts = report["counts"]
    log.info("upload til %s af %s: %s", source, who.name, counts)
    if counts["added"] or counts["updated"] or counts["renamed"]:
        return JSONResponse(report, status_code=201)
    if counts["failed"] and not counts["unchanged"]:
        first = report["failed"][0]
        return error_response(422, first["reason"], "BadFile", **report)
    return JSONResponse(report, status_code=200)


class DocumentPatch(BaseModel):
    internal: bool = Field(description="true: kun for nøgler, der må se interne dokumenter.")


@router.patch("/api/documents/{doc_id}", summary="Markér et dokument som internt eller offentligt")
def patch_document(doc_id: str, body: DocumentPatch, who: Admin, settings: SettingsDep) -> dict[str, Any]:
    doc = set_internal(settings, doc_id, body.internal)
    log.info("dokument %s internal=%s af %s", doc_id, body.internal, who.name)
    return doc


@router.delete("/api/documents/{doc_id}", summary="Slet et dokument overalt (og dets uploadede fil)")
def remove_document(doc_id: str, who: Admin, settings: SettingsDep) -> dict[str, Any]:
    """Fjerner dokumentet fra databasen, ordindekset og vektorerne. En uploadet fil slettes; en fil uden for
    data/uploads røres ikke, men dokumentet kommer ikke tilbage ved genindeksering."""
    result = delete_document(settings, doc_id)
    log.info("dokument %s slettet af %s", doc_id, who.name)
    return result


class SourceIn(BaseModel):
    name: str = Field(min_length=1, max_length=80, examples=["boern-og-familie"])
    internal: bool = False
    # A web source: harvested from this start URL at every re-index (see README, "Websider som kilder").
    url: str | None = Field(
        default=None, max_length=2000, examples=["https://www.eksempel.dk/born-og-familie"]
    )
    max_pages: int | None = Field(default=None, ge=1, le=100_000)
    max_depth: int | None = Field(default=None, ge=0, le=50)
    include: list[str] = Field(default_factory=list, max_length=50)
    exclude: list[str] = Field(default_factory=list, max_length=50)
    hosts: list[str] = Field(default_factory=list, max_length=20)
    kommune: str | None = Field(default=None, max_length=80)


@router.get("/api/sources", summary="Registrerede kilder")
def sources(_: AdminReader, settings: SettingsDep) -> dict[str, Any]:
    return {"sources": list_sources(settings)}


@router.post("/api/sources", summary="Opret en upload- eller webkilde", status_code=201)
def add_source(body: SourceIn, who: Admin, settings: SettingsDep) -> dict[str, Any]:
    """Opretter mappen data/uploads/NAVN og registrerer den til genindeksering. Mapper uden for datamappen
    registreres kun på kommandolinjen (`broker sources add`). Med `url` registreres et websted, der høstes
    ved hver genindeksering (kopier gemmes i data/web/NAVN)."""
    if body.url is not None:
        created = add_web_source(
            settings,
            body.url,
            body.name,
            body.internal,
            max_pages=body.max_pages,
            max_depth=body.max_depth,
            include=body.include,
            exclude=body.exclude,
            hosts=body.hosts,
            kommune=body.kommune,
        )
        log.info("webkilde %s oprettet af %s", created["name"], who.name)
        return created
    created = create_source(settings, body.name, internal=body.internal)
    log.info("kilde %s oprettet af %s", created["name"], who.name)
    return created


@router.delete("/api/sources/{name}", summary="Afregistrér en kilde og fjern dens dokumenter")
def remove_source(name: str, who: Admin, settings: SettingsDep, engine: EngineDep) -> dict[str, Any]:
    report = report_dict(delete_source(settings, name, engine.embedder))
    log.info("kilde %s fjernet af %s", name, who.name)
    return report


class ReindexJob:
    """At most one background re-index per process; the data directory's lock keeps it to one overall."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self.running = False
        self.started: float | None = None
        self.finished: float | None = None
        self.error: str | None = None
        self.report: dict[str, Any] | None = None

    def start(self, settings: Settings, embedder: Embedder) -> None:
        with self._guard:
            if self.running:
                raise IndexBusy("En genindeksering kører allerede. Prøv igen, når den er færdig.")
            if not list_sources(settings):
                raise InvalidQuery("Der er ingen registrerede kilder. Opret en med POST /api/sources.")
            lock = WriteLock(settings.lock_path)
            lock.__enter__()  # taken here, so a busy index is a 409 now; released by the job
            self.running, self.started, self.finished, self.error = True, time.time(), None, None
        threading.Thread(
            target=self._run, args=(settings, embedder, lock), daemon=True, name="reindex"
        ).start()

    def _run(self, settings: Settings, embedder: Embedder, lock: WriteLock) -> None:
        try:
            self.report = report_dict(reindex(settings, embedder, locked=True))
        except BrokerError as exc:
            self.error = exc.message
        except Exception:
            log.exception("genindeksering fejlede")
            self.error = "Genindekseringen fejlede med en intern fejl; se tjenestens log."
        finally:
            lock.__exit__(None, None, None)
            self.running, self.finished = False, time.time()

    def status(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "started": self.started,
            "finished": self.finished,
            "error": self.error,
            "report": self.report,
        }


@router.post("/api/reindex", summary="Start en genindeksering af alle kilder", status_code=202)
def start_reindex(request: Request, who: Admin, settings: SettingsDep, engine: EngineDep) -> dict[str, Any]:
    """Kører i baggrunden; følg den med GET /api/reindex. Kører der allerede en indeksering: 409."""
    job: ReindexJob = request.app.state.reindex_job
    job.start(settings, engine.embedder)
    log.info("genindeksering startet af %s", who.name)
    return {"status": "startet", "status_url": "/api/reindex"}


@router.get("/api/reindex", summary="Status for genindeksering")
def reindex_status(request: Request, _: AdminReader, engine: EngineDep) -> dict[str, Any]:
    job: ReindexJob = request.app.state.reindex_job
    with engine.store.snapshot():
        last = engine.store.get_json(LAST_REINDEX)
    return {**job.status(), "last_reindex": last}
