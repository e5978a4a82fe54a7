"""The HTTP API over a real uvicorn and an index built with the real model."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from pypdf import PdfReader

from core.settings import Settings
from index.embed import Embedder
from tests.api.conftest import serve
from tests.conftest import HIT_FIELDS, PDF_NAME

pytestmark = pytest.mark.slow


def test_health_and_readiness(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True


def test_search_has_the_cli_shape_plus_facets(client: httpx.Client) -> None:
    body = client.get("/api/search", params={"q": "familiebehandling", "k": 3}).json()
    assert set(body) >= {"query", "mode", "took_ms", "results", "facets"}
    hit = body["results"][0]
    assert set(hit) >= HIT_FIELDS
    assert hit["municipality"] == "Hjørring"


def test_facet_counts_are_document_counts_among_the_candidates(client: httpx.Client) -> None:
    body = client.get("/api/search", params={"q": "snerydning", "mode": "lexical"}).json()
    assert body["facets"]["municipality"] == {"Vejle": 1}
    assert body["facets"]["doc_type"] == {"notat": 1}
    narrowed = client.get(
        "/api/search", params={"q": "kvalitetsstandard", "mode": "lexical", "kommune": "Hjørring"}
    ).json()
    # Each field is counted without its own filter: the other municipalities stay selectable.
    assert "Hjørring" in narrowed["facets"]["municipality"]
    assert len(narrowed["facets"]["municipality"]) > 1
    assert sum(narrowed["facets"]["region"].values()) == narrowed["facets"]["municipality"]["Hjørring"]
    # Hybrid facets count the documents about the query, not every document dense retrieval can rank.
    hybrid = client.get("/api/search", params={"q": "familiebehandler i hjemmet", "k": 3}).json()
    shown = {hit["municipality"] for hit in hybrid["results"]}
    assert shown <= set(hybrid["facets"]["municipality"])  # every hit shown is counted
    assert "Hjørring" in hybrid["facets"]["municipality"]
    assert "Vejle" not in hybrid["facets"]["municipality"]


def test_a_facet_count_is_what_clicking_the_value_shows(client: httpx.Client) -> None:
    """The count next to a municipality is the number of documents its click gives, and the click leaves
    the municipality facet as it was, so a second municipality can be added to the first."""
    query: dict[str, Any] = {"q": "familiebehandling", "k": 20}
    before = client.get("/api/search", params=query).json()
    counts = before["facets"]["municipality"]
    assert before["matched"] == sum(counts.values())  # each document has one municipality
    assert {hit["municipality"] for hit in before["results"]} <= set(counts)
    picked = sorted(counts, key=lambda name: (counts[name], name))[:2]  # the least counted: hard cases
    for chosen in ([picked[0]], picked):
        after = client.get("/api/search", params={**query, "kommune": chosen}).json()
        hits = after["results"]
        assert hits and {hit["municipality"] for hit in hits} == set(chosen)
        assert len({hit["doc_id"] for hit in hits}) == sum(counts[name] for name in chosen)
        assert after["matched"] == sum(counts[name] for name in chosen)
        assert after["facets"]["municipality"] == counts
        assert sum(after["facets"]["region"].values()) == after["matched"]


def test_a_municipality_without_close_matches_still_shows_its_nearest_hits(client: httpx.Client) -> None:
    before = client.get("/api/search", params={"q": "snerydning"}).json()
    listed = [m["name"] for m in client.get("/api/municipalities").json()["municipalities"]]
    other = next(name for name in listed if name not in before["facets"]["municipality"])
    after = client.get("/api/search", params={"q": "snerydning", "kommune": other}).json()
    assert after["results"] and {hit["municipality"] for hit in after["results"]} == {other}
    assert after["facets"]["municipality"][other] == len({hit["doc_id"] for hit in after["results"]})


def test_stats_report_the_last_ingest_before_any_reindex(client: httpx.Client) -> None:
    stats = client.get("/api/stats").json()
    assert stats["last_reindex"] is None
    ingest = stats["last_ingest"]
    # an anonymous caller gets counts, never the files themselves
    assert ingest["documents"] == stats["documents"] and ingest["counts"]["failed"] == 0
    assert ingest["counts"]["added"] > 0 and ingest["finished"] > 0 and "added" not in ingest


def test_filters_and_mistakes_give_clear_json_errors(client: httpx.Client) -> None:
    unknown = client.get("/api/search", params={"q": "børn", "kommune": "Atlantis"})
    assert unknown.status_code == 422
    assert "Ukendt kommune" in unknown.json()["error"]
    typo = client.get("/api/search", params={"q": "børn", "kommune": "Hjorring"})
    assert typo.status_code == 200  # typed without ø, resolved to Hjørring
    cases: list[dict[str, Any]] = [
        {"q": ""},
        {"q": "børn", "k": 0},
        {"q": "børn", "k": -1},
        {"q": "børn", "k": 10**9},
        {"q": "børn", "mode": "magic"},
    ]
    for params in cases:
        response = client.get("/api/search", params=params)
        assert response.status_code == 422, params
        assert response.json()["error"].startswith("Ugyldig")


def test_ask_answers_with_citations_that_point_at_real_pages(
    client: httpx.Client, small_index: tuple[Settings, Path]
) -> None:
    body = client.post("/api/ask", json={"question": "Hvor ofte mødes kontaktpersonen med den unge?"}).json()
    assert body["answer"], body
    assert "[1]" in body["answer"]
    first = body["citations"][0]
    assert first["municipality"] == "Hvidovre"
    assert first["page"] == 2
    pages = PdfReader(small_index[1] / PDF_NAME).pages
    page_text = " ".join(pages[first["page"] - 1].extract_text().split())
    assert " ".join(first["quote"].split())[:60] in page_text
    assert first["url"] == f"/api/documents/{first['doc_id']}/file#page=2"
    pdf = client.get(first["url"].split("#")[0])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) == 3


def test_ask_groups_passages_by_municipality(client: httpx.Client) -> None:
    body = client.post(
        "/api/ask", json={"question": "hvordan får skolerne hjælp fra socialrådgivere?"}
    ).json()
    groups = body["by_municipality"]
    names = [g["municipality"] for g in groups]
    assert len(names) == len(set(names))
    assert {"Herning", "Hjørring"} <= set(names[:4])
    assert all(g["passages"] for g in groups)


def test_ask_says_so_when_nothing_is_relevant(client: httpx.Client) -> None:
    body = client.post("/api/ask", json={"question": "Hvad er opskriften på æblekage med flødeskum?"}).json()
    assert body["answer"] is None
    assert body["reason"]


def test_ask_can_leave_out_ones_own_municipality(client: httpx.Client) -> None:
    body = client.post(
        "/api/ask", json={"question": "familiebehandling i hjemmet", "exclude_kommune": "Hjørring"}
    ).json()
    assert body["by_municipality"], body  # other municipalities answer
    assert all(g["municipality"] != "Hjørring" for g in body["by_municipality"])
    assert body["citations"] and all(c["municipality"] != "Hjørring" for c in body["citations"])


def test_documents_list_detail_and_file(client: httpx.Client) -> None:
    listing = client.get("/api/documents", params={"per_page": 2}).json()
    assert listing["total"] == 9 and len(listing["documents"]) == 2
    page2 = client.get("/api/documents", params={"per_page": 2, "page": 2}).json()
    assert {d["doc_id"] for d in page2["documents"]}.isdisjoint(d["doc_id"] for d in listing["documents"])
    only = client.get("/api/documents", params={"kommune": "Hjørring"}).json()
    assert only["total"] == 2
    pdf_doc = next(
        d for d in client.get("/api/documents", params={"kommune": "Hvidovre"}).json()["documents"]
    )
    detail = client.get(f"/api/documents/{pdf_doc['doc_id']}").json()
    assert detail["page_count"] == 3
    assert [c["page_start"] for c in detail["chunks"]] == sorted(c["page_start"] for c in detail["chunks"])
    assert {c["section"] for c in detail["chunks"]} >= {"2. Indhold og omfang"}
    assert detail["sources"][0]["path"].endswith(PDF_NAME)
    missing = client.get("/api/documents/findesikke")
    assert missing.status_code == 404 and "findes ikke" in missing.json()["error"]


def test_similar_documents_come_from_other_municipalities(client: httpx.Client) -> None:
    doc = client.get("/api/documents", params={"kommune": "Herning"}).json()["documents"][0]
    body = client.get(f"/api/documents/{doc['doc_id']}/similar", params={"k": 3}).json()
    assert body["results"]
    assert all(r["municipality"] != "Herning" for r in body["results"])
    assert body["results"][0]["municipality"] == "Hjørring"  # school social workers and school absence


def test_compare_puts_municipalities_side_by_side(client: httpx.Client) -> None:
    body = client.get(
        "/api/compare",
        params=[("q", "socialrådgiver på skolen"), ("kommune", "Herning"), ("kommune", "Hjorring")],
    ).json()
    assert [c["municipality"] for c in body["columns"]] == ["Herning", "Hjørring"]
    assert all(r["municipality"] == c["municipality"] for c in body["columns"] for r in c["results"])
    one = client.get("/api/compare", params={"q": "x", "kommune": "Herning"})
    assert one.status_code == 422


def test_municipalities_and_stats(client: httpx.Client) -> None:
    names = {m["name"]: m for m in client.get("/api/municipalities").json()["municipalities"]}
    assert names["Hjørring"]["documents"] == 2 and names["Hjørring"]["region"] == "Region Nordjylland"
    stats = client.get("/api/stats").json()
    assert stats["documents"] == 9 and stats["vectors"] == stats["chunks"] > 0
    assert stats["embedder"] == "e5-small" and stats["dimensions"] == 384


def test_openapi_documents_every_endpoint_in_danish(client: httpx.Client) -> None:
    schema = client.get("/openapi.json").json()
    for path in (
        "/api/search",
        "/api/ask",
        "/api/documents",
        "/api/documents/{doc_id}",
        "/api/documents/{doc_id}/file",
        "/api/documents/{doc_id}/similar",
        "/api/compare",
        "/api/municipalities",
        "/api/stats",
        "/healthz",
        "/readyz",
    ):
        assert path in schema["paths"], path
    assert "Hvordan organiserer andre kommuner" in json.dumps(schema, ensure_ascii=False)


# -- generative answering against a small local OpenAI-compatible server ---------------------------


class FakeChat(BaseHTTPRequestHandler):
    """Answers /chat/completions with whatever the test put in `reply` (or fails, or hangs)."""

    reply: str = ""
    status: int = 200
    seen: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeChat.seen.append(body)
        payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": FakeChat.reply}}]})
        self.send_response(FakeChat.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(payload.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def chat_server() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), FakeChat)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()


@pytest.fixture(scope="module")
def generative(small_index: tuple[Settings, Path], e5: Embedder, chat_server: str) -> Iterator[httpx.Client]:
    settings = Settings(
        data_dir=small_index[0].data_dir, llm_url=chat_server, llm_model="test", llm_timeout_s=3
    )
    with serve(settings, e5) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        yield http


QUESTION = {"question": "Hvor ofte mødes kontaktpersonen med den unge?"}


def test_generative_answer_keeps_only_sentences_citing_retrieved_passages(generative: httpx.Client) -> None:
    FakeChat.status = 200
    FakeChat.reply = "Kontaktpersonen mødes med den unge hver uge [1]. Det koster intet [9]. Uden kilde."
    body = generative.post("/api/ask", json=QUESTION).json()
    assert body["mode"] == "generative"
    assert body["answer"] == "Kontaktpersonen mødes med den unge hver uge [1]."
    assert [c["n"] for c in body["citations"]] == [1]
    sent = FakeChat.seen[-1]["messages"][-1]["content"]
    assert "Kontaktpersonen mødes med den unge mindst en gang om ugen" in sent  # only retrieved passages


def test_generative_failure_falls_back_to_the_extractive_answer(generative: httpx.Client) -> None:
    FakeChat.status = 500
    body = generative.post("/api/ask", json=QUESTION).json()
    FakeChat.status = 200
    assert body["mode"] == "extractive"
    assert body["answer"] and "[1]" in body["answer"]
    assert "udtrukket" in body["reason"]
