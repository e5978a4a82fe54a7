"""Values for an SQL `IN (...)`, in batches that stay under SQLite's limit on bound parameters."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")
BATCH = 500  # well under SQLite's 999 bound parameters of older builds, with room for a few more per query


def in_batches(values: Sequence[T]) -> Iterator[tuple[list[T], str]]:
    """Each batch of `values`, in order, with its placeholders ("?,?,?") for `IN (...)`."""
    for start in range(0, len(values), BATCH):
        part = list(values[start : start + BATCH])
        yield part, ",".join("?" * len(part))
