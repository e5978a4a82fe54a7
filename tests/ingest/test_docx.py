"""Word files: body in document order, heading levels, lists, readable table rows, pages and metadata."""

from __future__ import annotations

import io

import pytest

from core.errors import BadFile
from ingest import docx as docx_module
from ingest.docx import parse_docx
from tests.ingest.ingest_files import build_cfb_office_file, build_docx, build_zip_bomb_docx


def test_headings_keep_their_levels_and_the_title_style_is_level_one(docx_bytes: bytes) -> None:
    headings = [(b.level, b.text) for b in parse_docx(docx_bytes).blocks if b.kind == "heading"]
    assert headings == [
        (1, "Kvalitetsstandard for aflastning"),
        (1, "1. Formål"),
        (2, "Målgruppe"),
        (1, "2. Indsatser og varighed"),
    ]


def test_body_is_read_in_document_order_with_tables_between_paragraphs(docx_bytes: bytes) -> None:
    kinds = [b.kind for b in parse_docx(docx_bytes).blocks]
    assert kinds == ["heading", "heading", "paragraph", "heading", "list", "heading", "table", "paragraph"]


def test_table_rows_read_as_column_value_pairs_from_the_header_row(docx_bytes: bytes) -> None:
    table = next(b for b in parse_docx(docx_bytes).blocks if b.kind == "table")
    assert table.text.split("\n") == [
        "Indsats: Aflastningsfamilie · Målgruppe: Børn 0-17 år · Varighed: 1-2 weekender pr. måned",
        "Indsats: Døgnaflastning · Målgruppe: Unge 12-17 år · Varighed: Op til 6 måneder",
    ]


def test_table_without_a_header_row_joins_cells_with_bars() -> None:
    import docx

    document = docx.Document()
    table = document.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = (
        "Lovgrundlag",
        "Serviceloven § 52, stk. 3, nr. 5",
    )
    table.rows[1].cells[0].text, table.rows[1].cells[1].text = "Målgruppe", "Børn og unge med særlige behov"
    out = io.BytesIO()
    document.save(out)
    block = parse_docx(out.getvalue()).blocks[0]
    assert (
        block.text
        == "Lovgrundlag | Serviceloven § 52, stk. 3, nr. 5\nMålgruppe | Børn og unge med særlige behov"
    )


def test_list_paragraphs_are_one_list_block(docx_bytes: bytes) -> None:
    items = next(b for b in parse_docx(docx_bytes).blocks if b.kind == "list")
    assert items.text == "• Børn med nedsat funktionsevne\n• Familier med et stort støttebehov"


def test_page_breaks_advance_the_page_number(docx_bytes: bytes) -> None:
    parsed = parse_docx(docx_bytes)
    assert parsed.page_count == 2
    table = next(b for b in parsed.blocks if b.kind == "table")
    assert table.page == 2
    assert parsed.blocks[0].page == 1


def test_core_properties_give_title_author_and_created(docx_bytes: bytes) -> None:
    meta = parse_docx(docx_bytes).meta
    assert meta["title"] == "Kvalitetsstandard for aflastning"
    assert meta["author"] == "Aarhus Kommune"
    assert meta["created"] == "2021-03-12"


def test_password_protected_office_file_is_encrypted() -> None:
    with pytest.raises(BadFile) as info:
        parse_docx(build_cfb_office_file())
    assert info.value.code == "encrypted"
    assert "adgangskode" in info.value.message


def test_not_a_zip_is_corrupt() -> None:
    with pytest.raises(BadFile) as info:
        parse_docx(b"Dette er ikke et Word-dokument")
    assert info.value.code == "corrupt"


def test_truncated_docx_is_corrupt(docx_bytes: bytes) -> None:
    with pytest.raises(BadFile) as info:
        parse_docx(docx_bytes[: len(docx_bytes) // 2])
    assert info.value.code == "corrupt"


def test_zip_bomb_is_refused_by_its_compression_ratio_before_unpacking() -> None:
    with pytest.raises(BadFile) as info:
        parse_docx(build_zip_bomb_docx())
    assert info.value.code == "zip_bomb"
    assert "zip-bombe" in info.value.message


def test_zip_bomb_is_refused_by_its_total_declared_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docx_module, "MAX_UNCOMPRESSED", 10_000)
    with pytest.raises(BadFile) as info:
        parse_docx(build_docx())
    assert info.value.code == "zip_bomb"
