"""JSON Lines exports (agenda items, case-system records): one record per line, bad lines reported."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ingest.text import decode_text

# Accepted field names, first match wins.
ALIASES: dict[str, tuple[str, ...]] = {
    "record_id": ("id", "record_id", "recordId", "uuid", "_id", "dokument_id", "sag_id"),
    "title": ("title", "titel", "overskrift", "emne", "name", "navn", "heading"),
    "text": ("text", "body", "content", "tekst", "indhold", "brødtekst", "beskrivelse", "description"),
    "date": ("date", "dato", "meeting_date", "mødedato", "published", "created", "oprettet"),
    "municipality": ("municipality", "kommune", "kommunenavn", "organisation", "organization"),
    "committee": ("committee", "udvalg", "board", "forum"),
    "case_number": ("case_number", "caseNumber", "sagsnummer", "sagsnr", "journalnummer", "j_nr"),
}


@dataclass
class ExportRecord:
    """One record of an export: the text fields we index plus whatever else it carried (`extra`)."""

    record_id: str
    title: str
    text: str
    date: str | None
    municipality: str | None
    committee: str | None
    case_number: str | None
    extra: dict[str, Any] = field(default_factory=dict)


def iso_date(value: str) -> str | None:
    """YYYY-MM-DD from "2022-01-10", "2022-01-10T09:00:00", "10-01-2022" or "10.01.2022"."""
    value = value.strip()
    m = re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})", value)
    if m:
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    else:
        m = re.match(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})\b", value)
        if not m:
            return None
        day, month, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if 1 <= month <= 12 and 1 <= day <= 31:
        return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n\n".join(t for t in (_as_text(v) for v in value) if t.strip())
    if isinstance(value, dict):
        return "\n\n".join(t for t in (_as_text(v) for v in value.values()) if t.strip())
    return str(value)


def _pick(obj: dict[str, Any], key: str) -> tuple[str | None, Any]:
    lowered = {k.lower(): k for k in obj}
    for alias in ALIASES[key]:
        real = alias if alias in obj else lowered.get(alias.lower())
        if real is not None and obj[real] not in (None, ""):
            return real, obj[real]
    return None, None


def record_from_object(obj: dict[str, Any], line_number: int) -> ExportRecord:
    """Map one JSON object onto an ExportRecord using the aliases; unknown fields go to `extra`."""
    used: set[str] = set()
    values: dict[str, Any] = {}
    for key in ALIASES:
        real, value = _pick(obj, key)
        if real is not None:
            used.add(real)
            values[key] = value
    extra = {k: v for k, v in obj.items() if k not in used}
    raw_date = _as_text(values.get("date")).strip()
    date = iso_date(raw_date) if raw_date else None
    if raw_date and date is None:
        extra["date_raw"] = raw_date

    def optional(key: str) -> str | None:
        text = " ".join(_as_text(values.get(key)).split())
        return text or None

    record_id = _as_text(values.get("record_id")).strip() or f"linje-{line_number}"
    return ExportRecord(
        record_id=record_id,
        title=" ".join(_as_text(values.get("title")).split()),
        text=_as_text(values.get("text")).strip(),
        date=date,
        municipality=optional("municipality"),
        committee=optional("committee"),
        case_number=optional("case_number"),
        extra=extra,
    )


def _lines(data: bytes) -> list[str | None]:
    """The export's lines as text; None for a line with a raw NUL byte, which no JSON text carries (decoding
    would drop the NUL silently and keep a damaged record). UTF-16 carries NULs by design: decoded whole."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return list(decode_text(data).split("\n"))
    raw = data.replace(b"\r\n", b"\n").split(b"\n")
    if b"\x00" not in data:  # the common case: one decoding for the whole file, as before
        return list(decode_text(data).split("\n"))
    return [None if b"\x00" in line else decode_text(line) for line in raw]


def parse_jsonl(data: bytes) -> tuple[list[ExportRecord], list[str]]:
    """Parse a JSON Lines export into records.

    Returns (records, problems): lines that are not valid JSON objects, or carry neither title nor
    text, are skipped and described in Danish in `problems` ("Linje 17: ikke gyldig JSON").
    """
    records: list[ExportRecord] = []
    problems: list[str] = []
    for number, line in enumerate(_lines(data), start=1):
        if line is None:
            problems.append(f"Linje {number}: posten indeholder binære tegn (NUL-byte) og er sprunget over")
            continue
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            problems.append(f"Linje {number}: ikke gyldig JSON")
            continue
        if not isinstance(obj, dict):
            problems.append(f"Linje {number}: ikke et JSON-objekt")
            continue
        record = record_from_object(obj, number)
        if not record.title and not record.text:
            problems.append(f"Linje {number}: posten har hverken titel eller tekst")
            continue
        records.append(record)
    return records, problems


def find_record(lines: Iterable[str], record_id: str) -> ExportRecord | None:
    """The record with this id among an export's lines (numbered as `parse_jsonl` numbers them)."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict):
            record = record_from_object(obj, number)
            if record.record_id == record_id:
                return record
    return None


def record_text(record: ExportRecord) -> str:
    """A record as readable text: title, committee and date on the first line, then the text."""
    head = " · ".join(v for v in (record.title, record.committee, record.date) if v)
    return f"{head}\n\n{record.text}" if head else record.text
