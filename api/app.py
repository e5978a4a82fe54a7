"""The FastAPI application: the engine is loaded once at start-up and shared through app state."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import admin, documents, matrix, search, viewer, watches
from api.docs import add_docs
from api.errors import broker_error_response, error_response
from api.middleware import AccessLog, RequestLimits, SecurityHeaders
from api.validation import describe
from broker.access import KeyRing
from broker.answers.extractive import Answerer
from broker.search import Engine
from broker.search.loaded import Preloader
from core.errors import BrokerError
from core.settings import Settings
from index.embed import Embedder

log = logging.getLogger("vidensmaegler.api")
STATIC = Path(__file__).parent / "static"

DESCRIPTION = """
Søgning og spørgsmål/svar i kommunale praksisdokumenter på børne- og familieområdet.

Find sammenlignelig praksis: *hvordan gør andre kommuner med familiebehandling, den fremskudte indsats
på skolerne eller åben anonym rådgivning?* Alle svar henviser til dokument, kommune, år og side.
"""


def create_app(settings: Settings, *, embedder: Embedder | None = None) -> FastAPI:
    """Build the app for one data directory. The index and the model load once, at start-up.

    The keys are read here, so a bad key configuration stops the service before it serves anything."""
    keyring = KeyRing.from_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = Engine(settings, embedder=embedder)
        engine.embedder  # noqa: B018 - load the model now, not on the first request
        with contextlib.suppress(BrokerError):  # a damaged index: the searches say so in Danish, as before
            engine.preload()  # the index now too: the first search is then as fast as any
        preloader = Preloader(engine.loaded, settings.preload_interval_s)
        preloader.start()
        app.state.engine = engine
        app.state.answerer = Answerer(engine, settings)
        yield
        preloader.stop()
        engine.close()

    app = FastAPI(
        title="Vidensmægler",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served from the package's own assets by add_docs, not from a CDN
        redoc_url=None,
        openapi_tags=[
            {"name": "søgning", "description": "Søg, spørg og sammenlign praksis."},
            {"name": "dokumenter", "description": "Dokumenter, kilder og originalfiler."},
            {"name": "drift", "description": "Status og sundhed."},
            {"name": "overvågning", "description": "Gemte søgninger og deres nye dokumenter."},
            {
                "name": "administration",
                "description": "Upload, sletning, kilder og genindeksering (admin-nøgle).",
            },
        ],
    )
    app.state.keyring = keyring
    app.state.settings = settings
    app.state.reindex_job = admin.ReindexJob()

    @app.exception_handler(BrokerError)
    async def broker_error(_: Request, exc: BrokerError) -> JSONResponse:
        return broker_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, describe(exc.errors()), "InvalidQuery")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = {
            400: "Forespørgslen kunne ikke læses.",
            404: "Siden findes ikke.",
            405: "Metoden er ikke tilladt her.",
        }.get(exc.status_code, exc.detail)
        # A body that turns out too large while it streams is the same error as one declared too large.
        kind = "TooLarge" if exc.status_code == 413 else "HTTPError"
        return error_response(exc.status_code, message, kind)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("Uventet fejl", exc_info=exc)
        return error_response(500, "Der skete en intern fejl. Prøv igen.", "InternalError")

    app.include_router(search.router)
    app.include_router(matrix.router)
    app.include_router(documents.router)
    app.include_router(admin.router)
    app.include_router(watches.router)
    app.include_router(viewer.router)
    add_docs(app)
    add_api_fallback(app, [search.router, documents.router, admin.router, watches.router])
    # Outermost last: the access log sees every response, headers go on every response, limits come first.
    upload_bytes = int(settings.upload_max_mb * settings.upload_max_files * 1024 * 1024) + 1024 * 1024
    app.add_middleware(
        RequestLimits,
        keyring=keyring,
        default_bytes=settings.max_request_kb * 1024,
        upload_bytes=upload_bytes,
    )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(AccessLog, keyring=keyring)
    if STATIC.is_dir():
        app.mount("/", StaticFiles(directory=STATIC, html=True), name="web")
    return app


def add_api_fallback(app: FastAPI, routers: list[APIRouter]) -> None:
    """Under /api/ a path that exists with another method answers 405 with Allow, others 404, both as JSON;
    without this the web page's static mount answers them with 404."""
    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    @app.api_route("/api/{rest:path}", methods=methods, include_in_schema=False)
    async def no_such_route(request: Request, rest: str) -> JSONResponse:
        path = request.url.path
        allowed = sorted(
            {
                method
                for router in routers
                for route in router.routes
                if isinstance(route, APIRoute) and route.path_regex.match(path)
                for method in route.methods or ()
            }
        )
        if allowed:
            return JSONResponse(
                {"error": "Metoden er ikke tilladt her.", "type": "HTTPError"},
                status_code=405,
                headers={"allow": ", ".join(allowed)},
            )
        return JSONResponse({"error": "Siden findes ikke.", "type": "HTTPError"}, status_code=404)
