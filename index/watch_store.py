"""Saved searches ("overvågninger") and the documents each one found, in the index's own SQLite database."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from index.store import Store

# Own tables, created on first use: the rest of the schema does not depend on them.
SCHEMA = """
CREATE TABLE IF NOT EXISTS watches (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    owner TEXT NOT NULL,
    role TEXT NOT NULL,
    query TEXT NOT NULL,
    filters TEXT NOT NULL,
    mode TEXT NOT NULL,
    created REAL NOT NULL,
    last_run REAL,
    cursor REAL NOT NULL,
    UNIQUE (owner, name)
);
CREATE TABLE IF NOT EXISTS watch_news (
    id INTEGER PRIMARY KEY,
    watch_id INTEGER NOT NULL REFERENCES watches(id) ON DELETE CASCADE,
    doc_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    found_at REAL NOT NULL,
    UNIQUE (watch_id, doc_id)
);
CREATE INDEX IF NOT EXISTS watch_news_watch ON watch_news(watch_id, found_at);
"""


@dataclass(frozen=True)
class Watch:
    """One saved search: its owner and the owner's role when it was saved decide what it may find."""

    id: int
    name: str
    owner: str
    role: str
    query: str
    filters: dict[str, Any]
    mode: str
    created: float
    last_run: float | None
    cursor: float  # newest `added_at` of the documents it has looked at

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "owner": self.owner,
            "query": self.query,
            "filters": self.filters,
            "mode": self.mode,
            "created": self.created,
            "last_run": self.last_run,
        }


_COLUMNS = "id, name, owner, role, query, filters, mode, created, last_run, cursor"


def _watch(row: tuple[Any, ...]) -> Watch:
    return Watch(
        int(row[0]), row[1], row[2], row[3], row[4], json.loads(row[5]), row[6], row[7], row[8], row[9]
    )


class WatchStore:
    """The saved searches of one index; opens the index's database and adds its tables when missing."""

    def __init__(self, store: Store, *, create: bool = True) -> None:
        self.store = store
        conn = store.conn
        self.exists = (
            conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'watch_news'").fetchone() is not None
        )
        if not self.exists and create:
            conn.executescript(f"BEGIN IMMEDIATE;{SCHEMA}COMMIT;")
            self.exists = True

    @property
    def conn(self) -> sqlite3.Connection:
        return self.store.conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        with self.store.write() as conn:
            yield conn

    def newest_document(self) -> float:
        """The newest `added_at` among the documents: documents added later are new to a watch."""
        row = self.conn.execute("SELECT max(added_at) FROM documents").fetchone()
        return float(row[0] or 0.0)

    def add(
        self, name: str, owner: str, role: str, query: str, filters: dict[str, Any], mode: str
    ) -> Watch | None:
        """Save a watch; None when the owner already has one by that name. Call inside a write."""
        try:
            self.conn.execute(
                f"INSERT INTO watches({_COLUMNS}) VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, NULL, ?)",
                (
                    name,
                    owner,
                    role,
                    query,
                    json.dumps(filters, ensure_ascii=False),
                    mode,
                    time.time(),
                    self.newest_document(),
                ),
            )
        except sqlite3.IntegrityError:
            return None
        return self.get(owner, name)

    def get(self, owner: str, name: str) -> Watch | None:
        row = self.conn.execute(
            f"SELECT {_COLUMNS} FROM watches WHERE owner = ? AND name = ?", (owner, name)
        ).fetchone()
        return _watch(row) if row else None

    def listing(self, owner: str | None = None) -> list[Watch]:
        """The watches of one owner, or of everyone (owner None), by owner and name."""
        if owner is None:
            rows = self.conn.execute(f"SELECT {_COLUMNS} FROM watches ORDER BY owner, name").fetchall()
        else:
            rows = self.conn.execute(
                f"SELECT {_COLUMNS} FROM watches WHERE owner = ? ORDER BY name", (owner,)
            ).fetchall()
        return [_watch(r) for r in rows]

    def remove(self, owner: str, name: str) -> bool:
        """Delete a watch and what it found. Call inside a write."""
        watch = self.get(owner, name)
        if watch is None:
            return False
        self.conn.execute("DELETE FROM watch_news WHERE watch_id = ?", (watch.id,))
        self.conn.execute("DELETE FROM watches WHERE id = ?", (watch.id,))
        return True

    def record(self, watch: Watch, found: list[tuple[str, str]], cursor: float, at: float) -> None:
        """Store what a run found ((doc_id, kind) pairs) and move the watch on. Call inside a write."""
        self.conn.executemany(
            "INSERT INTO watch_news(watch_id, doc_id, kind, found_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(watch_id, doc_id) DO UPDATE SET kind = excluded.kind, found_at = excluded.found_at",
            [(watch.id, doc_id, kind, at) for doc_id, kind in found],
        )
        self.conn.execute("UPDATE watches SET cursor = ?, last_run = ? WHERE id = ?", (cursor, at, watch.id))

    def news(
        self, watch: Watch, *, since: float | None, include_internal: bool, limit: int = 500
    ) -> list[dict[str, Any]]:
        """What a watch found since `since` (None: in its last run), newest first, for documents still in
        the index and visible to the caller now (a document marked internal later drops out)."""
        if since is None:
            if watch.last_run is None:
                return []
            condition, value = "n.found_at >= ?", watch.last_run
        else:
            condition, value = "n.found_at >= ?", since
        visible = "" if include_internal else " AND d.internal = 0"
        rows = self.conn.execute(
            "SELECT n.doc_id, n.kind, n.found_at, d.title, d.municipality, d.region, d.doc_type, d.year, d.internal "
            "FROM watch_news n JOIN documents d ON d.doc_id = n.doc_id "
            f"WHERE n.watch_id = ? AND {condition}{visible} ORDER BY n.found_at DESC, n.id LIMIT ?",
            (watch.id, value, limit),
        ).fetchall()
        keys = (
            "doc_id",
            "kind",
            "found_at",
            "title",
            "municipality",
            "region",
            "doc_type",
            "year",
            "internal",
        )
        return [{**dict(zip(keys, r, strict=True)), "internal": bool(r[8])} for r in rows]
