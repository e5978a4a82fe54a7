"""Matrix quality against judged comparison tasks: cell precision, cell recall and value accuracy."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from broker.comparison.aspects import choose_aspects, fold
from broker.comparison.matrix import Floors, compare_matrix
from broker.evaluate import matches, read_judged
from broker.search import Engine
from core.types import Source
from language.filters import resolve_municipality


@dataclass(frozen=True)
class ExpectedCell:
    """What should fill one cell: a document (path suffix), acceptable section headings, a page, values."""

    doc: str
    sections: tuple[str, ...] = ()
    page: int | None = None
    values: tuple[str, ...] = ()


@dataclass
class CompareTask:
    """One judged comparison: topic, municipalities, and per judged aspect each municipality's cell (or None)."""

    topic: str
    kommuner: list[str]
    cells: dict[str, dict[str, ExpectedCell | None]] = field(default_factory=dict)


def _expected(value: Any) -> ExpectedCell | None:
    if value == "none" or value is None:
        return None
    return ExpectedCell(
        str(value["doc"]),
        tuple(str(s) for s in value.get("sections", [])),
        int(value["page"]) if value.get("page") is not None else None,
        tuple(str(v) for v in value.get("values", [])),
    )


def _compare_task(item: dict[str, Any]) -> CompareTask:
    kommuner = [resolve_municipality(k) for k in item["kommuner"]]
    cells: dict[str, dict[str, ExpectedCell | None]] = {}
    for aspect, row in item["cells"].items():
        name = choose_aspects([aspect])[0].name
        cells[name] = {resolve_municipality(k): _expected(v) for k, v in row.items()}
    return CompareTask(str(item["topic"]), kommuner, cells)


def load_compare_tasks(path: Path) -> list[CompareTask]:
    """Read a JSON Lines task file; a malformed line, an unknown aspect or municipality names the line."""
    judged = read_judged(
        path, _compare_task, file="sammenligningsfilen", invalid="ugyldig opgave", none="opgaver"
    )
    return [task for _, task in judged]


def cell_is_right(expected: ExpectedCell, passage: dict[str, Any], sources: list[Source]) -> bool:
    """The passage is from the expected document, at an accepted section (and page, when judged)."""
    if not any(matches(expected.doc, s) for s in sources):
        return False
    if expected.page is not None and passage["page"] != expected.page:
        return False
    section = fold(passage["section"])
    return not expected.sections or any(fold(s) in section for s in expected.sections)


def evaluate_compare(
    engine: Engine, tasks: list[CompareTask], floors: Floors | None = None
) -> dict[str, Any]:
    """Run every task through the matrix and count cells and values against the judgement."""
    filled = right = wanted = empty_wanted = empty_right = 0
    values_judged = values_found = 0
    per_task = []
    sources: dict[str, list[Source]] = {}
    for task in tasks:
        result = compare_matrix(engine, task.topic, task.kommuner, aspects=list(task.cells), floors=floors)
        misses = []
        for row in result["rows"]:
            judged = task.cells.get(row["aspect"], {})
            for cell in row["cells"]:
                if cell["municipality"] not in judged:
                    continue
                expected = judged[cell["municipality"]]
                passage = cell["passage"]
                if expected is None:
                    empty_wanted += 1
                    empty_right += passage is None
                else:
                    wanted += 1
                if passage is None:
                    if expected is not None:
                        misses.append(f"{row['aspect']}/{cell['municipality']}: tom")
                    continue
                filled += 1
                doc_id = passage["doc_id"]
                if doc_id not in sources:
                    sources[doc_id] = engine.store.sources_of(doc_id)
                ok = expected is not None and cell_is_right(expected, passage, sources[doc_id])
                right += ok
                if not ok:
                    misses.append(f"{row['aspect']}/{cell['municipality']}: {passage['section']}")
                if ok and expected is not None:
                    got = {v["normalized"] for v in cell["values"]}
                    values_judged += len(expected.values)
                    values_found += sum(v in got for v in expected.values)
                    misses += [f"{row['aspect']}/{cell['municipality']}: mangler {v}" for v in expected.values
                               if v not in got]  # fmt: skip
        per_task.append({"topic": task.topic, "kommuner": task.kommuner, "misses": misses})
    return {
        "tasks": len(tasks),
        "cells": wanted + empty_wanted,
        "cell_precision": round(right / filled, 4) if filled else 0.0,
        "cell_recall": round(right / wanted, 4) if wanted else 0.0,
        "empty_accuracy": round(empty_right / empty_wanted, 4) if empty_wanted else 0.0,
        "value_accuracy": round(values_found / values_judged, 4) if values_judged else 0.0,
        "values_judged": values_judged,
        "per_task": per_task,
    }
