"""Sniffing judges files by their content; the extension is only a hint."""

from __future__ import annotations

import io
import zipfile

import pytest

from core.errors import BadFile, UnsupportedFile
from ingest.detect import sniff
from tests.ingest.ingest_files import HTML_PAGE, build_cfb_office_file, export_lines


def test_pdf_is_recognised_by_its_magic_bytes_whatever_the_name(kvalitetsstandard_pdf: bytes) -> None:
    assert sniff(kvalitetsstandard_pdf, "Hjørring_kvalitetsstandard_2019.pdf") == "pdf"
    assert sniff(kvalitetsstandard_pdf, "rapport.txt") == "pdf"


def test_docx_is_a_zip_holding_word_document_xml(docx_bytes: bytes) -> None:
    assert sniff(docx_bytes, "Aarhus_aflastning.docx") == "docx"
    assert sniff(docx_bytes, "uden_endelse") == "docx"


def test_html_is_recognised_by_markup_even_with_a_txt_name() -> None:
    assert sniff(HTML_PAGE.encode("cp1252"), "side.html") == "html"
    assert sniff(HTML_PAGE.encode("utf-8"), "gemt_side.txt") == "html"


def test_jsonl_needs_every_line_to_be_a_json_object() -> None:
    data = "\n".join(export_lines()).encode("utf-8")
    assert sniff(data, "greve_dagsordener.jsonl") == "jsonl"
    assert sniff(data, "eksport.txt") == "jsonl"
    assert sniff(b'{"a": 1}\nikke json her\n', "noter.txt") == "text"


def test_plain_danish_text_is_text() -> None:
    assert sniff("Børne- og Ungeudvalget i Sønderborg".encode("cp1252"), "notat.txt") == "text"
    assert sniff(b"# Overskrift\n\nTekst.", "README.md") == "text"


def test_zero_bytes_is_an_empty_file_error() -> None:
    with pytest.raises(BadFile) as info:
        sniff(b"", "tom.pdf")
    assert info.value.code == "empty"
    assert info.value.message == "Filen er tom (0 bytes)"


def test_binary_content_with_a_text_extension_is_refused() -> None:
    with pytest.raises(UnsupportedFile) as info:
        sniff(bytes(range(256)) * 20, "notat.txt")
    assert "binær" in info.value.message


@pytest.mark.parametrize(
    ("data", "name", "word"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "logo.png", "billede"),
        (b"\xff\xd8\xff\xe0" + b"\0" * 100, "foto.pdf", "billede"),
        (b"MZ\x90\x00" + b"\0" * 100, "setup.exe", "program"),
        (b"\x7fELF" + b"\0" * 100, "værktøj", "program"),
    ],
)
def test_images_and_executables_are_unsupported(data: bytes, name: str, word: str) -> None:
    with pytest.raises(UnsupportedFile) as info:
        sniff(data, name)
    assert word in info.value.message


def test_a_zip_that_is_not_a_docx_is_unsupported() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("bilag/plan.txt", "Handleplan for Ærø Kommune")
    with pytest.raises(UnsupportedFile) as info:
        sniff(out.getvalue(), "bilag.zip")
    assert "zip-arkiv" in info.value.message


def test_password_protected_office_file_is_reported_as_encrypted() -> None:
    with pytest.raises(BadFile) as info:
        sniff(build_cfb_office_file(), "Fortroligt_notat_Køge.docx")
    assert info.value.code == "encrypted"
    assert "adgangskode" in info.value.message


def test_bare_cfb_header_named_docx_is_also_encrypted() -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1000
    with pytest.raises(BadFile) as info:
        sniff(data, "beskyttet.docx")
    assert info.value.code == "encrypted"


def test_old_word_doc_format_is_unsupported_with_advice() -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1000
    with pytest.raises(UnsupportedFile) as info:
        sniff(data, "gammelt.doc")
    assert ".docx" in info.value.message


def test_truncated_zip_named_docx_is_corrupt(docx_bytes: bytes) -> None:
    with pytest.raises(BadFile) as info:
        sniff(docx_bytes[: len(docx_bytes) // 2], "halv.docx")
    assert info.value.code == "corrupt"


def test_json_that_is_not_json_lines_is_unsupported() -> None:
    with pytest.raises(UnsupportedFile) as info:
        sniff(b'[\n  {"id": 1}\n]\n', "data.json")
    assert "JSON Lines" in info.value.message
