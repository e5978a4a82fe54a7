"""JSON Lines exports: one record a line, field aliases, and bad lines skipped but reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.jsonl import iso_date, parse_jsonl
from tests.ingest.ingest_files import export_lines

GREVE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "greve_dagsordener.jsonl"


def test_records_carry_the_export_fields() -> None:
    records, problems = parse_jsonl("\n".join(export_lines()).encode("utf-8"))
    assert problems == []
    first = records[0]
    assert (first.record_id, first.municipality, first.committee) == ("a1", "Greve", "Børne- og Ungeudvalget")
    assert (first.date, first.case_number, first.title) == (
        "2023-05-08",
        "23-001234",
        "Status på familiebehandling",
    )
    assert "sagstallet er 28 børn" in first.text


def test_danish_and_common_aliases_are_accepted() -> None:
    records, _ = parse_jsonl("\n".join(export_lines()).encode("utf-8"))
    second = records[1]
    assert second.municipality == "Greve"
    assert second.committee == "Børne- og Ungeudvalget"
    assert second.title == "Kvalitetsstandard for aflastning"
    assert second.text.startswith("Indstilling")
    assert second.date == "2023-05-08"


def test_bad_lines_are_skipped_and_reported_with_their_line_number() -> None:
    lines = [*export_lines(), "{ikke json", "[1, 2]", '{"id": "tom"}']
    records, problems = parse_jsonl("\n".join(lines).encode("utf-8"))
    assert len(records) == 2
    assert problems == [
        "Linje 3: ikke gyldig JSON",
        "Linje 4: ikke et JSON-objekt",
        "Linje 5: posten har hverken titel eller tekst",
    ]


def test_unknown_fields_are_kept_as_extra_and_missing_ids_get_the_line_number() -> None:
    records, _ = parse_jsonl(b'\n{"titel": "Notat", "tekst": "Om SSP.", "bilag": ["a.pdf"]}\n')
    assert records[0].record_id == "linje-2"
    assert records[0].extra == {"bilag": ["a.pdf"]}


def test_dates_in_danish_notation_become_iso() -> None:
    assert iso_date("10.01.2022") == "2022-01-10"
    assert iso_date("2022-01-10T09:00:00") == "2022-01-10"
    assert iso_date("snart") is None


@pytest.mark.skipif(not GREVE.exists(), reason="../shared/data/greve_dagsordener.jsonl findes ikke her")
def test_the_real_greve_export_parses_without_problems() -> None:
    with GREVE.open("rb") as handle:
        head = b"".join(handle.readline() for _ in range(300))
    records, problems = parse_jsonl(head)
    assert problems == []
    assert len(records) == 300
    assert all(r.municipality == "Greve" and r.committee and r.date for r in records)
