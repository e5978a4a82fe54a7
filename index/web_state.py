"""What the index remembers of each web page it harvests: URL, stored copy, validators, hash, missing runs."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from index.batches import in_batches

SCHEMA = """
CREATE TABLE IF NOT EXISTS web_pages (
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    path TEXT NOT NULL,
    kind TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    content_hash TEXT NOT NULL,
    fetched_at REAL NOT NULL,
    checked_at REAL NOT NULL,
    missing_runs INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (source, url)
);
CREATE INDEX IF NOT EXISTS web_pages_path ON web_pages(path);
"""
_COLUMNS = "url, path, kind, etag, last_modified, content_hash, fetched_at, checked_at, missing_runs"


@dataclass
class PageState:
    """One harvested URL: where its stored copy is (absolute path), how to ask whether it changed, and how
    many consecutive runs it has been gone (404/410 or no longer linked)."""

    url: str
    path: str
    kind: str  # "html", "pdf" or "docx"
    etag: str | None
    last_modified: str | None
    content_hash: str
    fetched_at: float  # when the stored copy was downloaded
    checked_at: float  # when the site last confirmed it (200 or 304)
    missing_runs: int = 0


def _exists(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'web_pages'").fetchone() is not None


def ensure(conn: sqlite3.Connection) -> None:
    """Create the table in an index from before web sources; call inside a write."""
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def load(conn: sqlite3.Connection, source: str) -> dict[str, PageState]:
    if not _exists(conn):
        return {}
    rows = conn.execute(f"SELECT {_COLUMNS} FROM web_pages WHERE source = ?", (source,)).fetchall()
    return {r[0]: PageState(*r) for r in rows}


def save(conn: sqlite3.Connection, source: str, pages: dict[str, PageState]) -> None:
    """Replace what is remembered of the source's pages; call inside a write."""
    ensure(conn)
    conn.execute("DELETE FROM web_pages WHERE source = ?", (source,))
    conn.executemany(
        f"INSERT INTO web_pages(source, {_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (
            (
                source,
                p.url,
                p.path,
                p.kind,
                p.etag,
                p.last_modified,
                p.content_hash,
                p.fetched_at,
                p.checked_at,
                p.missing_runs,
            )
            for p in pages.values()
        ),
    )


def forget(conn: sqlite3.Connection, source: str) -> None:
    if _exists(conn):
        conn.execute("DELETE FROM web_pages WHERE source = ?", (source,))


def links(conn: sqlite3.Connection, paths: Iterable[str] | None = None) -> dict[str, tuple[str, str, float]]:
    """{stored copy's path: (URL, kind, fetched_at)} of every harvested page, or of those stored at `paths`
    (a search's hits: a national index may hold many pages); read-only, {} before any."""
    if not _exists(conn):
        return {}
    query = "SELECT path, url, kind, fetched_at FROM web_pages"
    if paths is None:
        return {r[0]: (r[1], r[2], r[3]) for r in conn.execute(query)}
    found: dict[str, tuple[str, str, float]] = {}
    for part, marks in in_batches(list(dict.fromkeys(paths))):
        rows = conn.execute(f"{query} WHERE path IN ({marks})", part)
        found.update({r[0]: (r[1], r[2], r[3]) for r in rows})
    return found


def set_municipality_under(conn: sqlite3.Connection, root: str, municipality: str, region: str | None) -> int:
    """Give every document with a source under `root` this municipality; returns how many changed."""
    folder = root.rstrip("/") + "/"
    cursor = conn.execute(
        "UPDATE documents SET municipality = ?, region = ? WHERE municipality != ? AND doc_id IN "
        "(SELECT doc_id FROM sources WHERE substr(path, 1, ?) = ?)",
        (municipality, region, municipality, len(folder), folder),
    )
    return int(cursor.rowcount)
