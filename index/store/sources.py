"""The store's sources: files and export records behind each document, and the registered source folders."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from core.types import Source
from index import web_state
from index.store.db import Database


@dataclass(frozen=True)
class KnownSource:
    """A source as recorded in the index, for incremental ingest decisions."""

    path: str
    record_id: str
    doc_id: str
    file_hash: str
    size: int
    mtime: float


class Sources(Database):
    """The `sources` and `registered_sources` tables, and the stored web copies' links."""

    def known_sources(self) -> dict[tuple[str, str], KnownSource]:
        rows = self.conn.execute(
            "SELECT path, record_id, doc_id, file_hash, size, mtime FROM sources"
        ).fetchall()
        return {(r[0], r[1]): KnownSource(*r) for r in rows}

    def add_source(self, doc_id: str, source: Source) -> None:
        self.conn.execute(
            "INSERT INTO sources(doc_id, path, record_id, file_hash, size, mtime) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT(path, record_id) DO UPDATE SET doc_id=excluded.doc_id, "
            "file_hash=excluded.file_hash, size=excluded.size, mtime=excluded.mtime",
            (doc_id, source.path, source.record_id or "", source.file_hash, source.size, source.mtime),
        )

    def touch_source(self, path: str, size: int, mtime: float) -> None:
        """Record a new mtime for a file whose content is unchanged, so the next scan skips hashing it."""
        self.conn.execute("UPDATE sources SET size = ?, mtime = ? WHERE path = ?", (size, mtime, path))

    def remove_source(self, path: str, record_id: str = "") -> None:
        """Drop one source; a document left without sources is removed by delete_orphans()."""
        self.conn.execute("DELETE FROM sources WHERE path = ? AND record_id = ?", (path, record_id))

    def register_source(self, name: str, path: str, internal: bool = False) -> None:
        self.conn.execute(
            "INSERT INTO registered_sources(name, path, internal, added_at) VALUES (?, ?, ?, ?)",
            (name, path, int(internal), time.time()),
        )

    def registered_sources(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT name, path, internal, added_at FROM registered_sources ORDER BY name"
        ).fetchall()
        return [{"name": r[0], "path": r[1], "internal": bool(r[2]), "added_at": r[3]} for r in rows]

    def unregister_source(self, name: str) -> str | None:
        row = self.conn.execute("SELECT path FROM registered_sources WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        self.conn.execute("DELETE FROM registered_sources WHERE name = ?", (name,))
        return str(row[0])

    def web_links(self, paths: Iterable[str] | None = None) -> dict[str, tuple[str, str, float]]:
        """Stored copy's path -> (URL, kind, fetch time) of every harvested web page, or of those stored at
        `paths` (see index/web_state.py)."""
        return web_state.links(self.conn, paths)

    def sources_of(self, doc_id: str) -> list[Source]:
        rows = self.conn.execute(
            "SELECT path, record_id, file_hash, size, mtime FROM sources WHERE doc_id = ? ORDER BY id",
            (doc_id,),
        ).fetchall()
        return [Source(r[0], r[1] or None, r[2], r[3], r[4]) for r in rows]

    def path_shared(self, path: str, doc_id: str) -> bool:
        """Whether a document other than `doc_id` comes from the file at `path` too (an export of several)."""
        row = self.conn.execute(
            "SELECT 1 FROM sources WHERE doc_id != ? AND path = ? LIMIT 1", (doc_id, path)
        ).fetchone()
        return row is not None

    def path_visibility(self) -> dict[str, bool]:
        """Every source path -> whether an internal document comes from it."""
        rows = self.conn.execute(
            "SELECT s.path, max(d.internal) FROM sources s JOIN documents d ON d.doc_id = s.doc_id GROUP BY s.path"
        )
        return {str(path): bool(internal) for path, internal in rows}
