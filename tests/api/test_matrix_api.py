"""GET /api/compare/matrix, its CSV and DOCX exports, and the note of collected passages, over real HTTP."""

from __future__ import annotations

import csv
import io

import httpx
from docx import Document

PARAMS: list[tuple[str, str | int | float | bool | None]] = [
    ("q", "familiebehandling"),
    ("kommune", "Hjørring"),
    ("kommune", "Herning"),
]


def test_the_matrix_has_a_row_per_aspect_and_a_cell_per_municipality(client: httpx.Client) -> None:
    response = client.get("/api/compare/matrix", params=PARAMS)
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "familiebehandling" and body["municipalities"] == ["Hjørring", "Herning"]
    assert len(body["rows"]) == 8
    assert all([c["municipality"] for c in row["cells"]] == ["Hjørring", "Herning"] for row in body["rows"])
    law = next(r for r in body["rows"] if r["aspect"] == "lovgrundlag")["cells"][0]
    assert law["passage"]["title"] == "Kvalitetsstandard for familiebehandling"
    assert [v["normalized"] for v in law["values"]] == ["BL § 32 (SEL § 52, stk. 3, nr. 3)"]


def test_aspects_can_be_chosen(client: httpx.Client) -> None:
    body = client.get("/api/compare/matrix", params=[*PARAMS, ("aspect", "omfang og varighed")]).json()
    assert [r["aspect"] for r in body["rows"]] == ["omfang og varighed"]
    values = [v["normalized"] for v in body["rows"][0]["cells"][0]["values"]]
    assert "6-12 måneder" in values


def test_bad_input_is_a_danish_error(client: httpx.Client) -> None:
    one = client.get("/api/compare/matrix", params=[("q", "familiebehandling"), ("kommune", "Hjørring")])
    assert one.status_code == 422 and "mellem 2 og 6" in one.json()["error"]
    aspect = client.get("/api/compare/matrix", params=[*PARAMS, ("aspect", "pris")])
    assert aspect.status_code == 422 and "Ukendt aspekt »pris«" in aspect.json()["error"]
    unknown = client.get(
        "/api/compare/matrix.csv", params=[("q", "x"), ("kommune", "Atlantis"), ("kommune", "Herning")]
    )
    assert unknown.status_code == 422 and "Ukendt kommune" in unknown.json()["error"]


def test_the_csv_export_reads_back(client: httpx.Client, live: object) -> None:
    response = client.get("/api/compare/matrix.csv", params=PARAMS)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="sammenligning.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 16
    law = next(r for r in rows if r["aspekt"] == "Lovgrundlag" and r["kommune"] == "Hjørring")
    assert law["værdier"] == "BL § 32 (SEL § 52, stk. 3, nr. 3)" and law["år"] == "2019"
    assert law["link"].startswith(f"{client.base_url}/api/documents/".replace("//api", "/api"))


def test_the_docx_export_reads_back_as_a_danish_note(client: httpx.Client) -> None:
    response = client.get("/api/compare/matrix.docx", params=PARAMS)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument")
    doc = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Spørgsmål: familiebehandling" in text and "Dato: " in text and "Kilder og citater" in text
    assert [c.text for c in doc.tables[0].rows[0].cells] == ["Aspekt", "Hjørring", "Herning"]
    assert "[1] Hjørring: Kvalitetsstandard for familiebehandling (2019), side 1" in text


def test_a_note_of_collected_cells_is_built_from_the_index_not_from_the_request(client: httpx.Client) -> None:
    body = client.get("/api/compare/matrix", params=PARAMS).json()
    law = next(r for r in body["rows"] if r["aspect"] == "lovgrundlag")["cells"][0]["passage"]
    items = [f"{law['chunk_id']}:lovgrundlag", "987654321"]
    response = client.get(
        "/api/compare/note.docx", params={"q": "Lovgrundlag for familiebehandling", "item": items}
    )
    assert response.status_code == 200
    doc = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert doc.paragraphs[0].text == "Notat: Lovgrundlag for familiebehandling"
    assert "[1] Hjørring: Kvalitetsstandard for familiebehandling (2019), side 1" in text
    assert "Tal: BL § 32 (SEL § 52, stk. 3, nr. 3)." in text
    assert "[2]" not in text  # the unknown passage is left out
    too_many = client.get("/api/compare/note.docx", params={"q": "x", "item": ["1"] * 61})
    assert too_many.status_code == 422
    broken = client.get("/api/compare/note.docx", params={"q": "x", "item": ["99999999999999999999"]})
    assert broken.status_code == 422 and "Ugyldigt tekststykke" in broken.json()["error"]
    control = client.get(
        "/api/compare/note.docx", params={"q": "notat\x00\x07", "item": [f"{law['chunk_id']}"]}
    )
    assert control.status_code == 200  # control characters Word cannot hold are dropped, not a server error
