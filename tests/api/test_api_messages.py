"""API errors a caller can make speak Danish: validation errors, a wrong method, reads of admin-only data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from broker.access import hash_key
from core.settings import Settings
from index.embed import Embedder
from tests.api.conftest import LiveServer, serve

ENGLISH = ("Input should", "Field required", "JSON decode", "value is not", "String should", "Not Found")
ADMIN_KEY = "adminnoegle-til-beskedtest-7a1f"
READER_KEY = "laesenoegle-til-beskedtest-93b2"


def danish_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    message = str(response.json()["error"])
    assert not any(word in message for word in ENGLISH), message
    return message


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/search?q=b%C3%B8rn&k=0", "k: skal være mindst 1"),
        ("/api/search?q=b%C3%B8rn&k=abc", "k: skal være et heltal"),
        ("/api/search", "q: skal angives"),
        ("/api/search?q=b%C3%B8rn&year_from=tyve", "year_from: skal være et heltal"),
    ],
)
def test_query_validation_errors_are_danish(client: httpx.Client, path: str, expected: str) -> None:
    message = danish_error(client.get(path), 422)
    assert message.startswith("Ugyldig forespørgsel: ") and expected in message


def test_a_body_that_is_not_json_is_named_as_such(client: httpx.Client) -> None:
    response = client.post("/api/ask", content=b"{ikke json", headers={"content-type": "application/json"})
    assert "er ikke gyldig JSON" in danish_error(response, 422)


def test_a_missing_field_in_the_body_is_named(client: httpx.Client) -> None:
    message = danish_error(client.post("/api/ask", json={}), 422)
    assert "question: skal angives" in message and not message.startswith("Ugyldig forespørgsel: :")


def test_a_known_path_with_the_wrong_method_answers_405_with_allow(client: httpx.Client) -> None:
    response = client.get("/api/ask")
    assert danish_error(response, 405) == "Metoden er ikke tilladt her."
    assert response.headers["allow"] == "POST"


def test_an_unknown_api_path_answers_json_404(client: httpx.Client) -> None:
    response = client.get("/api/findes-ikke")
    assert danish_error(response, 404) == "Siden findes ikke."
    assert response.headers["content-type"].startswith("application/json")


def test_reading_the_sources_without_an_admin_key_set_up_is_refused_as_a_read(client: httpx.Client) -> None:
    message = danish_error(client.get("/api/sources"), 403)
    assert "kan kun ses med en administratornøgle" in message
    assert "Ændringer" not in message and "slået fra" not in message


@pytest.fixture(scope="module")
def guarded(small_index: tuple[Settings, Path], e5: Embedder) -> Iterator[LiveServer]:
    settings = small_index[0].model_copy(
        update={"admin_key_sha256": hash_key(ADMIN_KEY), "reader_key_sha256": hash_key(READER_KEY)}
    )
    with serve(settings, e5) as server:
        yield server


def test_a_reader_key_reading_the_sources_is_told_it_needs_an_admin_key(guarded: LiveServer) -> None:
    refused = httpx.get(guarded.url + "/api/sources", headers={"X-API-Key": READER_KEY})
    message = danish_error(refused, 403)
    assert "kan kun ses med en administratornøgle" in message and "ændringer" not in message.lower()
    allowed = httpx.get(guarded.url + "/api/sources", headers={"X-API-Key": ADMIN_KEY})
    assert allowed.status_code == 200 and "sources" in allowed.json()
