"""The store's vectors: the embedding cache, and the source of truth the FAISS file is built from."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from core.errors import IndexMismatch
from index.embed_cache import read_vectors, write_vectors
from index.store.db import Database


class Vectors(Database):
    """The `vectors` table, keyed by embedder id and text hash."""

    def get_vectors(self, embedder: str, hashes: Iterable[str], dim: int) -> dict[str, np.ndarray]:
        return read_vectors(self.conn, embedder, hashes, dim)

    def put_vectors(self, embedder: str, vectors: dict[str, np.ndarray]) -> None:
        write_vectors(self.conn, embedder, vectors)

    def chunk_vectors(self, embedder: str, dim: int) -> tuple[np.ndarray, np.ndarray]:
        """Every chunk's id and stored vector in id order, read straight into one preallocated array: the
        vector file is rebuilt from this, and a dict of millions of small arrays took three times the memory
        (bench/rebuild_read.py)."""
        with self.snapshot() as conn:  # the count and the rows from one committed state
            (n,) = conn.execute("SELECT count(*) FROM chunks").fetchone()
            ids = np.empty(n, dtype=np.int64)
            vectors = np.empty((n, dim), dtype=np.float32)
            width, missing, row = 4 * dim, 0, 0
            rows = conn.execute(
                "SELECT c.id, v.vector FROM chunks c LEFT JOIN vectors v "
                "ON v.embedder = ? AND v.text_hash = c.text_hash ORDER BY c.id",
                (embedder,),
            )
            for chunk_id, blob in rows:
                if blob is None or len(blob) != width:
                    missing += 1
                    continue
                ids[row] = chunk_id
                vectors[row] = np.frombuffer(blob, dtype=np.float32)
                row += 1
        if missing:
            raise IndexMismatch(
                f"Vektorindekset kan ikke genopbygges: {missing} tekststykker har ingen gemt vektor fra "
                "indeksets embedder. Byg indekset forfra i en ny datamappe med `broker ingest`."
            )
        return ids, vectors
