"""The HTTP API carries what was understood and the spelling suggestion, as the command line does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.settings import Settings
from index.embed import Embedder
from tests.api.conftest import LiveServer, serve

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(small_index: tuple[Settings, Path], e5: Embedder) -> Iterator[LiveServer]:
    with serve(small_index[0], e5) as live:
        yield live


def test_search_says_what_it_understood(server: LiveServer) -> None:
    body = httpx.get(
        server.url + "/api/search", params={"q": "hvordan gør Hjørring med familiebehandling?"}
    ).json()
    assert body["understood"]["kommuner"] == ["Hjørring"]
    assert body["understood"]["applied_as"] == "boost"
    assert body["suggestion"] is None
    assert body["results"][0]["municipality"] == "Hjørring"


def test_search_suggests_a_spelling(server: LiveServer) -> None:
    body = httpx.get(server.url + "/api/search", params={"q": "aflastnig"}).json()
    assert body["suggestion"] == "aflastning"
    assert body["results"]


def test_ask_says_what_it_understood(server: LiveServer) -> None:
    body = httpx.post(
        server.url + "/api/ask", json={"question": "Hvad gør Aarhus med aflastning efter BL?"}
    ).json()
    assert body["understood"]["kommuner"] == ["Aarhus"]
    assert body["understood"]["law"] == "Barnets Lov"
