"""The pipeline: finding files, Documents with metadata and chunks, and a clear error for every bad file."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from core.errors import BadFile, NeedsOCR, UnsupportedFile
from core.settings import Settings
from ingest import ocr, pipeline
from ingest.pipeline import iter_files, read_documents
from tests.ingest.ingest_files import (
    HTML_PAGE,
    build_cfb_office_file,
    build_pdf,
    build_scanned_pdf,
    build_zip_bomb_docx,
    encrypt_pdf,
    export_lines,
)

Write = Callable[[str, bytes], Path]
GREVE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "greve_dagsordener.jsonl"
needs_tesseract = pytest.mark.skipif(
    not ocr.ocr_available(), reason="Tesseract med dansk (tesseract-ocr-dan) er ikke installeret"
)


# ------------------------------------------------------------------------------------------ iter_files
def _tree(root: Path, names: list[str]) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("Tekst om børn.", encoding="utf-8")


def test_files_are_found_recursively_sorted_and_hidden_and_lock_files_skipped(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        ["b.txt", "a/æble.txt", "a/c.md", ".skjult.txt", ".git/config", "a/.cache/x.txt", "~$b.docx"],
    )
    found = [p.relative_to(tmp_path).as_posix() for p in iter_files([tmp_path])]
    assert found == ["a/c.md", "a/æble.txt", "b.txt"]


def test_explicit_files_and_folders_are_combined_without_duplicates(tmp_path: Path) -> None:
    _tree(tmp_path, ["x/1.txt", "x/2.txt"])
    found = list(iter_files([tmp_path / "x" / "2.txt", tmp_path / "x"]))
    assert [p.name for p in found] == ["2.txt", "1.txt"]


def test_brokerignore_patterns_apply_to_their_folder_and_below(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        [
            "corpus/queries.jsonl",
            "corpus/hjoerring.pdf",
            "corpus/kladde.tmp",
            "corpus/udkast/gammel.txt",
            "corpus/sub/queries.jsonl",
            "corpus/sub/behold.tmp",
            "corpus/arkiv/2019/plan.txt",
            "andet/queries.jsonl",
        ],
    )
    (tmp_path / "corpus" / ".brokerignore").write_text(
        "# eval-spørgsmål skal ikke i indekset\nqueries.jsonl\n*.tmp\n!sub/behold.tmp\nudkast/\n/arkiv/**/plan.txt\n",
        encoding="utf-8",
    )
    found = [p.relative_to(tmp_path).as_posix() for p in iter_files([tmp_path])]
    assert found == ["andet/queries.jsonl", "corpus/hjoerring.pdf", "corpus/sub/behold.tmp"]


# ------------------------------------------------------------------------------------------ documents
def test_pdf_becomes_a_document_with_metadata_and_bounded_chunks(
    kvalitetsstandard_pdf: bytes, write: Write, settings: Settings
) -> None:
    path = write("Hjørring_kvalitetsstandard_2019.pdf", kvalitetsstandard_pdf)
    (doc,) = read_documents(path, settings)
    digest = hashlib.sha256(kvalitetsstandard_pdf).hexdigest()
    assert (doc.doc_id, doc.content_hash) == (digest[:16], digest)
    assert doc.title == "Kvalitetsstandard for familiebehandling"
    assert (doc.municipality, doc.region) == ("Hjørring", "Region Nordjylland")
    assert (doc.doc_type, doc.year, doc.language, doc.page_count) == ("kvalitetsstandard", 2019, "da", 5)
    assert (doc.author, doc.created, doc.date) == ("Hjørring Kommune", "2019-04-30", "2019-04-30")
    (source,) = doc.sources
    assert source.path == str(path.resolve())
    assert (source.file_hash, source.size, source.record_id) == (digest, len(kvalitetsstandard_pdf), None)
    assert source.mtime == path.stat().st_mtime
    text = "\n".join(c.text for c in doc.chunks)
    assert "Side 2 af 5" not in text and "....." not in text
    sections = {c.section: (c.page_start, c.page_end) for c in doc.chunks}
    assert sections["1. Formål"] == (3, 3)
    assert sections["4. Kvalitet og opfølgning"] == (5, 5)
    for chunk in doc.chunks:
        assert len(chunk.text.split()) <= settings.chunk_max_words
        assert len(chunk.text) // 3 + 1 <= settings.chunk_max_tokens


def test_token_counter_from_the_embedder_bounds_the_chunks(
    kvalitetsstandard_pdf: bytes, write: Write
) -> None:
    def count_tokens(text: str) -> int:
        return len(text.split()) * 3

    path = write("hjoerring.pdf", kvalitetsstandard_pdf)
    (doc,) = read_documents(path, Settings(chunk_max_tokens=60), count_tokens=count_tokens)
    assert all(count_tokens(c.text) <= 60 for c in doc.chunks)
    assert len(doc.chunks) > 5


def test_docx_document_gets_municipality_from_metadata_and_year_from_created(
    docx_bytes: bytes, write: Write, settings: Settings
) -> None:
    (doc,) = read_documents(write("aflastning.docx", docx_bytes), settings)
    assert (doc.title, doc.municipality, doc.region) == (
        "Kvalitetsstandard for aflastning",
        "Aarhus",
        "Region Midtjylland",
    )
    assert (doc.doc_type, doc.year, doc.page_count) == ("kvalitetsstandard", 2021, 2)
    table_chunk = next(c for c in doc.chunks if "Døgnaflastning" in c.text)
    assert table_chunk.page_start == 2
    assert "Indsats: Døgnaflastning · Målgruppe: Unge 12-17 år" in table_chunk.text


def test_html_document_is_the_main_content_only(write: Write, settings: Settings) -> None:
    (doc,) = read_documents(write("familiebehandling.html", HTML_PAGE.encode("cp1252")), settings)
    assert (doc.title, doc.municipality, doc.year) == (
        "Familiebehandling i Hjørring Kommune",
        "Hjørring",
        2021,
    )
    text = "\n".join(c.text for c in doc.chunks)
    assert "cookies" not in text and "Springvandspladsen" not in text
    assert "børnefaglig undersøgelse" in text


def test_cp1252_text_file_with_danish_name(write: Write, settings: Settings) -> None:
    body = "Notat om sagstal\n\nSønderborg Kommune, 3. februar 2020.\n\nSagstallet er 30 børn pr. rådgiver i Børne- og Ungeudvalgets område.\n"
    (doc,) = read_documents(write("Sønderborg_notat_2020.txt", body.encode("cp1252")), settings)
    assert (doc.title, doc.municipality, doc.doc_type, doc.year) == (
        "Notat om sagstal",
        "Sønderborg",
        "notat",
        2020,
    )
    assert "Børne- og Ungeudvalgets" in doc.chunks[0].text


def test_each_export_record_is_its_own_document(write: Write, settings: Settings) -> None:
    lines = [*export_lines(), "{ødelagt linje"]
    path = write("greve_dagsordener.jsonl", "\n".join(lines).encode("utf-8"))
    warnings: list[str] = []
    first, second = read_documents(path, settings, warnings=warnings)
    assert warnings == ["Linje 3: ikke gyldig JSON"]
    assert (first.municipality, first.region, first.committee) == (
        "Greve",
        "Region Sjælland",
        "Børne- og Ungeudvalget",
    )
    assert (first.doc_type, first.year, first.date) == ("dagsorden/referat", 2023, "2023-05-08")
    assert second.doc_type == "dagsorden/referat"  # on a committee's agenda, whatever the title says
    assert first.title == "Status på familiebehandling"
    assert first.chunks[0].text.startswith("Status på familiebehandling\n")
    assert [s.record_id for s in first.sources] == ["a1"]
    assert first.sources[0].file_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert first.doc_id != second.doc_id and len(first.doc_id) == 16


def test_export_record_without_a_committee_gets_its_type_from_the_title(
    write: Write, settings: Settings
) -> None:
    line = '{"id": "n1", "kommune": "Køge", "titel": "Notat om sagstal", "tekst": "Sagstallet er 25."}'
    (doc,) = read_documents(write("notater.jsonl", line.encode()), settings)
    assert (doc.doc_type, doc.municipality, doc.year) == ("notat", "Køge", None)


def test_the_same_record_twice_is_read_once_with_a_warning(write: Write, settings: Settings) -> None:
    line = export_lines()[0]
    warnings: list[str] = []
    (doc,) = read_documents(
        write("dubletter.jsonl", f"{line}\n{line}\n".encode()), settings, warnings=warnings
    )
    assert [s.record_id for s in doc.sources] == ["a1"]
    assert warnings == ["Post a1 findes flere gange i filen og er kun læst én gang"]


def test_municipality_named_only_in_the_running_footer_is_found(write: Write, settings: Settings) -> None:
    pages = [[("p", f"Afsnit {n}: Handleplanen beskriver opfølgningen på skolefravær.")] for n in range(1, 5)]
    data = build_pdf(pages, header="Vesthimmerlands Kommune · Børn og Familie")
    (doc,) = read_documents(write("handleplan.pdf", data), settings)
    assert (doc.municipality, doc.region) == ("Vesthimmerland", "Region Nordjylland")
    assert "Vesthimmerlands Kommune" not in " ".join(c.text for c in doc.chunks)


@pytest.mark.skipif(not GREVE.exists(), reason="../shared/data/greve_dagsordener.jsonl findes ikke her")
def test_real_greve_agenda_items_become_danish_documents(write: Write, settings: Settings) -> None:
    with GREVE.open("rb") as handle:
        head = b"".join(handle.readline() for _ in range(60))
    docs = read_documents(write("greve_uddrag.jsonl", head), settings)
    assert len(docs) == 60
    assert {d.municipality for d in docs} == {"Greve"}
    assert {d.language for d in docs} == {"da"}
    assert all(d.year and 2022 <= d.year <= 2025 for d in docs)
    assert all(len(c.text.split()) <= settings.chunk_max_words for d in docs for c in d.chunks)


@needs_tesseract
def test_scanned_pdf_is_ocred_into_a_searchable_document(
    scanned_pdf: bytes, write: Write, settings: Settings
) -> None:
    (doc,) = read_documents(write("Hjørring_aflastning_scannet.pdf", scanned_pdf), settings)
    assert doc.municipality == "Hjørring"
    assert "forældrene" in " ".join(c.text for c in doc.chunks)


def test_pdf_with_a_scanned_page_and_text_is_indexed_with_a_warning(
    write: Write, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ocr, "ocr_available", lambda: False)
    data = build_scanned_pdf(
        ["Bilag"], extra_text_page="Handleplanen for Ærø Kommune følges op hver tredje måned."
    )
    warnings: list[str] = []
    (doc,) = read_documents(write("ærø_handleplan.pdf", data), settings, warnings=warnings)
    assert doc.municipality == "Ærø"
    assert warnings == ["Side 1 er scannet uden tekstlag og blev ikke læst (OCR er ikke tilgængelig)"]


# -------------------------------------------------------------------------------------- bad files
def _error(path: Path, settings: Settings) -> BadFile:
    with pytest.raises(BadFile) as info:
        read_documents(path, settings)
    return info.value


def test_encrypted_pdf_fails_with_a_danish_reason(
    kvalitetsstandard_pdf: bytes, write: Write, settings: Settings
) -> None:
    error = _error(write("låst.pdf", encrypt_pdf(kvalitetsstandard_pdf, "hemmelig")), settings)
    assert (error.code, error.message) == ("encrypted", "PDF'en er krypteret/beskyttet med adgangskode")


def test_truncated_pdf_fails_as_corrupt(
    kvalitetsstandard_pdf: bytes, write: Write, settings: Settings
) -> None:
    half = kvalitetsstandard_pdf[: len(kvalitetsstandard_pdf) // 2]
    assert _error(write("halv.pdf", half), settings).code == "corrupt"


def test_corrupt_pdf_fails_as_corrupt(write: Write, settings: Settings) -> None:
    assert _error(write("rod.pdf", b"%PDF-1.4\n" + b"\x00\xff" * 500 + b"%%EOF"), settings).code == "corrupt"


def test_zero_byte_file_fails_as_empty(write: Write, settings: Settings) -> None:
    error = _error(write("tom.pdf", b""), settings)
    assert (error.code, error.message) == ("empty", "Filen er tom (0 bytes)")


def test_binary_file_with_txt_extension_is_unsupported(write: Write, settings: Settings) -> None:
    with pytest.raises(UnsupportedFile, match="binær"):
        read_documents(write("notat.txt", bytes(range(256)) * 10), settings)


def test_password_protected_word_file_fails_as_encrypted(write: Write, settings: Settings) -> None:
    assert _error(write("fortroligt.docx", build_cfb_office_file()), settings).code == "encrypted"


def test_docx_zip_bomb_fails(write: Write, settings: Settings) -> None:
    assert _error(write("bombe.docx", build_zip_bomb_docx()), settings).code == "zip_bomb"


def test_file_over_the_size_limit_fails_before_it_is_read(kvalitetsstandard_pdf: bytes, write: Write) -> None:
    error = _error(write("stor.pdf", kvalitetsstandard_pdf), Settings(max_file_mb=0.001))
    assert error.code == "too_large"
    assert "grænsen er 0.001 MB" in error.message


def test_image_only_pdf_without_ocr_fails_with_needs_ocr(
    scanned_pdf: bytes, write: Write, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ocr, "ocr_available", lambda: False)
    with pytest.raises(NeedsOCR, match="kræver OCR"):
        read_documents(write("scannet.pdf", scanned_pdf), settings)


def test_document_without_any_text_fails_as_empty(write: Write, settings: Settings) -> None:
    blank = build_pdf([[("p", " ")], [("p", " ")]])
    error = _error(write("blank.pdf", blank), settings)
    assert (error.code, error.message) == ("empty", "Ingen tekst fundet i dokumentet")


def _slow_parser(data: bytes) -> object:
    time.sleep(30)
    raise AssertionError("the time limit should have stopped this")


def test_slow_parsing_is_stopped_at_the_time_limit(write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(pipeline.PARSERS, "text", _slow_parser)
    started = time.monotonic()
    error = _error(write("langsom.txt", "Tekst om børn.".encode()), Settings(parse_timeout_s=0.5))
    assert time.monotonic() - started < 10
    assert (error.code, error.message) == ("timeout", "Filen tog for lang tid at læse (over 0.5 s)")


def _greedy_parser(data: bytes) -> object:
    return bytearray(6 * 1024**3)  # more than the child's memory limit allows


def test_a_parser_that_needs_too_much_memory_fails_cleanly(
    write: Write, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(pipeline.PARSERS, "text", _greedy_parser)
    error = _error(write("grådig.txt", b"Tekst."), settings)
    assert error.code == "too_large"
    assert "hukommelse" in error.message


def _crashing_parser(data: bytes) -> object:
    raise ZeroDivisionError("division by zero")


def test_an_unexpected_parser_error_is_an_internal_per_file_failure_logged_with_its_traceback(
    write: Write, settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(pipeline.PARSERS, "text", _crashing_parser)
    with caplog.at_level(logging.ERROR, logger="ingest.pipeline"):
        error = _error(write("fejl.txt", b"Tekst."), settings)
    assert error.code == "internal"  # our fault, not a broken file
    assert "Intern fejl" in error.message
    assert "ZeroDivisionError" not in error.message  # no library or class names in a user's message
    assert "Traceback" not in error.message
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Traceback" in logged and "_crashing_parser" in logged and "fejl.txt" in logged
    assert "ZeroDivisionError" in logged  # the operator gets the class
