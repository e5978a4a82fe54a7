"""PDF reading: paragraphs per page, headings, metadata, OCR of scans, and clear errors for bad PDFs."""

from __future__ import annotations

import io
import time

import pytest

from core.errors import BadFile, NeedsOCR
from core.types import ParsedFile
from ingest import ocr
from ingest.pdf import parse_pdf, pdf_date
from tests.ingest.ingest_files import build_pdf, build_reportlab_pdf, build_scanned_pdf, encrypt_pdf

needs_tesseract = pytest.mark.skipif(
    not ocr.ocr_available(), reason="Tesseract med dansk (tesseract-ocr-dan) er ikke installeret"
)


def _text(parsed: ParsedFile) -> str:
    return "\n".join(b.text for b in parsed.blocks)


def test_text_is_extracted_per_page_with_danish_letters(kvalitetsstandard_pdf: bytes) -> None:
    parsed = parse_pdf(kvalitetsstandard_pdf)
    assert parsed.page_count == 5
    assert {b.page for b in parsed.blocks} == {1, 2, 3, 4, 5}
    purpose = next(b for b in parsed.blocks if b.text.startswith("Familiebehandling er en indsats"))
    assert purpose.page == 3
    assert "forældreskabet" in purpose.text and "børnesamtalen" in purpose.text


def test_metadata_title_author_and_iso_creation_date(kvalitetsstandard_pdf: bytes) -> None:
    meta = parse_pdf(kvalitetsstandard_pdf).meta
    assert meta["title"] == "Kvalitetsstandard for familiebehandling"
    assert meta["author"] == "Hjørring Kommune"
    assert meta["created"] == "2019-04-30"


def test_pdf_dates_become_iso_dates() -> None:
    assert pdf_date("D:20190430101500+02'00'") == "2019-04-30"
    assert pdf_date("D:2019") == "2019"
    assert pdf_date("i går") is None


def test_numbered_lines_become_headings_with_numbering_depth() -> None:
    data = build_pdf(
        [
            [
                ("h2", "2. Målgruppe"),
                ("p", "Børn og unge i alderen 0-18 år."),
                ("h2", "2.3 Lovgrundlag"),
                ("p", "§ 52."),
            ]
        ]
    )
    headings = [(b.level, b.text) for b in parse_pdf(data).blocks if b.kind == "heading"]
    assert headings == [(1, "2. Målgruppe"), (2, "2.3 Lovgrundlag")]


def test_short_title_case_line_followed_by_text_is_a_heading() -> None:
    data = build_pdf(
        [[("h2", "Hvem kan få aflastning"), ("p", "Familier med børn med nedsat funktionsevne.")]]
    )
    first = parse_pdf(data).blocks[0]
    assert (first.kind, first.level, first.text) == ("heading", 2, "Hvem kan få aflastning")


def test_bullets_and_table_columns_keep_their_shape() -> None:
    blocks = parse_pdf(build_reportlab_pdf()).blocks
    kinds = {b.kind: b.text for b in blocks}
    assert kinds["list"] == "• Socialrådgivere i dagtilbud\n• Åben anonym rådgivning i familiehuset"
    assert kinds["table"] == "Indsats: Familiebehandling · Målgruppe: Børn 0-18 år · Pris: 12.000 kr."
    assert [b.kind for b in blocks] == ["heading", "paragraph", "heading", "list", "table"]


def test_pdf_encrypted_with_a_user_password_is_refused_in_danish(kvalitetsstandard_pdf: bytes) -> None:
    with pytest.raises(BadFile) as info:
        parse_pdf(encrypt_pdf(kvalitetsstandard_pdf, user_password="hemmelig"))
    assert info.value.code == "encrypted"
    assert info.value.message == "PDF'en er krypteret/beskyttet med adgangskode"


def test_pdf_with_only_an_owner_password_opens_with_the_empty_password(kvalitetsstandard_pdf: bytes) -> None:
    parsed = parse_pdf(encrypt_pdf(kvalitetsstandard_pdf, user_password=""))
    assert "børnesamtalen" in _text(parsed)


def test_truncated_pdf_is_corrupt(kvalitetsstandard_pdf: bytes) -> None:
    with pytest.raises(BadFile) as info:
        parse_pdf(kvalitetsstandard_pdf[: len(kvalitetsstandard_pdf) // 2])
    assert info.value.code == "corrupt"
    assert "afkortet" in info.value.message


def test_garbage_after_the_pdf_header_is_corrupt() -> None:
    with pytest.raises(BadFile) as info:
        parse_pdf(b"%PDF-1.7\n" + bytes(range(256)) * 50 + b"\n%%EOF\n")
    assert info.value.code == "corrupt"


@needs_tesseract
def test_scanned_pdf_page_is_ocred_in_danish(scanned_pdf: bytes) -> None:
    parsed = parse_pdf(scanned_pdf)
    assert parsed.ocr_pages == [1]
    assert parsed.pages_needing_ocr == []
    text = _text(parsed)
    assert "Hjørring Kommune" in text
    assert "børn" in text and "forældrene" in text


def test_image_only_pdf_without_ocr_raises_needs_ocr(
    scanned_pdf: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ocr, "ocr_available", lambda: False)
    with pytest.raises(NeedsOCR) as info:
        parse_pdf(scanned_pdf)
    assert info.value.code == "needs_ocr"
    assert "tesseract-ocr-dan" in info.value.message


def test_ocr_switched_off_also_raises_needs_ocr_for_an_image_only_pdf(scanned_pdf: bytes) -> None:
    with pytest.raises(NeedsOCR):
        parse_pdf(scanned_pdf, ocr=False)


def test_mixed_pdf_keeps_its_text_and_lists_the_scanned_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "ocr_available", lambda: False)
    data = build_scanned_pdf(["Bilag 1"], extra_text_page="Handleplanen følges op hver tredje måned.")
    parsed = parse_pdf(data)
    assert parsed.pages_needing_ocr == [1]
    assert parsed.ocr_pages == []
    assert [(b.page, b.text) for b in parsed.blocks] == [(2, "Handleplanen følges op hver tredje måned.")]


def test_thousands_of_empty_pages_are_cheap() -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(5000):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    started = time.monotonic()
    parsed = parse_pdf(out.getvalue())
    assert time.monotonic() - started < 20
    assert parsed.page_count == 5000
    assert parsed.blocks == [] and parsed.pages_needing_ocr == []


def _no_ocr_expected(data: bytes, page_index: int) -> str:
    raise AssertionError("no page should be OCR'ed after the deadline")


def test_ocr_stops_at_the_deadline_and_keeps_the_text_it_has(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "ocr_available", lambda: True)
    monkeypatch.setattr(ocr, "ocr_pdf_page", _no_ocr_expected)
    data = build_scanned_pdf(["Bilag"], extra_text_page="Handleplanen følges op hver tredje måned.")
    parsed = parse_pdf(data, ocr_deadline=time.monotonic() - 1)
    assert parsed.pages_needing_ocr == [1]
    assert [b.text for b in parsed.blocks] == ["Handleplanen følges op hver tredje måned."]


def test_scan_that_could_not_be_ocred_in_time_fails_as_a_timeout(
    scanned_pdf: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ocr, "ocr_available", lambda: True)
    monkeypatch.setattr(ocr, "ocr_pdf_page", _no_ocr_expected)
    with pytest.raises(BadFile) as info:
        parse_pdf(scanned_pdf, ocr_deadline=time.monotonic() - 1)
    assert info.value.code == "timeout"


def test_ocr_misreadings_of_the_paragraph_sign_are_repaired() -> None:
    text = "efter servicelovens 8 140 og jf. S 52, stk. 3, Barnets Lov & 32, men 8 børn i 8 140 tilfælde"
    assert ocr.fix_paragraph_signs(text) == (
        "efter servicelovens § 140 og jf. § 52, stk. 3, Barnets Lov § 32, men 8 børn i 8 140 tilfælde"
    )


def test_a_page_that_is_mostly_dot_leaders_keeps_its_text() -> None:
    toc = "\n".join(f"{n}. Afsnit nummer {n} " + "." * 120 + f" {n + 2}" for n in range(1, 15))
    data = build_pdf([[("p", "Illustrativt eksempel på en indholdsfortegnelse."), ("toc", toc)]])
    assert "Illustrativt eksempel" in _text(parse_pdf(data))
