"""The one JSON error body of the API, `{"error": <Danish message>, "type": <kind>}`, for handlers and middleware."""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import JSONResponse

from core.errors import BrokerError


def error_body(message: str, kind: str, **extra: Any) -> dict[str, Any]:
    """The error body every failing request gets; `kind` names the error type (e.g. "InvalidQuery")."""
    return {**extra, "error": message, "type": kind}


def error_response(status: int, message: str, kind: str, **extra: Any) -> JSONResponse:
    return JSONResponse(error_body(message, kind, **extra), status_code=status)


def broker_error_response(exc: BrokerError) -> JSONResponse:
    return error_response(exc.http_status, exc.message, type(exc).__name__)


def error_bytes(message: str, kind: str) -> bytes:
    """The body as bytes, for middleware that answers before the app runs."""
    return json.dumps(error_body(message, kind), ensure_ascii=False).encode("utf-8")
