"""The SQL condition on the documents table that applies a search's filters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.types import SearchFilters


def filter_clause(filters: SearchFilters | None, alias: str = "d") -> tuple[str, list[Any]]:
    """SQL condition (on the documents table `alias`) and parameters for the given filters."""
    if filters is None or filters.is_empty():
        return "1", []
    parts: list[str] = []
    params: list[Any] = []

    def members(column: str, values: Sequence[Any], negate: bool = False) -> None:
        marks = ",".join("?" * len(values))
        parts.append(f"{alias}.{column} {'NOT ' if negate else ''}IN ({marks})")
        params.extend(values)

    for column, values, negate in filters.memberships():
        members(column, values, negate)
    if filters.year_from is not None:
        parts.append(f"{alias}.year >= ?")
        params.append(filters.year_from)
    if filters.year_to is not None:
        parts.append(f"{alias}.year <= ?")
        params.append(filters.year_to)
    if not filters.include_internal:
        parts.append(f"{alias}.internal = 0")
    return " AND ".join(parts) or "1", params
