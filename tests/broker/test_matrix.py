"""The practice matrix over the demo corpus: the right section per aspect, values side by side, empty over weak."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader

from broker.comparison.matrix import compare_matrix
from broker.comparison.note_docx import matrix_csv, matrix_docx
from broker.search import Engine
from core.errors import InvalidQuery

pytestmark = pytest.mark.slow


def cells(matrix: dict, aspect: str) -> dict:
    row = next(r for r in matrix["rows"] if r["aspect"] == aspect)
    return {c["municipality"]: c for c in row["cells"]}


@pytest.fixture(scope="module")
def family(demo_engine: Engine) -> dict:
    return compare_matrix(demo_engine, "familiebehandling", ["Vesthimmerland", "hjorring", "Morsø"])


def test_each_aspect_is_filled_from_the_section_about_it(family: dict) -> None:
    target = cells(family, "målgruppe")
    assert target["Vesthimmerland"]["passage"]["section"].endswith("Målgruppe")
    assert target["Hjørring"]["passage"]["section"].endswith("Målgruppe")
    assert cells(family, "lovgrundlag")["Hjørring"]["passage"]["section"].endswith("Lovgrundlag")


def test_old_and_new_paragraphs_stand_side_by_side_under_one_name(family: dict) -> None:
    law = cells(family, "lovgrundlag")
    new = {v["normalized"] for v in law["Vesthimmerland"]["values"]}  # 2024, Barnets Lov
    old = {v["normalized"] for v in law["Hjørring"]["values"]}  # 2019, serviceloven
    assert "BL § 32 (SEL § 52, stk. 3)" in new and "BL § 20 (SEL § 50)" in new
    assert "BL § 32 (SEL § 52, stk. 3, nr. 3)" in old and "BL § 20 (SEL § 50)" in old


def test_durations_and_prices_are_extracted_where_the_aspect_has_them(family: dict) -> None:
    span = {v["normalized"] for v in cells(family, "omfang og varighed")["Vesthimmerland"]["values"]}
    assert {"op til 3 måneder", "3-6 måneder"} <= span
    money = cells(family, "økonomi og ressourcer")["Vesthimmerland"]["values"]
    assert [v["normalized"] for v in money] == ["745 kr. pr. time"]
    assert cells(family, "målgruppe")["Vesthimmerland"]["values"] == []  # no numbers asked of a target group


def test_a_municipality_without_practice_on_the_topic_gets_empty_cells(family: dict) -> None:
    assert all(cells(family, row["aspect"])["Morsø"]["passage"] is None for row in family["rows"])


def test_every_filled_cell_carries_a_full_citation(family: dict) -> None:
    for row in family["rows"]:
        for cell in row["cells"]:
            passage = cell["passage"]
            if passage is None:
                continue
            assert passage["title"] and passage["year"] and passage["page"] >= 1 and passage["quote"]
            assert passage["url"] == f"/api/documents/{passage['doc_id']}/file#page={passage['page']}"
            assert passage["quote"].split()[0] in passage["text"]


def test_rows_can_be_chosen_and_the_number_of_columns_is_bounded(demo_engine: Engine) -> None:
    two = compare_matrix(
        demo_engine, "aflastning", ["Næstved", "Allerød"], aspects=["lovgrundlag", "målgruppe"]
    )
    assert [r["aspect"] for r in two["rows"]] == ["målgruppe", "lovgrundlag"]
    with pytest.raises(InvalidQuery, match="mellem 2 og 6"):
        compare_matrix(demo_engine, "aflastning", ["Næstved"])
    with pytest.raises(InvalidQuery, match="mellem 2 og 6"):
        compare_matrix(
            demo_engine,
            "aflastning",
            ["Næstved", "Allerød", "Odense", "Horsens", "Thisted", "Sorø", "Aarhus"],
        )
    with pytest.raises(InvalidQuery, match="Ukendt aspekt"):
        compare_matrix(demo_engine, "aflastning", ["Næstved", "Allerød"], aspects=["pris"])
    with pytest.raises(InvalidQuery, match="Ukendt kommune"):
        compare_matrix(demo_engine, "aflastning", ["Næstved", "Atlantis"])


def test_the_csv_export_reads_back_one_line_per_cell(family: dict) -> None:
    rows = list(csv.DictReader(io.StringIO(matrix_csv(family, "http://vm.example/"))))
    assert len(rows) == len(family["rows"]) * 3
    law = next(r for r in rows if r["aspekt"] == "Lovgrundlag" and r["kommune"] == "Vesthimmerland")
    assert "BL § 32 (SEL § 52, stk. 3)" in law["værdier"] and law["side"] == "1" and law["år"] == "2024"
    assert law["link"].startswith("http://vm.example/api/documents/") and "#page=1" in law["link"]
    assert all(r["citat"] == "" for r in rows if r["kommune"] == "Morsø")


def test_the_docx_note_reads_back_with_question_date_matrix_and_citations(family: dict) -> None:
    data = matrix_docx({**family, "date": "2026-12-01"})
    assert zipfile.is_zipfile(io.BytesIO(data))
    doc = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert doc.paragraphs[0].text == "Sammenligning af praksis: familiebehandling"
    assert "Spørgsmål: familiebehandling" in text and "Dato: 1. december 2026" in text
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["Aspekt", "Vesthimmerland", "Hjørring", "Morsø"]
    assert len(table.rows) == 1 + len(family["rows"])
    law = next(r for r in table.rows if r.cells[0].text == "Lovgrundlag")
    assert "BL § 32 (SEL § 52, stk. 3)" in law.cells[1].text and law.cells[3].text == "–"
    number = law.cells[1].text.rsplit("[", 1)[1].rstrip("]")
    cited = next(p.text for p in doc.paragraphs if p.text.startswith(f"[{number}] "))
    assert "Vesthimmerland: Kvalitetsstandard for familiebehandling efter Barnets Lov (2024), side 1" in cited
    assert "Familiebehandling er en støttende indsats efter Barnets Lov § 32." in text
    assert "Link: /api/documents/" in text


def test_the_docx_note_renders_in_libreoffice(family: dict, tmp_path: Path) -> None:
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice mangler: kør ./scripts/setup-system.sh --test"
    note = tmp_path / "notat.docx"
    note.write_bytes(matrix_docx({**family, "date": "2026-12-01"}))
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(note)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(tmp_path / "notat.pdf").pages)
    assert "Sammenligning af praksis: familiebehandling" in text and "Dato: 1. december 2026" in text
    assert "Kilder og citater" in text and "Vesthimmerland: Kvalitetsstandard for familiebehandling" in text
