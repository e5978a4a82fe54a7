"""Generations of the derived indexes (FAISS file, Tantivy directory): a writer publishes new ones in its
transaction; readers load the committed ones."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from index.store import Store

GENERATION_KEY = "vectors_generation"
LEXICAL_KEY = "lexical_generation"  # the Tantivy directory lexical.<generation>; 0: none (an FTS5-era index)
_FILE = re.compile(r"^vectors\.(\d+)\.faiss$")


def vectors_path(data_dir: Path, generation: int) -> Path:
    return data_dir / f"vectors.{generation}.faiss"


def current_generation(store: Store) -> int:
    """The committed generation as seen by the caller's transaction (0: no vectors yet)."""
    return int(store.get_meta(GENERATION_KEY, "0") or 0)


def next_path(store: Store, data_dir: Path) -> tuple[int, Path]:
    generation = current_generation(store) + 1
    return generation, vectors_path(data_dir, generation)


def commit_generation(store: Store, generation: int) -> None:
    """Record the new generation; call inside the write transaction that changed the chunks."""
    store.set_meta(GENERATION_KEY, str(generation))


def remove_stale(data_dir: Path, current: int, keep: int = 2) -> None:
    """Delete files of old generations (keeping a few for readers still loading them) and of aborted writes."""
    for path in data_dir.glob("vectors.*.faiss"):
        match = _FILE.match(path.name)
        if match is None:
            continue
        generation = int(match.group(1))
        if generation <= current - keep or generation > current:
            with contextlib.suppress(OSError):
                path.unlink()
    for temp in data_dir.glob(".vectors.*.tmp"):  # left by a writer killed mid-save; only one writer runs
        with contextlib.suppress(OSError):
            temp.unlink()


def current_lexical(store: Store) -> int:
    """The committed generation of the lexical index as seen by the caller's transaction (0: none yet)."""
    return int(store.get_meta(LEXICAL_KEY, "0") or 0)


def commit_lexical(store: Store, generation: int) -> None:
    """Record the new lexical generation; call inside the write transaction that changed the chunks."""
    store.set_meta(LEXICAL_KEY, str(generation))
