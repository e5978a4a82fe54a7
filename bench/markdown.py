"""Markdown pieces of the benchmark report: a table, and a latency summary as p50 / p95 / p99."""

from __future__ import annotations

from typing import Any


def table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def percentiles(summary: dict[str, Any] | None) -> str:
    if not summary:
        return "–"
    return f"{summary['p50_ms']:.0f} / {summary['p95_ms']:.0f} / {summary['p99_ms']:.0f}"
