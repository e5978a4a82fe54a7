"""The store's ground: one SQLite connection per thread, transactions, the schema and the meta table."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from core.errors import BrokerError, IndexMissing
from index import vocabulary
from index.embed_cache import VECTORS_SCHEMA

SCHEMA_VERSION = 1
# The lexical index itself is Tantivy (index/lexical.py). Each chunk's lexical entry is kept here as well, so
# the vocabulary per visibility (index/vocabulary.py) can take exactly its tokens away again when the chunk is
# deleted or its document changes visibility: Tantivy's term dictionary knows no visibility.
LEXICAL_ENTRIES = "chunks_lexical"
ENTRIES_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {LEXICAL_ENTRIES} (id INTEGER PRIMARY KEY REFERENCES chunks(id) "
    "ON DELETE CASCADE, terms TEXT NOT NULL, parts TEXT NOT NULL, words TEXT NOT NULL)"
)

_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    municipality TEXT NOT NULL,
    region TEXT,
    doc_type TEXT NOT NULL,
    year INTEGER,
    language TEXT NOT NULL,
    page_count INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    author TEXT,
    created TEXT,
    committee TEXT,
    date TEXT,
    internal INTEGER NOT NULL DEFAULT 0,
    added_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_municipality ON documents(municipality);
CREATE INDEX IF NOT EXISTS documents_internal ON documents(doc_id) WHERE internal = 1;
CREATE TABLE IF NOT EXISTS sources (
    id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    record_id TEXT NOT NULL DEFAULT '',
    file_hash TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime REAL NOT NULL,
    UNIQUE (path, record_id)
);
CREATE INDEX IF NOT EXISTS sources_doc ON sources(doc_id);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    text TEXT NOT NULL,
    page_start INTEGER NOT NULL,
    page_end INTEGER NOT NULL,
    section TEXT NOT NULL,
    text_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS registered_sources (
    name TEXT PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    internal INTEGER NOT NULL DEFAULT 0,
    added_at REAL NOT NULL
);
"""
    + f"{VECTORS_SCHEMA}{ENTRIES_SCHEMA};\n{vocabulary.SCHEMA};\n"
)


class Database:
    """One SQLite database in WAL mode, opened per thread; the table groups of the store build on it."""

    def __init__(self, path: Path, *, create: bool = True) -> None:
        self.path = path
        if not path.exists() and not create:
            raise IndexMissing(
                f"Der er intet indeks i datamappen {path.parent}. Indlæs dokumenter først (broker ingest MAPPE "
                f"--data {path.parent}), eller vælg mappen med et indeks med --data MAPPE eller BROKER_DATA."
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        if not self._has_schema():
            # executescript commits on its own, so the script carries its own transaction.
            self.conn.executescript(
                f"BEGIN IMMEDIATE;{_SCHEMA}"
                f"INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', '{SCHEMA_VERSION}');COMMIT;"
            )

    def _has_schema(self) -> bool:
        """True when the database is set up; checked without a write lock, so readers never wait for writers."""
        row = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
        ).fetchone()
        return row is not None

    @property
    def conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, isolation_level=None, timeout=30.0, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
            except sqlite3.DatabaseError as exc:  # OperationalError, and a file that is no database
                if conn is not None:  # opened but unusable (a read-only folder, a damaged file): closed
                    conn.close()
                damaged = not isinstance(exc, sqlite3.OperationalError)
                reason = "filen er ikke en SQLite-database" if damaged else exc
                raise BrokerError(f"Kan ikke åbne databasen {self.path}: {reason}") from exc
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it commits, or none of it does."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")  # a failed commit (a full disk, say) is rolled back below too
        except BaseException:
            if conn.in_transaction:  # SQLite may have rolled back already
                conn.execute("ROLLBACK")
            raise

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every read inside sees the same committed state."""
        conn = self.conn
        if conn.in_transaction:  # nested inside a write or another snapshot: already consistent
            yield conn
            return
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def get_json(self, key: str) -> Any:
        raw = self.get_meta(key)
        return json.loads(raw) if raw else None

    def set_json(self, key: str, value: Any) -> None:
        self.set_meta(key, json.dumps(value, ensure_ascii=False))

    def _has_table(self, name: str) -> bool:
        return self.conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone() is not None

    def has_internal(self) -> bool:
        """True when any document is marked internal (a cheap check on a partial index)."""
        row = self.conn.execute("SELECT 1 FROM documents WHERE internal = 1 LIMIT 1").fetchone()
        return row is not None
