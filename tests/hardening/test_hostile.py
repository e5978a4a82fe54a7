"""Hostile and broken input to every read endpoint and to the engine: a clear 4xx or a sane result, never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broker.answers.extractive import Answerer
from broker.search import MODES, Engine
from core.errors import InvalidQuery
from core.settings import Settings
from core.types import SearchFilters
from language.filters import resolve_filters
from tests.api.conftest import LiveServer

pytestmark = pytest.mark.slow

NASTY = [
    "",
    " ",
    "\t\n\r",
    "x" * 10_000,
    "børn " * 1999,
    "\x00\x01\x02\x1b[31m",
    "familiebehandling\x00i hjemmet",
    "Børn 😀 👨‍👩‍👧 🇩🇰",
    "ребёнок 子供 طفل ילד बच्चा",
    "'; DROP TABLE documents; --",
    '" OR 1=1 --',
    "NEAR(familie behandling, 2)",
    "familie AND OR NOT behandling",
    '"uafsluttet citat',
    "*",
    "chunks_fts:familie",
    "terms: x",
    "^start",
    "a -b +c",
    "(((((",
    "{}[]<>",
    "\\",
    "%_%",
    "\u202e\ufeff\u200b",
    "<script>alert(1)</script>",
    "§ 52, stk. 3",
    "a" * 2001,
]
ODD_IDS = [
    "..",
    "%2e%2e",
    "a%00b",
    "x" * 5000,
    "'; DROP TABLE documents; --",
    "😀",
    "%2F",
    " ",
    "%",
    "null",
    "-1",
]


def assert_sane(response: httpx.Response, context: object) -> None:
    assert response.status_code < 500, (context, response.status_code, response.text[:300])
    assert "Traceback" not in response.text
    if response.status_code >= 400:
        body = response.json()
        assert body["error"] and body["type"], context


@pytest.fixture
def client(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=60) as http:  # its pooled connections closed, not collected
        yield http


@pytest.mark.parametrize("q", NASTY, ids=range(len(NASTY)))
def test_hostile_queries_on_every_search_endpoint(client: httpx.Client, q: str) -> None:
    for mode in MODES:
        assert_sane(client.get("/api/search", params={"q": q, "mode": mode}), (q[:40], mode))
    assert_sane(client.post("/api/ask", json={"question": q}), q[:40])
    assert_sane(
        client.get("/api/compare", params=[("q", q), ("kommune", "Herning"), ("kommune", "Aarhus")]), q[:40]
    )
    empty = client.get("/api/search", params={"q": q})
    if not q.strip() or not q.replace("\x00", "").replace("\x01", "").replace("\x02", "").strip():
        assert empty.status_code == 422


@pytest.mark.parametrize(
    ("params", "status", "says"),
    [
        ({"k": 0}, 422, "k"),
        ({"k": -1}, 422, "k"),
        ({"k": 10**9}, 422, "k"),
        ({"k": "abc"}, 422, "k"),
        ({"k": 1.5}, 422, "k"),
        ({"mode": "magic"}, 422, "mode"),
        ({"kommune": "Atlantis"}, 422, "Ukendt kommune"),
        ({"region": "Mars"}, 422, "Ukendt region"),
        ({"type": "roman"}, 422, "Ukendt dokumenttype"),
        ({"year_from": 1800}, 422, "year_from"),
        ({"year_from": 2020, "year_to": 2010}, 422, "Fra-året"),
        ({"year_from": "sidste år"}, 422, "year_from"),
        ({"collapse": "måske"}, 422, "collapse"),
        # Not mistakes: an unknown language finds nothing, an unknown parameter is ignored, and a municipality
        # named 500 times is that one municipality.
        ({"language": "zz"}, 200, None),
        ({"ukendt": "filter"}, 200, None),
        ({"kommune": ["Herning"] * 500}, 200, None),
    ],
    ids=lambda p: json.dumps(p)[:40] if isinstance(p, dict) else str(p),
)
def test_bad_parameters_are_clear_errors(
    client: httpx.Client, params: dict[str, Any], status: int, says: str | None
) -> None:
    response = client.get("/api/search", params={"q": "familiebehandling", **params})
    assert_sane(response, params)
    assert response.status_code == status, (params, response.text)
    if says is not None:
        assert says in response.json()["error"], (params, response.json())


def test_documents_paging_and_odd_ids(client: httpx.Client) -> None:
    for params in (
        {"page": 0},
        {"page": -1},
        {"page": 10**9},
        {"page": "x"},
        {"per_page": 0},
        {"per_page": 1000},
        {"page": 100_000, "per_page": 200},
    ):
        response = client.get("/api/documents", params=params)
        assert_sane(response, params)
    assert client.get("/api/documents", params={"page": 100_000, "per_page": 200}).json()["documents"] == []
    for doc_id in ODD_IDS:
        for suffix in ("", "/file", "/similar"):
            response = client.get(f"/api/documents/{doc_id}{suffix}")
            assert_sane(response, (doc_id[:20], suffix))
            assert response.status_code in (404, 422), (doc_id[:20], suffix)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"question": ""},
        {"question": "   "},
        {"question": "x" * 10_000},
        {"question": 123},
        {"question": None},
        [],
        "et spørgsmål",
        {"question": "børn", "k": 0},
        {"question": "børn", "k": 10**9},
        {"question": "børn", "kommuner": "Herning"},
        {"question": "børn", "kommuner": ["Atlantis"]},
        {"question": "børn", "kommuner": ["Herning"] * 1000},
        {"question": "børn", "year_from": 2020, "year_to": 2000},
        {"question": "\x00\x01"},
        {"question": "børn", "ekstra": 1},
        {"question": {"$gt": ""}},
    ],
    ids=lambda b: json.dumps(b)[:40],
)
def test_ask_with_broken_bodies(client: httpx.Client, body: Any) -> None:
    response = client.post("/api/ask", json=body)
    assert_sane(response, body)
    if body == {"question": "børn", "ekstra": 1}:
        assert response.status_code == 200
    elif body != {"question": "børn", "kommuner": "Herning"}:  # a single name is read as a list of one
        assert response.status_code == 422, body


def test_ask_with_bodies_that_are_not_json(client: httpx.Client) -> None:
    for content, kind in (
        (b"{ikke json", "application/json"),
        (b"\xff\xfe\x00", "application/json"),
        (b"question=x", "application/x-www-form-urlencoded"),
    ):
        response = client.post("/api/ask", content=content, headers={"Content-Type": kind})
        assert_sane(response, content)
        assert response.status_code in (400, 422)


def test_compare_with_bad_municipality_lists(client: httpx.Client) -> None:
    for kommuner in (
        [],
        ["Herning"],
        ["Herning", "herning"],
        ["Herning", "Atlantis"],
        [f"k{i}" for i in range(7)],
        ["Aarhus", "Herning", "Hjørring", "Odense", "Greve", "Vejle", "Hvidovre"],
    ):
        response = client.get("/api/compare", params=[("q", "skole"), *(("kommune", k) for k in kommuner)])
        assert_sane(response, kommuner)
        assert response.status_code == 422, kommuner


# -- property-based: the engine and the API over any text, number and filter ------------------

text = st.text(st.characters(codec="utf-8"), max_size=300)
names = st.lists(st.one_of(st.sampled_from(["Herning", "hjorring", "Aarhus", "ukendt"]), text), max_size=3)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    query=st.one_of(text, st.sampled_from(NASTY)),
    k=st.one_of(st.integers(-5, 300), st.just(10**9)),
    mode=st.one_of(st.sampled_from(MODES), text),
    kommuner=names,
    regions=st.lists(st.one_of(st.sampled_from(["Nordjylland", "region midt"]), text), max_size=2),
    types=st.lists(st.one_of(st.sampled_from(["kvalitetsstandard", "notat"]), text), max_size=2),
    years=st.tuples(st.none() | st.integers(-(10**6), 10**6), st.none() | st.integers(-(10**6), 10**6)),
    collapse=st.booleans(),
)
def test_the_engine_answers_or_refuses_clearly(
    small_engine: Engine,
    query: str,
    k: int,
    mode: str,
    kommuner: list[str],
    regions: list[str],
    types: list[str],
    years: tuple[int | None, int | None],
    collapse: bool,
) -> None:
    try:
        filters = resolve_filters(
            SearchFilters(
                kommuner=kommuner, regions=regions, types=types, year_from=years[0], year_to=years[1]
            )
        )
        result = small_engine.search(query, k=k, mode=mode, filters=filters, collapse=collapse, facets=True)
    except InvalidQuery as exc:
        assert exc.message and exc.http_status == 422
        return
    assert len(result.results) <= k
    assert [h.rank for h in result.results] == list(range(1, len(result.results) + 1))
    assert len({h.chunk_id for h in result.results}) == len(result.results)
    assert result.facets is not None
    for hit in result.results:
        assert hit.municipality in result.facets["municipality"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(question=st.one_of(text, st.sampled_from(NASTY)), k=st.integers(-2, 250))
def test_the_answerer_answers_or_refuses_clearly(
    small_engine: Engine, small_index: tuple[Settings, Path], question: str, k: int
) -> None:
    try:
        answer = Answerer(small_engine, small_index[0]).ask(question, k=k)
    except InvalidQuery as exc:
        assert exc.message
        return
    assert answer.answer or answer.reason
    for citation in answer.citations:
        assert f"[{citation.n}]" in (answer.answer or "")


query_params = st.dictionaries(
    st.sampled_from(
        [
            "q",
            "k",
            "mode",
            "kommune",
            "region",
            "type",
            "year_from",
            "year_to",
            "language",
            "collapse",
            "page",
            "per_page",
            "x",
        ]
    ),
    st.one_of(text, st.integers(-(10**12), 10**12).map(str), st.lists(text, max_size=3)),
    max_size=6,
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    path=st.sampled_from(
        ["/api/search", "/api/compare", "/api/documents", "/api/municipalities", "/api/stats"]
    ),
    params=query_params,
)
def test_the_read_api_never_fails_on_any_query_string(
    live: LiveServer, path: str, params: dict[str, Any]
) -> None:
    with httpx.Client(base_url=live.url, timeout=60) as client:
        assert_sane(client.get(path, params=params), (path, params))


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    body=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | text,
        lambda children: st.lists(children, max_size=3) | st.dictionaries(text, children, max_size=3),
        max_leaves=8,
    )
    | st.fixed_dictionaries(
        {"question": st.one_of(text, st.sampled_from(NASTY))},
        optional={
            "kommuner": names,
            "exclude_kommune": st.one_of(text, names),
            "region": st.one_of(text, st.lists(text, max_size=2)),
            "type": st.one_of(text, st.lists(text, max_size=2)),
            "year_from": st.integers(-3000, 3000),
            "year_to": st.integers(-3000, 3000),
            "k": st.integers(-5, 300),
        },
    ),
    doc_id=text,
)
def test_ask_and_documents_never_fail_on_any_body_or_id(live: LiveServer, body: Any, doc_id: str) -> None:
    with httpx.Client(base_url=live.url, timeout=60) as client:
        assert_sane(client.post("/api/ask", json=body), body)
        assert_sane(client.get("/api/documents/" + quote(doc_id, safe="")), doc_id)
