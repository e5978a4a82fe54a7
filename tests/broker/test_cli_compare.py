"""`broker compare` and `broker eval --compare`: JSON, readable output, files written, one-line Danish errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from docx import Document

from core.settings import Settings
from tests.broker.test_cli import broker

pytestmark = pytest.mark.slow


def test_compare_json_and_files(small_index: tuple[Settings, Path], tmp_path: Path) -> None:
    table, note = tmp_path / "matrix.csv", tmp_path / "notat.docx"
    done = broker(
        "compare", "familiebehandling", "--kommune", "Hjørring", "--kommune", "Herning",
        "--aspekt", "lovgrundlag", "--json", "--csv", str(table), "--docx", str(note),
        data=small_index[0].data_dir,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert [r["aspect"] for r in body["rows"]] == ["lovgrundlag"]
    assert body["rows"][0]["cells"][0]["values"][0]["normalized"] == "BL § 32 (SEL § 52, stk. 3, nr. 3)"
    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    assert [(r["aspekt"], r["kommune"]) for r in rows] == [
        ("Lovgrundlag", "Hjørring"),
        ("Lovgrundlag", "Herning"),
    ]
    assert "Spørgsmål: familiebehandling" in "\n".join(p.text for p in Document(str(note)).paragraphs)


def test_compare_prints_a_readable_matrix(small_index: tuple[Settings, Path]) -> None:
    done = broker(
        "compare", "familiebehandling", "--kommune", "Hjørring", "--kommune", "Herning", "--aspekt", "lovgrundlag",
        data=small_index[0].data_dir,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Lovgrundlag" in done.stdout and "Hjørring: BL § 32 (SEL § 52, stk. 3, nr. 3)" in done.stdout
    assert "»" in done.stdout and "s. 1" in done.stdout


def test_compare_mistakes_are_one_danish_line(small_index: tuple[Settings, Path]) -> None:
    one = broker("compare", "familiebehandling", "--kommune", "Hjørring", data=small_index[0].data_dir)
    assert (
        one.returncode == 2
        and one.stderr.strip() == "Fejl: Vælg mellem 2 og 6 forskellige kommuner at sammenligne."
    )
    bad = broker(
        "compare", "x", "--kommune", "Hjørring", "--kommune", "Herning", "--aspekt", "pris",
        data=small_index[0].data_dir,
    )  # fmt: skip
    assert bad.returncode == 2 and "Ukendt aspekt »pris«" in bad.stderr and "Traceback" not in bad.stderr


def test_eval_compare_reports_precision_recall_and_values(
    small_index: tuple[Settings, Path], tmp_path: Path
) -> None:
    tasks = tmp_path / "tasks.jsonl"
    task = {
        "topic": "familiebehandling",
        "kommuner": ["Hjørring", "Vejle"],
        "cells": {
            "lovgrundlag": {
                "Hjørring": {"doc": "hjoerring_kvalitetsstandard_familiebehandling_2019.txt",
                             "values": ["BL § 32 (SEL § 52, stk. 3, nr. 3)"]},
                "Vejle": "none",
            }
        },
    }  # fmt: skip
    tasks.write_text(json.dumps(task, ensure_ascii=False) + "\n", encoding="utf-8")
    done = broker("eval", "--compare", str(tasks), "--json", data=small_index[0].data_dir)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["cell_precision"], result["cell_recall"], result["empty_accuracy"]) == (1.0, 1.0, 1.0)
    assert result["value_accuracy"] == 1.0 and result["values_judged"] == 1
    text = broker("eval", "--compare", str(tasks), data=small_index[0].data_dir)
    assert "præcision 1.000 · recall 1.000" in text.stdout
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"topic": "x"}\n', encoding="utf-8")
    failed = broker("eval", "--compare", str(broken), data=small_index[0].data_dir)
    assert failed.returncode == 2 and "linje 1: ugyldig opgave" in failed.stderr
    neither = broker("eval", data=small_index[0].data_dir)
    assert neither.returncode == 2 and "--queries FIL, --answers FIL eller --compare FIL" in neither.stderr
