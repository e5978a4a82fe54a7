"""A vector cache shared between data directories: texts already embedded by the same model are not embedded again."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from index.batches import in_batches

# The same table in an index's database (index/store/db.py) and in the shared cache, so one reader and one
# writer serve both.
VECTORS_SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (
    embedder TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (embedder, text_hash)
) WITHOUT ROWID;
"""


def read_vectors(
    conn: sqlite3.Connection, embedder: str, hashes: Iterable[str], dim: int
) -> dict[str, np.ndarray]:
    """Vectors of a `vectors` table (the index's own or a shared cache) by text hash, of the right size only."""
    found: dict[str, np.ndarray] = {}
    for part, marks in in_batches(list(dict.fromkeys(hashes))):
        for text_hash, blob in conn.execute(
            f"SELECT text_hash, vector FROM vectors WHERE embedder = ? AND text_hash IN ({marks})",
            [embedder, *part],
        ):
            vec = np.frombuffer(blob, dtype=np.float32)
            if vec.shape[0] == dim:
                found[text_hash] = vec
    return found


def write_vectors(conn: sqlite3.Connection, embedder: str, vectors: dict[str, np.ndarray]) -> None:
    """Store vectors in a `vectors` table, replacing any of the same embedder and text hash."""
    conn.executemany(
        "INSERT OR REPLACE INTO vectors(embedder, text_hash, vector) VALUES (?, ?, ?)",
        ((embedder, h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in vectors.items()),
    )


class SharedVectorCache:
    """Vectors keyed by embedder id and text hash in one SQLite file (e.g. for test runs and rebuilds).

    It is an optimisation only: any error reading or writing it is ignored, and the index's own vectors
    table stays the source of truth.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        conn: sqlite3.Connection | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(VECTORS_SCHEMA)
            self._conn = conn
        except (OSError, sqlite3.Error):
            if conn is not None:  # opened, but unusable (read-only, not a database): not left open
                conn.close()

    def get(self, embedder: str, hashes: Iterable[str], dim: int) -> dict[str, np.ndarray]:
        if self._conn is None:
            return {}
        try:
            return read_vectors(self._conn, embedder, hashes, dim)
        except sqlite3.Error:
            return {}

    def put(self, embedder: str, vectors: dict[str, np.ndarray]) -> None:
        if self._conn is None or not vectors:
            return
        try:
            with self._conn:
                self._conn.execute("BEGIN")
                write_vectors(self._conn, embedder, vectors)
        except sqlite3.Error:
            pass

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
