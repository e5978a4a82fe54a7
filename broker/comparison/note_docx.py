"""A comparison as a knowledge note: the matrix as CSV, and as a Danish Word document with full citations."""

from __future__ import annotations

import csv
import datetime
import io
import re
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.shared import Cm, Pt

MONTHS = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
          "november", "december")  # fmt: skip
CELL_CHARS = 160
CSV_FIELDS = ("aspekt", "kommune", "værdier", "citat", "dokument", "titel", "år", "side", "afsnit", "link")


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml(text: object) -> str:
    """Text Word can hold: control characters (which XML forbids) become spaces."""
    return _NOT_XML.sub(" ", str(text))


def danish_date(iso: str) -> str:
    day = datetime.date.fromisoformat(iso)
    return f"{day.day}. {MONTHS[day.month - 1]} {day.year}"


def _values(cell: dict[str, Any]) -> str:
    return "; ".join(v["normalized"] for v in cell.get("values", []))


def _link(base_url: str, url: str) -> str:
    return base_url.rstrip("/") + url if base_url else url


def matrix_csv(matrix: dict[str, Any], base_url: str = "") -> str:
    """One line per cell (aspect, municipality), empty cells included, so a spreadsheet shows the gaps too."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for row in matrix["rows"]:
        for cell in row["cells"]:
            p = cell["passage"]
            if p is None:
                writer.writerow([row["title"], cell["municipality"], "", "", "", "", "", "", "", ""])
                continue
            writer.writerow(
                [row["title"], cell["municipality"], _values(cell), p["quote"], p["doc_id"], p["title"],
                 p["year"] or "", p["page"], p["section"], _link(base_url, p["url"])]
            )  # fmt: skip
    return out.getvalue()


def _citation_text(n: int, item: dict[str, Any]) -> str:
    p = item["passage"]
    year = f" ({p['year']})" if p.get("year") else ""
    section = f", afsnit »{p['section'].rsplit(' > ', 1)[-1]}«" if p.get("section") else ""
    return f"[{n}] {item['municipality']}: {p['title']}{year}, side {p['page']}{section}."


def _write_sources(doc: Any, items: list[dict[str, Any]], base_url: str) -> None:
    doc.add_heading("Kilder og citater", level=2)
    if not items:
        doc.add_paragraph("Ingen tekststykker.")
    for n, item in enumerate(items, 1):
        paragraph = doc.add_paragraph()
        paragraph.add_run(_xml(_citation_text(n, item))).bold = True
        if item.get("aspect_title"):
            paragraph.add_run(_xml(f" Aspekt: {item['aspect_title']}."))
        if item.get("values"):
            paragraph.add_run(_xml(" Tal: " + "; ".join(v["normalized"] for v in item["values"]) + "."))
        doc.add_paragraph(_xml(f"»{item['passage']['quote']}«"), style="Quote")
        doc.add_paragraph(_xml(f"Link: {_link(base_url, item['passage']['url'])}"))


def _new_document(title: str, question: str, date: str, landscape: bool) -> Any:
    doc = Document()
    if landscape:
        section = doc.sections[0]
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
        section.left_margin = section.right_margin = Cm(1.8)
    doc.styles["Normal"].font.size = Pt(10)
    doc.core_properties.title = _xml(title)[:250]
    doc.core_properties.language = "da-DK"
    doc.add_heading(_xml(title), level=1)
    doc.add_paragraph().add_run("Spørgsmål: ").bold = True
    doc.paragraphs[-1].add_run(_xml(question))
    doc.add_paragraph().add_run("Dato: ").bold = True
    doc.paragraphs[-1].add_run(danish_date(date))
    return doc


def matrix_docx(matrix: dict[str, Any], base_url: str = "") -> bytes:
    """The note: question, date, the matrix with values and citation numbers, then each quote in full."""
    names = matrix["municipalities"]
    title = f"Sammenligning af praksis: {matrix['query']}"
    doc = _new_document(title, matrix["query"], matrix["date"], landscape=len(names) > 2)
    doc.add_paragraph(_xml("Kommuner: " + ", ".join(names) + "."))
    doc.add_heading("Matrix", level=2)
    table = doc.add_table(rows=1, cols=len(names) + 1)
    table.style = "Table Grid"
    table.autofit = False
    section = doc.sections[0]
    usable = section.page_width - section.left_margin - section.right_margin
    widths = [Cm(3.5), *[int((usable - Cm(3.5)) / len(names))] * len(names)]
    for i, text in enumerate(["Aspekt", *names]):
        table.rows[0].cells[i].text = _xml(text)
        table.rows[0].cells[i].paragraphs[0].runs[0].bold = True
    items: list[dict[str, Any]] = []
    for row in matrix["rows"]:
        cells = table.add_row().cells
        cells[0].text = _xml(row["title"])
        for i, cell in enumerate(row["cells"], 1):
            p = cell["passage"]
            if p is None:
                cells[i].text = "–"
                continue
            items.append({**cell, "aspect_title": row["title"]})
            paragraph = cells[i].paragraphs[0]
            values = _values(cell)
            if values:
                paragraph.add_run(_xml(values)).bold = True
                paragraph.add_run(" ")
            else:
                short = (
                    p["quote"]
                    if len(p["quote"]) <= CELL_CHARS
                    else p["quote"][:CELL_CHARS].rsplit(" ", 1)[0] + " …"
                )
                paragraph.add_run(_xml(short) + " ")
            paragraph.add_run(f"[{len(items)}]")
    for row_cells in table.rows:
        for cell, width in zip(row_cells.cells, widths, strict=True):
            cell.width = width  # Word and LibreOffice both read the width from each cell
    doc.add_paragraph("– betyder, at intet tekststykke handlede tydeligt nok om både emnet og aspektet.")
    _write_sources(doc, items, base_url)
    return _save(doc)


def note_docx(question: str, date: str, items: list[dict[str, Any]], base_url: str = "") -> bytes:
    """A note of collected passages (matrix cells or search hits), each with its full citation."""
    doc = _new_document(f"Notat: {question}", question, date, landscape=False)
    _write_sources(doc, items, base_url)
    return _save(doc)


def _save(doc: Any) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
