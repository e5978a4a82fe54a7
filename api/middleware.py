"""ASGI middleware: security headers, request body limits, and an access log without keys or query strings."""

from __future__ import annotations

import logging
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import presented_key
from api.errors import error_bytes
from broker.access import KeyRing
from core.errors import BrokerError

access_log = logging.getLogger("vidensmaegler.access")

UPLOAD_ROUTE = ("POST", "/api/documents")
CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# The interactive docs (api/docs.py) load Swagger UI / ReDoc from the service itself and start them with an
# inline script; ReDoc renders in a blob worker. Nothing is fetched from another host.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect", "/redoc")
HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


async def send_error(send: Send, status: int, message: str, kind: str) -> None:
    """A JSON error in the app's shape, sent straight from a middleware."""
    body = error_bytes(message, kind)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """Headers a browser needs to keep the page and the API safe; a route's own CSP (e.g. sandbox) is kept."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("content-security-policy", DOCS_CSP if path in DOCS_PATHS else CSP)
                if path.startswith("/api/"):  # answers may hold internal documents: never in a shared cache
                    headers.setdefault("cache-control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RequestLimits:
    """Caps every request body; only an upload with an admin key may be large, checked before it is read."""

    def __init__(self, app: ASGIApp, *, keyring: KeyRing, default_bytes: int, upload_bytes: int) -> None:
        self.app = app
        self.keyring = keyring
        self.default_bytes = default_bytes
        self.upload_bytes = upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit = self.default_bytes
        if (scope["method"], scope["path"].rstrip("/")) == UPLOAD_ROUTE:
            try:
                self.keyring.authorize(presented_key(headers), admin=True)
            except BrokerError as exc:  # refused before a byte of the upload is read
                await send_error(send, exc.http_status, exc.message, type(exc).__name__)
                return
            limit = self.upload_bytes
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                await send_error(send, 400, "Ugyldig Content-Length.", "InvalidQuery")
                return
            if int(declared) > limit:
                await send_error(send, 413, too_large(limit), "TooLarge")
                return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # answered as TooLarge, like a body declared too large (api/app.py)
                    raise HTTPException(413, too_large(limit))
            return message

        await self.app(scope, limited, send)


def too_large(limit: int) -> str:
    size = f"{limit / 1024 / 1024:.0f} MB" if limit >= 1024 * 1024 else f"{limit // 1024} kB"
    return f"Forespørgslen er for stor (grænsen er {size})."


def _printable(text: str, limit: int = 300) -> str:
    return "".join(c if c.isprintable() else "?" for c in text[:limit])


class AccessLog:
    """One line per request: client, method, path, status, time and the key's name; never a key or a query
    string (queries may name children and families)."""

    def __init__(self, app: ASGIApp, *, keyring: KeyRing) -> None:
        self.app = app
        self.keyring = keyring

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            level = logging.WARNING if status in (401, 403) else logging.INFO  # refused access stands out
            if access_log.isEnabledFor(level):
                key = presented_key(Headers(scope=scope))
                entry = self.keyring.identify(key) if key else None
                who = entry.name if entry else ("ugyldig-nøgle" if key else "-")
                client = scope.get("client") or ("-", 0)
                access_log.log(
                    level,
                    "%s %s %s %d %.0fms %s",
                    client[0],
                    scope["method"],
                    _printable(scope["path"]),
                    status or 500,
                    (time.perf_counter() - started) * 1000,
                    who,
                )
