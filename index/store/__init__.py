"""The SQLite system of record: documents, sources, chunks, the vocabulary, vectors and index metadata.

`Store` puts the table groups together, one module each: db (connections, schema, meta), sources, documents
(with their chunks), lexical (entries, vocabulary, an FTS5-era index), stats and vectors.
"""

from __future__ import annotations

from index.store.db import LEXICAL_ENTRIES, SCHEMA_VERSION
from index.store.documents import ChunkRow, Documents
from index.store.filters import filter_clause
from index.store.sources import KnownSource
from index.store.stats import Stats
from index.store.vectors import Vectors

__all__ = ["LEXICAL_ENTRIES", "SCHEMA_VERSION", "ChunkRow", "KnownSource", "Store", "filter_clause"]


class Store(Documents, Stats, Vectors):
    """One SQLite database in WAL mode; one connection per thread, so readers never block each other."""
