"""Access control: open or keyed reads, admin-only writes, hashed keys compared in constant time, never logged."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from api.app import create_app
from api.auth import admin, admin_reader, reader
from broker import access
from broker.access import KeyConfigError, KeyRing, hash_key
from core.errors import Forbidden, Unauthorized
from core.settings import Settings
from index.embed import Embedder
from tests.api.conftest import serve
from tests.hardening.conftest import (
    ADMIN,
    ADMIN_KEY,
    INTERNAL,
    INTERNAL_KEY,
    READER,
    READER_KEY,
    with_keys,
)

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]

READS = [
    ("GET", "/api/search?q=familiebehandling"),
    ("POST", "/api/ask"),
    ("GET", "/api/compare?q=skole&kommune=Herning&kommune=Hjørring"),
    ("GET", "/api/documents"),
    ("GET", "/api/documents/findesikke"),
    ("GET", "/api/documents/findesikke/file"),
    ("GET", "/api/documents/findesikke/similar"),
    ("GET", "/api/municipalities"),
    ("GET", "/api/stats"),
]
WRITES = [
    ("POST", "/api/documents"),
    ("PATCH", "/api/documents/findesikke"),
    ("DELETE", "/api/documents/findesikke"),
    ("POST", "/api/reindex"),
    ("GET", "/api/reindex"),
    ("GET", "/api/sources"),
    ("POST", "/api/sources"),
    ("DELETE", "/api/sources/korpus"),
]


def call(
    client: httpx.Client, method: str, path: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    body: dict[str, object] | None = None
    files = None
    if path == "/api/ask":
        body = {"question": "familiebehandling"}
    elif method == "PATCH":
        body = {"internal": True}
    elif path == "/api/sources" and method == "POST":
        body = {"name": "ny"}
    if path == "/api/documents" and method == "POST":
        files = {"files": ("a.txt", b"Notat om unge i Viborg Kommune.")}
    return client.request(method, path, json=body, files=files, headers=headers)


@pytest.fixture(scope="module")
def closed(small_index: tuple[Settings, Path], e5: Embedder) -> Iterator[httpx.Client]:
    """Reads need a key; the shared small index is only read here (writes are all refused)."""
    with (
        serve(with_keys(small_index[0], readers=True), e5) as server,
        httpx.Client(base_url=server.url, timeout=60) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def open_reads(small_index: tuple[Settings, Path], e5: Embedder) -> Iterator[httpx.Client]:
    """No key configured at all: reads are open, and changes through the API are switched off."""
    with serve(small_index[0], e5) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


def test_reads_are_open_by_default_and_writes_are_off_without_an_admin_key(open_reads: httpx.Client) -> None:
    for method, path in READS:
        assert call(open_reads, method, path).status_code in (200, 404), path
    for method, path in WRITES:
        response = call(open_reads, method, path, ADMIN)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["type"] == "Forbidden"


def test_a_configured_reader_key_closes_every_read(closed: httpx.Client) -> None:
    for method, path in READS:
        anonymous = call(closed, method, path)
        assert anonymous.status_code == 401, (path, anonymous.text)
        assert anonymous.json() == {
            "error": "Kræver en API-nøgle (Authorization: Bearer … eller X-API-Key).",
            "type": "Unauthorized",
        }
        for headers in (READER, INTERNAL, ADMIN, {"Authorization": f"bearer {READER_KEY}"}):
            assert call(closed, method, path, headers).status_code in (200, 404), (path, headers)
    assert closed.get("/healthz").status_code == 200  # monitoring needs no key
    assert closed.get("/readyz").status_code == 200
    assert closed.get("/").status_code == 200  # the page itself; its API calls need the key


def test_wrong_keys_are_401_and_reader_keys_may_not_write(closed: httpx.Client) -> None:
    wrong = [
        {"Authorization": "Bearer forkert"},
        {"X-API-Key": "forkert"},
        {"Authorization": f"Bearer {READER_KEY[:-1]}"},
        {"Authorization": "Bearer " + "x" * 5000},
        {"X-API-Key": hash_key(READER_KEY)},  # the digest is not the key
    ]
    for headers in wrong:
        assert closed.get("/api/stats", headers=headers).status_code == 401, headers
    assert closed.get("/api/stats", params={"api_key": READER_KEY}).status_code == 401  # never in a URL
    for method, path in WRITES:
        for headers in ({}, {"Authorization": "Bearer forkert"}):
            assert call(closed, method, path, headers).status_code == 401, (method, path)
        for headers in (READER, INTERNAL):
            response = call(closed, method, path, headers)
            assert response.status_code == 403, (method, path, response.text)
            assert response.json()["type"] == "Forbidden"


def test_a_basic_authorization_header_is_no_key(closed: httpx.Client) -> None:
    assert closed.get("/api/stats", headers={"Authorization": "Basic dXNlcjpwYXNz"}).status_code == 401


def test_every_route_that_changes_something_needs_admin_and_every_read_a_reader(
    small_index: tuple[Settings, Path],
) -> None:
    """A guard over the route table: a new route without access control fails here."""
    app = create_app(small_index[0])
    open_paths = {"/healthz", "/readyz", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
    # The /api/ fallback only answers 404/405 for paths the public OpenAPI schema already lists, never data.
    open_paths.add("/api/{rest:path}")
    open_paths.add("/vis/{doc_id}")  # the viewer's static page: the document itself comes through the API
    checked = 0

    def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
        for route in routes:
            if isinstance(route, APIRoute):
                yield route
            elif hasattr(route, "original_router"):  # how this FastAPI keeps included routers
                yield from api_routes(route.original_router.routes)

    for route in api_routes(app.routes):
        if route.path in open_paths:
            continue

        def calls(dependant: object) -> set[object]:
            found = {getattr(dependant, "call", None)}
            for sub in getattr(dependant, "dependencies", []):
                found |= calls(sub)
            return found

        needed = calls(route.dependant)
        # Saved searches are each key holder's own: saving or deleting one changes nothing of the index.
        personal = ("/api/ask", "/api/watches", "/api/watches/{name}")
        if set(route.methods or ()) & {"POST", "PUT", "PATCH", "DELETE"} and route.path not in personal:
            assert admin in needed, route.path
        elif route.path in ("/api/reindex", "/api/sources"):  # reads of what only admins see
            assert admin_reader in needed, route.path
        else:
            assert reader in needed or admin in needed, route.path
        checked += 1
    assert checked >= 15


def test_keys_are_compared_in_constant_time_against_every_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    ring = KeyRing(
        [
            access.KeyEntry("a", "admin", bytes.fromhex(hash_key(ADMIN_KEY))),
            access.KeyEntry("b", "reader", bytes.fromhex(hash_key(READER_KEY))),
            access.KeyEntry("c", "internal", bytes.fromhex(hash_key(INTERNAL_KEY))),
        ]
    )
    compared: list[tuple[bytes, bytes]] = []
    real = access.hmac.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(access.hmac, "compare_digest", counting)
    assert ring.identify(ADMIN_KEY).name == "a"  # type: ignore[union-attr]
    assert len(compared) == 3  # no early exit on the first match
    compared.clear()
    assert ring.identify("forkert") is None and len(compared) == 3
    with pytest.raises(Unauthorized):
        ring.authorize("forkert")
    with pytest.raises(Forbidden):
        ring.authorize(READER_KEY, admin=True)
    assert ring.authorize(INTERNAL_KEY).sees_internal and not ring.authorize(READER_KEY).sees_internal


def test_keys_come_from_the_environment_or_a_keys_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BROKER_ADMIN_KEY_SHA256", hash_key(ADMIN_KEY).upper() + ", " + hash_key("to"))
    monkeypatch.setenv("BROKER_READER_KEY_SHA256", hash_key(READER_KEY))
    ring = KeyRing.from_settings(Settings(data_dir=tmp_path))
    assert ring.authorize(ADMIN_KEY, admin=True).is_admin and ring.authorize("to", admin=True).is_admin
    assert ring.reads_need_key
    monkeypatch.delenv("BROKER_ADMIN_KEY_SHA256")
    monkeypatch.delenv("BROKER_READER_KEY_SHA256")

    lines = tmp_path / "keys.jsonl"
    lines.write_text(
        "# nøglefil\n"
        + json.dumps({"name": "drift", "role": "admin", "sha256": hash_key(ADMIN_KEY)})
        + "\n"
        + json.dumps({"name": "sagsbehandlere", "role": "internal", "sha256": hash_key(INTERNAL_KEY)})
        + "\n",
        encoding="utf-8",
    )
    listed = tmp_path / "keys.json"
    listed.write_text(json.dumps([{"name": "læser", "role": "reader", "sha256": hash_key(READER_KEY)}]))
    toml = tmp_path / "keys.toml"
    toml.write_text(f'[[keys]]\nname = "drift"\nrole = "admin"\nsha256 = "{hash_key(ADMIN_KEY)}"\n')
    for path, key, role in (
        (lines, INTERNAL_KEY, "internal"),
        (listed, READER_KEY, "reader"),
        (toml, ADMIN_KEY, "admin"),
    ):
        ring = KeyRing.from_settings(Settings(data_dir=tmp_path, keys_file=path))
        assert ring.authorize(key).role == role, path

    for bad in (
        {"name": "x", "role": "admin", "sha256": ADMIN_KEY},  # a plain key is refused
        {"name": "x", "role": "gud", "sha256": hash_key(ADMIN_KEY)},
    ):
        lines.write_text(json.dumps(bad), encoding="utf-8")
        with pytest.raises(KeyConfigError) as caught:
            KeyRing.from_settings(Settings(data_dir=tmp_path, keys_file=lines))
        assert ADMIN_KEY not in caught.value.message  # not even a wrongly configured key is echoed
    with pytest.raises(KeyConfigError, match="kan ikke læses"):
        KeyRing.from_settings(Settings(data_dir=tmp_path, keys_file=tmp_path / "findes-ikke.jsonl"))


def test_broker_keys_hash_reads_the_key_from_stdin() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "broker.cli", "keys", "hash"],
        input=ADMIN_KEY + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert done.stdout.strip() == hash_key(ADMIN_KEY)
    assert ADMIN_KEY not in done.stdout + done.stderr
    empty = subprocess.run(
        [sys.executable, "-m", "broker.cli", "keys", "hash"],
        input="",
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert empty.returncode == 2 and "standard input" in empty.stderr


def access_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "vidensmaegler.access"]


def test_the_access_log_names_the_key_but_never_holds_a_key_or_a_query(
    closed: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="vidensmaegler.access"):
        closed.get(
            "/api/search", params={"q": "Peter Hansen 010203-1234", "api_key": READER_KEY}, headers=READER
        )
        closed.get("/api/stats", headers={"Authorization": "Bearer forkert-noegle-123"})
        closed.post("/api/ask", json={"question": "x"}, headers=INTERNAL)
        # The server logs a request once its response is sent, in its own thread: the last line may follow
        # the client's return by a moment (a bound on waiting, not a measured time).
        deadline = time.monotonic() + 10
        while len(access_lines(caplog)) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    lines = access_lines(caplog)
    text = "\n".join(lines)
    assert len(lines) >= 3
    assert "GET /api/search 200" in text and "reader-1" in text and "internal-1" in text
    assert "ugyldig-nøgle" in text and " 401 " in text
    for secret in (READER_KEY, INTERNAL_KEY, "forkert-noegle-123", "Peter", "010203", "api_key", "?"):
        assert secret not in text, secret


def test_responses_carry_security_headers_and_never_a_stack_trace(closed: httpx.Client) -> None:
    page = closed.get("/")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-frame-options"] == "DENY"
    api = closed.get("/api/stats", headers=READER)
    assert api.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in api.headers["content-security-policy"]
    broken = closed.post(
        "/api/ask", content=b"{not json", headers={**READER, "Content-Type": "application/json"}
    )
    assert broken.status_code == 422 and "Traceback" not in broken.text
    assert broken.json()["type"] == "InvalidQuery"


def test_request_bodies_are_capped(closed: httpx.Client) -> None:
    big = closed.post("/api/ask", json={"question": "x" * 400_000}, headers=READER)
    assert big.status_code == 413 and big.json()["type"] == "TooLarge"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        yield b'{"question": "'
        for _ in range(100):
            yield b"x" * 10_000
        yield b'"}'

    streamed = closed.post(
        "/api/ask", content=chunks(), headers={**READER, "Content-Type": "application/json"}
    )
    assert streamed.status_code == 413, streamed.text
    assert streamed.json() == big.json()  # one error, however the size is found out
    # An upload without an admin key is refused before its body is read, whatever its size.
    upload = closed.post(
        "/api/documents",
        content=b"x" * 3_000_000,
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert upload.status_code == 401
    # Even one that announces 10 GB and sends nothing: the answer comes at once, from the headers alone.
    url = httpx.URL(str(closed.base_url))
    with socket.create_connection((url.host, url.port), timeout=10) as raw:
        raw.sendall(
            b"POST /api/documents HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=x\r\n"
            b"Content-Length: 10000000000\r\n\r\n"
        )
        assert raw.recv(100).startswith(b"HTTP/1.1 401")


def test_a_bad_key_configuration_stops_the_service_before_it_serves(
    small_index: tuple[Settings, Path], tmp_path: Path
) -> None:
    keys = tmp_path / "keys.jsonl"
    keys.write_text('{"name": "x", "role": "admin", "sha256": "ikke-hex"}\n')
    with pytest.raises(KeyConfigError, match="SHA-256"):
        create_app(small_index[0].model_copy(update={"keys_file": keys}))
    cli = subprocess.run(
        [sys.executable, "-m", "broker.cli", "serve", "--data", str(small_index[0].data_dir)],
        env={"BROKER_KEYS_FILE": str(keys), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert cli.returncode != 0 and "SHA-256" in cli.stderr and "Traceback" not in cli.stderr
