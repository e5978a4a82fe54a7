"""An agenda export's record is served by the same reading of the format that ingested it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from broker.indexing import sync
from core.settings import Settings
from index.embed import Embedder
from tests.api.conftest import serve

pytestmark = pytest.mark.slow

RECORDS = [
    {  # Danish field names, as some agenda systems export them
        "sag_id": "SAG-2023-117",
        "titel": "Status på familiebehandling i hjemmet",
        "tekst": "Børne- og Ungeudvalget orienteres om ventetiden på familiebehandling i Greve Kommune.",
        "udvalg": "Børne- og Ungeudvalget",
        "dato": "2023-03-14",
        "kommune": "Greve",
    },
    {  # no id at all: the record is known by its line
        "title": "Aflastning til familier med børn med handicap",
        "text": "Udvalget godkender kvalitetsstandarden for aflastning efter Barnets Lov § 32.",
        "municipality": "Greve",
    },
]


def test_records_keyed_in_danish_or_by_line_are_served_with_their_text(tmp_path: Path, e5: Embedder) -> None:
    export = tmp_path / "eksport" / "greve_dagsorden.jsonl"
    export.parent.mkdir()
    lines = [json.dumps(RECORDS[0], ensure_ascii=False), "", json.dumps(RECORDS[1], ensure_ascii=False)]
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data")
    report = sync([export.parent], settings, e5)
    assert not report.failed

    with serve(settings, e5) as live, httpx.Client(base_url=live.url, timeout=60) as client:
        documents = client.get("/api/documents").json()["documents"]
        assert len(documents) == 2
        bodies = {}
        for doc in documents:
            answer = client.get(f"/api/documents/{doc['doc_id']}/file")
            assert answer.status_code == 200, answer.text
            bodies[doc["title"]] = answer.text

    first = bodies["Status på familiebehandling i hjemmet"]
    assert "ventetiden på familiebehandling" in first and "Børne- og Ungeudvalget" in first
    second = bodies["Aflastning til familier med børn med handicap"]
    assert "Barnets Lov § 32" in second
