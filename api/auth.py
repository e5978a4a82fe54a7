"""Who is calling: the API key from `Authorization: Bearer …` or `X-API-Key`, checked for read or admin rights."""

from __future__ import annotations

from typing import Annotated

from fastapi import Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import Headers

from broker.access import KeyRing, Principal
from core.errors import Forbidden

bearer = HTTPBearer(
    auto_error=False, description="API-nøglen som `Authorization: Bearer <nøgle>`.", scheme_name="nøgle"
)
api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="API-nøglen i headeren X-API-Key.",
    scheme_name="X-API-Key",
)


def presented_key(headers: Headers) -> str | None:
    """The key a request carries: a Bearer token, else X-API-Key; other Authorization schemes are ignored."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return headers.get("x-api-key", "").strip() or None


def keyring(request: Request) -> KeyRing:
    ring: KeyRing = request.app.state.keyring
    return ring


async def reader(
    request: Request,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)] = None,
    _header: Annotated[str | None, Security(api_key_header)] = None,
) -> Principal:
    """A caller who may read: anyone while reads are open, else any valid key."""
    return keyring(request).authorize(presented_key(request.headers))


async def admin(
    request: Request,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)] = None,
    _header: Annotated[str | None, Security(api_key_header)] = None,
) -> Principal:
    """A caller with an admin key: required by every endpoint that changes something."""
    return keyring(request).authorize(presented_key(request.headers), admin=True)


async def admin_reader(
    request: Request,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)] = None,
    _header: Annotated[str | None, Security(api_key_header)] = None,
) -> Principal:
    """A caller who may see what only admins see (the sources and their folders): an admin key. A read, so a
    refusal speaks of seeing, not of changes being switched off."""
    ring = keyring(request)
    try:
        return ring.authorize(presented_key(request.headers), admin=True)
    except Forbidden:
        why = "" if ring.has_admin else ": der er ingen administratornøgle sat op"
        raise Forbidden(f"Kilderne og genindekseringen kan kun ses med en administratornøgle{why}.") from None


Reader = Annotated[Principal, Security(reader)]
Admin = Annotated[Principal, Security(admin)]
AdminReader = Annotated[Principal, Security(admin_reader)]
