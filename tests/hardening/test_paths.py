"""What each role sees of file paths: readers get the source's name and the path inside it, only admin gets the
server's paths, sizes and times; /readyz never returns exception text."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from broker.reindex import add_source
from core.settings import Settings
from index.embed import Embedder
from tests.api.conftest import LiveServer, serve
from tests.conftest import HIT_FIELDS
from tests.hardening.conftest import ADMIN, INTERNAL, READER, with_keys

pytestmark = pytest.mark.slow
CALLERS = {"anonymous": {}, "reader": READER, "internal": INTERNAL}


@pytest.fixture
def servers(
    private_index: tuple[Settings, Path], e5: Embedder
) -> Iterator[tuple[LiveServer, LiveServer, Path]]:
    """The small index with its corpus registered as the source »korpus«: one server with reader, internal and
    admin keys, one with open reads for anonymous callers."""
    settings, corpus = private_index
    add_source(settings, corpus, "korpus")
    with serve(with_keys(settings, readers=True), e5) as keyed, serve(with_keys(settings), e5) as open_reads:
        yield keyed, open_reads, corpus.resolve()


def call(servers: tuple[LiveServer, LiveServer, Path], who: str, path: str, **params: Any) -> httpx.Response:
    keyed, open_reads, _ = servers
    url = (open_reads if who == "anonymous" else keyed).url
    headers = ADMIN if who == "admin" else CALLERS[who]
    response = httpx.get(url + path, params=params, headers=headers, timeout=120)
    assert response.status_code == 200, response.text
    return response


def compare_hits(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [hit for column in body["columns"] for hit in column["results"]]


@pytest.mark.parametrize("who", list(CALLERS))
def test_readers_see_source_names_and_relative_paths_never_the_servers(
    servers: tuple[LiveServer, LiveServer, Path], who: str
) -> None:
    corpus = servers[2]
    found = call(servers, who, "/api/search", q="familiebehandling", k=5)
    compared = call(servers, who, "/api/compare", q="familiebehandling", kommune=["Hjørring", "Herning"])
    hits = found.json()["results"] + compare_hits(compared.json())
    assert hits
    for hit in hits:
        assert set(hit) >= HIT_FIELDS and "absolute_path" not in hit
        assert hit["source"].startswith("korpus/") and not hit["source"].startswith("/")
        assert (corpus / hit["source"].removeprefix("korpus/")).is_file()  # the path inside the source
    doc = call(servers, who, f"/api/documents/{hits[0]['doc_id']}")
    for source in doc.json()["sources"]:
        assert source["source"] == "korpus" and source["path"] == hits[0]["source"]
        assert not {"absolute_path", "size", "mtime"} & set(source)
    for response in (found, compared, doc):
        assert str(corpus) not in response.text and str(corpus.parent) not in response.text


def test_admin_sees_the_same_safe_source_and_the_servers_path_besides(
    servers: tuple[LiveServer, LiveServer, Path],
) -> None:
    corpus = servers[2]
    hits = call(servers, "admin", "/api/search", q="familiebehandling", k=5).json()["results"]
    hits += compare_hits(
        call(servers, "admin", "/api/compare", q="familiebehandling", kommune=["Hjørring", "Herning"]).json()
    )
    for hit in hits:
        assert hit["source"].startswith("korpus/")
        assert hit["absolute_path"] == str(corpus / hit["source"].removeprefix("korpus/"))
    [source] = call(servers, "admin", f"/api/documents/{hits[0]['doc_id']}").json()["sources"]
    assert source["absolute_path"] == hits[0]["absolute_path"] and source["path"] == hits[0]["source"]
    assert source["size"] > 0 and source["mtime"] > 0


def test_a_file_ingested_outside_any_source_shows_only_its_name(live: LiveServer) -> None:
    hits = httpx.get(live.url + "/api/search", params={"q": "familiebehandling", "k": 5}).json()["results"]
    assert hits and all("/" not in hit["source"] and hit["source"] for hit in hits)


def test_readyz_reports_a_broken_index_without_the_exception_text(
    private_index: tuple[Settings, Path], e5: Embedder
) -> None:
    settings = private_index[0]
    with serve(with_keys(settings, readers=True), e5) as server:
        with contextlib.closing(sqlite3.connect(settings.db_path)) as conn, conn:  # committed, then closed
            conn.execute("DROP TABLE documents")  # a damaged index under a running service
        response = httpx.get(server.url + "/readyz", timeout=30)
    assert response.status_code == 503
    assert response.json() == {"ready": False, "error": "Indekset kan ikke læses."}
    assert "documents" not in response.text and "table" not in response.text
