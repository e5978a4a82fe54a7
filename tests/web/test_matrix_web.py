"""The compare view's matrix mode in a real Chromium: aspects × municipalities, values, citations and the note."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from docx import Document
from playwright.sync_api import Locator, Page, expect

from tests.web.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]
MATRIX = "/?view=compare&q=familiebehandling&kommune=Hj%C3%B8rring&kommune=Herning&visning=matrix"


def cell(page: Page, aspect: str, municipality: str) -> Locator:
    return page.locator(f'td.matrix-cell[data-aspect="{aspect}"][data-municipality="{municipality}"]')


def test_the_matrix_puts_aspects_in_rows_and_municipalities_in_columns_at_tablet_width(tablet: Page) -> None:
    tablet.goto(MATRIX)
    table = tablet.locator("table.matrix")
    expect(table).to_be_visible()
    expect(table.locator("thead th")).to_have_text(["Aspekt", "Hjørring", "Herning"])
    expect(table.locator("tbody tr")).to_have_count(8)
    expect(table.locator("tbody th").first).to_have_text("Målgruppe")
    law = cell(tablet, "lovgrundlag", "Hjørring")
    expect(law.locator("mark.matrix-value")).to_have_text(["BL § 32 (SEL § 52, stk. 3, nr. 3)"])
    link = law.locator("a.open-file")
    expect(link).to_contain_text("Kvalitetsstandard for familiebehandling · 2019 · s. 1")
    href = link.get_attribute("href") or ""
    assert "/api/documents/" in href and href.endswith("#page=1")
    overflow = tablet.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, "the matrix scrolls the page sideways at tablet width"
    screenshot(tablet, "matrix-tablet")  # docs/matrix.png in the README is a copy of this one


def test_the_view_switches_between_columns_and_matrix_and_the_address_says_which(page: Page) -> None:
    page.goto("/?view=compare&q=familiebehandling&kommune=Hj%C3%B8rring&kommune=Herning")
    expect(page.locator(".compare-grid .muni-card")).to_have_count(2)
    page.locator("label", has_text="Matrix").click()
    expect(page.locator("table.matrix")).to_be_visible()
    assert parse_qs(urlsplit(page.url).query)["visning"] == ["matrix"]
    page.go_back()
    expect(page.locator(".compare-grid .muni-card")).to_have_count(2)


def test_cells_are_collected_into_a_note_exported_as_word(page: Page) -> None:
    page.goto(MATRIX)
    button = cell(page, "lovgrundlag", "Hjørring").get_by_role("button", name="Tilføj til notat")
    button.click()
    expect(cell(page, "lovgrundlag", "Hjørring").locator("button.note-add")).to_have_attribute(
        "aria-pressed", "true"
    )
    panel = page.locator(".note-panel")
    expect(panel.locator(".note-title")).to_have_text("Notat (1)")
    expect(panel.locator("li")).to_contain_text("Lovgrundlag · Hjørring")
    with page.expect_download() as download:
        panel.get_by_role("button", name="Hent notatet (Word)").click()
    assert download.value.suggested_filename == "notat.docx"
    doc = Document(io.BytesIO(Path(download.value.path()).read_bytes()))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert doc.paragraphs[0].text == "Notat: familiebehandling"
    assert "[1] Hjørring: Kvalitetsstandard for familiebehandling (2019), side 1" in text
    page.reload()  # the note is kept for the session
    expect(page.locator(".note-panel .note-title")).to_have_text("Notat (1)")
    page.locator(".note-panel").get_by_role("button", name="Tøm notatet").click()
    expect(page.locator(".note-panel .note-title")).to_have_text("Notat (0)")
