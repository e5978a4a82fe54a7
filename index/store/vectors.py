"""The store's vectors: the embedding cache, and the source of truth the FAISS file is built from."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from index.embed_cache import read_vectors, write_vectors
from index.store.db import Database


class Vectors(Database):
    """The `vectors` table, keyed by embedder id and text hash."""

    def get_vectors(self, embedder: str, hashes: Iterable[str], dim: int) -> dict[str, np.ndarray]:
        return read_vectors(self.conn, embedder, hashes, dim)

    def put_vectors(self, embedder: str, vectors: dict[str, np.ndarray]) -> None:
        write_vectors(self.conn, embedder, vectors)
