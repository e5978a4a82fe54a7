"""The SQLite system of record: documents, sources, chunks, the vocabulary, vectors and index metadata."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import BrokerError
from core.types import Chunk, Document, SearchFilters, Source
from index import vocabulary, web_state
from index.embed_cache import read_vectors, write_vectors

SCHEMA_VERSION = 1
# The lexical index itself is Tantivy (index/lexical.py). Each chunk's lexical entry is kept here as well, so
# the vocabulary per visibility (index/vocabulary.py) can take exactly its tokens away again when the chunk is
# deleted or its document changes visibility: Tantivy's term dictionary knows no visibility.
LEXICAL_ENTRIES = "chunks_lexical"
_ENTRIES_SCHEMA = (
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
CREATE TABLE IF NOT EXISTS vectors (
    embedder TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (embedder, text_hash)
) WITHOUT ROWID;
"""
    + f"{_ENTRIES_SCHEMA};\n{vocabulary.SCHEMA};\n"
)

_DOC_COLUMNS = (
    "doc_id, title, municipality, region, doc_type, year, language, page_count, content_hash, "
    "author, created, committee, date, internal"
)


@dataclass(frozen=True)
class KnownSource:
    """A source as recorded in the index, for incremental ingest decisions."""

    path: str
    record_id: str
    doc_id: str
    file_hash: str
    size: int
    mtime: float


@dataclass(frozen=True)
class ChunkRow:
    """A chunk joined with its document's metadata: what a hit is made of."""

    chunk_id: int
    doc_id: str
    ord: int
    text: str
    page_start: int
    page_end: int
    section: str
    title: str
    municipality: str
    region: str | None
    doc_type: str
    year: int | None
    language: str
    source: str  # path of the first source; "path#record_id" for a record of an export


def filter_clause(filters: SearchFilters | None, alias: str = "d") -> tuple[str, list[Any]]:
    """SQL condition (on the documents table `alias`) and parameters for the given filters."""
    if filters is None or filters.is_empty():
        return "1", []
    parts: list[str] = []
    params: list[Any] = []

    def members(column: str, values: Sequence[Any], negate: bool = False) -> None:
        marks = ",".join("?" * len(values))
        parts.append(f"{alias}.{column} {'NOT ' if negate else ''}IN ({marks})")
        params.extend(values)

    for column, values, negate in filters.memberships():
        members(column, values, negate)
    if filters.year_from is not None:
        parts.append(f"{alias}.year >= ?")
        params.append(filters.year_from)
    if filters.year_to is not None:
        parts.append(f"{alias}.year <= ?")
        params.append(filters.year_to)
    if not filters.include_internal:
        parts.append(f"{alias}.internal = 0")
    return " AND ".join(parts) or "1", params


class Store:
    """One SQLite database in WAL mode; one connection per thread, so readers never block each other."""

    def __init__(self, path: Path, *, create: bool = True) -> None:
        self.path = path
        if not path.exists() and not create:
            from core.errors import IndexMissing

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

    # -- connections and transactions -------------------------------------------------------

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

    # -- meta -------------------------------------------------------------------------------

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

    # -- sources ----------------------------------------------------------------------------

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

    def delete_orphans(self) -> list[int]:
        """Remove documents that no source points to any more. Returns their chunk ids."""
        orphans = [
            r[0]
            for r in self.conn.execute(
                "SELECT doc_id FROM documents d WHERE NOT EXISTS (SELECT 1 FROM sources s WHERE s.doc_id = d.doc_id)"
            )
        ]
        removed: list[int] = []
        for doc_id in orphans:
            removed += self.delete_document(doc_id)
        return removed

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

    def web_links(self) -> dict[str, tuple[str, str, float]]:
        """Stored copy's path -> (URL, kind, fetch time) of every harvested web page (see index/web_state.py)."""
        return web_state.links(self.conn)

    def sources_of(self, doc_id: str) -> list[Source]:
        rows = self.conn.execute(
            "SELECT path, record_id, file_hash, size, mtime FROM sources WHERE doc_id = ? ORDER BY id",
            (doc_id,),
        ).fetchall()
        return [Source(r[0], r[1] or None, r[2], r[3], r[4]) for r in rows]

    # -- documents and chunks ---------------------------------------------------------------

    def has_document(self, doc_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM documents WHERE doc_id = ?", (doc_id,)).fetchone() is not None

    def put_document(
        self, doc: Document, terms: Sequence[str | Sequence[str]], vector_keys: Sequence[str]
    ) -> list[int]:
        """Insert a new document with its chunks, their lexical entries and the keys of their vectors.

        A lexical entry is (terms, compound parts, surface words); only the words are stored here (the
        vocabulary), the terms and parts go to the Tantivy index. Returns the new chunk ids.
        """
        conn = self.conn
        conn.execute(
            f"INSERT INTO documents({_DOC_COLUMNS}, added_at) VALUES ({','.join('?' * 15)})",
            (
                doc.doc_id,
                doc.title,
                doc.municipality,
                doc.region,
                doc.doc_type,
                doc.year,
                doc.language,
                doc.page_count,
                doc.content_hash,
                doc.author,
                doc.created,
                doc.committee,
                doc.date,
                int(doc.internal),
                time.time(),
            ),
        )
        ids: list[int] = []
        lexical: list[tuple[int, str | Sequence[str]]] = []
        for chunk, chunk_terms, key in zip(doc.chunks, terms, vector_keys, strict=True):
            cur = conn.execute(
                "INSERT INTO chunks(doc_id, ord, text, page_start, page_end, section, text_hash) "
                "VALUES (?,?,?,?,?,?,?)",
                (
                    doc.doc_id,
                    chunk.ord,
                    chunk.text,
                    chunk.page_start,
                    chunk.page_end,
                    chunk.section,
                    key,
                ),
            )
            chunk_id = int(cur.lastrowid or 0)
            lexical.append((chunk_id, chunk_terms))
            ids.append(chunk_id)
        self.put_lexical(lexical)
        for source in doc.sources:
            self.add_source(doc.doc_id, source)
        return ids

    def delete_document(self, doc_id: str) -> list[int]:
        """Remove a document everywhere in the database. Returns its chunk ids (for the vector index)."""
        conn = self.conn
        ids = [r[0] for r in conn.execute("SELECT id FROM chunks WHERE doc_id = ?", (doc_id,))]
        if self.has_vocabulary():
            row = conn.execute("SELECT internal FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
            counts = vocabulary.count(self._lexical_entries(ids))
            if row is not None and vocabulary.apply(conn, counts, bool(row[0]), -1):
                self._vocabulary_changed()
        for table in (LEXICAL_ENTRIES, "chunks_fts"):  # chunks_fts: an FTS5-era index not yet migrated
            if self._has_table(table):
                conn.executemany(f"DELETE FROM {table} WHERE rowid = ?", ((i,) for i in ids))
        if self._has_table("chunks_words"):
            conn.executemany("DELETE FROM chunks_words WHERE rowid = ?", ((i,) for i in ids))
        conn.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))  # cascades to chunks, sources
        return ids

    def has_internal(self) -> bool:
        """True when any document is marked internal (a cheap check on a partial index)."""
        row = self.conn.execute("SELECT 1 FROM documents WHERE internal = 1 LIMIT 1").fetchone()
        return row is not None

    def internal_doc_ids(self) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT doc_id FROM documents WHERE internal = 1")}

    def set_internal(self, doc_ids: Iterable[str], internal: bool) -> None:
        """Mark documents internal or public; their words move to that visibility's vocabulary with them."""
        conn = self.conn
        keeps_vocabulary = self.has_vocabulary()
        for doc_id in dict.fromkeys(doc_ids):
            row = conn.execute("SELECT internal FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
            if row is None or bool(row[0]) == internal:
                continue
            conn.execute("UPDATE documents SET internal = ? WHERE doc_id = ?", (int(internal), doc_id))
            if keeps_vocabulary:
                ids = [r[0] for r in conn.execute("SELECT id FROM chunks WHERE doc_id = ?", (doc_id,))]
                counts = vocabulary.count(self._lexical_entries(ids))
                vocabulary.apply(conn, counts, not internal, -1)
                if vocabulary.apply(conn, counts, internal):
                    self._vocabulary_changed()

    def mark_internal_under(self, roots: Iterable[str]) -> None:
        """Mark internal every document with a source in one of the folders (or files) `roots`."""
        for root in roots:
            folder = root.rstrip("/") + "/"
            rows = self.conn.execute(
                "SELECT doc_id FROM documents WHERE internal = 0 AND doc_id IN "
                "(SELECT doc_id FROM sources WHERE path = ? OR substr(path, 1, ?) = ?)",
                (root, len(folder), folder),
            ).fetchall()
            self.set_internal((r[0] for r in rows), True)

    def document(self, doc_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            f"SELECT {_DOC_COLUMNS} FROM documents WHERE doc_id = ?", (doc_id,)
        ).fetchone()
        if row is None:
            return None
        cols = [c.strip() for c in _DOC_COLUMNS.split(",")]
        doc = dict(zip(cols, row, strict=True))
        doc["internal"] = bool(doc["internal"])
        return doc

    def list_documents(
        self, filters: SearchFilters | None, offset: int, limit: int
    ) -> tuple[int, list[dict[str, Any]]]:
        """A page of documents passing the filters, ordered by municipality, year (newest first) and title."""
        where, params = filter_clause(filters)
        total = self.conn.execute(f"SELECT count(*) FROM documents d WHERE {where}", params).fetchone()[0]
        rows = self.conn.execute(
            f"SELECT d.doc_id FROM documents d WHERE {where} "
            "ORDER BY d.municipality, d.year DESC, d.title LIMIT ? OFFSET ?",
            [*params, limit, offset],
        ).fetchall()
        docs = [self.document(r[0]) for r in rows]
        return int(total), [d for d in docs if d is not None]

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        rows = self.conn.execute(
            "SELECT ord, text, page_start, page_end, section, text_hash FROM chunks "  # text_hash: vector key
            "WHERE doc_id = ? ORDER BY ord",
            (doc_id,),
        ).fetchall()
        return [Chunk(*r) for r in rows]

    def chunk_rows(self, chunk_ids: Iterable[int]) -> dict[int, ChunkRow]:
        """Chunks with their document metadata and first source path, by chunk id."""
        ids = list(chunk_ids)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.conn.execute(
            "SELECT c.id, c.doc_id, c.ord, c.text, c.page_start, c.page_end, c.section, d.title, "
            "d.municipality, d.region, d.doc_type, d.year, d.language, "
            "(SELECT s.path || CASE s.record_id WHEN '' THEN '' ELSE '#' || s.record_id END "
            "FROM sources s WHERE s.doc_id = d.doc_id ORDER BY s.id LIMIT 1) "
            f"FROM chunks c JOIN documents d ON d.doc_id = c.doc_id WHERE c.id IN ({marks})",
            ids,
        ).fetchall()
        return {
            r[0]: ChunkRow(
                chunk_id=r[0],
                doc_id=r[1],
                ord=r[2],
                text=r[3],
                page_start=r[4],
                page_end=r[5],
                section=r[6],
                title=r[7],
                municipality=r[8],
                region=r[9],
                doc_type=r[10],
                year=r[11],
                language=r[12],
                source=r[13] or "",
            )
            for r in rows
        }

    def doc_ids_of(self, chunk_ids: Iterable[int]) -> dict[int, str]:
        ids = list(chunk_ids)
        marks = ",".join("?" * len(ids))
        rows = self.conn.execute(f"SELECT id, doc_id FROM chunks WHERE id IN ({marks})", ids).fetchall()
        return {int(r[0]): r[1] for r in rows}

    def chunk_ids(self, filters: SearchFilters | None = None) -> np.ndarray:
        """Ids of all chunks whose document passes the filters."""
        where, params = filter_clause(filters)
        rows = self.conn.execute(
            f"SELECT c.id FROM chunks c JOIN documents d ON d.doc_id = c.doc_id WHERE {where}", params
        ).fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def chunk_hashes(self) -> tuple[np.ndarray, list[str]]:
        rows = self.conn.execute("SELECT id, text_hash FROM chunks ORDER BY id").fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64), [r[1] for r in rows]

    def lexical(
        self,
        match: str,
        filters: SearchFilters | None,
        limit: int,
        weights: Sequence[float] = (),
    ) -> list[tuple[int, float]]:
        """BM25-ranked chunk ids from an FTS5-era lexical index (table chunks_fts), filters inside the query.

        Kept for two readers only: a data directory from before Tantivy is searched this way until its first
        write migrates it, and the benchmarks measure it as the baseline. `weights` are bm25 weights per
        column (see `fts_columns`), default 1.0 each."""
        where, params = filter_clause(filters)
        bm25 = "bm25(chunks_fts" + "".join(f", {float(w)!r}" for w in weights) + ")"
        if where == "1":  # nothing to filter: no join per matching row (half the time on a large index)
            sql = f"SELECT rowid, {bm25} AS score FROM chunks_fts WHERE chunks_fts MATCH ? "
        else:
            sql = (
                f"SELECT f.rowid, {bm25} AS score FROM chunks_fts f "
                "JOIN chunks c ON c.id = f.rowid JOIN documents d ON d.doc_id = c.doc_id "
                f"WHERE chunks_fts MATCH ? AND {where} "
            )
        rows = self.conn.execute(sql + "ORDER BY score LIMIT ?", [match, *params, limit]).fetchall()
        # bm25() is lower-is-better; flip it so every retriever's score is higher-is-better.
        return [(int(r[0]), -float(r[1])) for r in rows]

    # -- the lexical index's vocabulary, and what an FTS5-era index left ------------------------------

    def fts_columns(self) -> tuple[str, ...]:
        """The columns of an FTS5-era lexical index; () when there is none (it is Tantivy now)."""
        return tuple(r[1] for r in self.conn.execute("PRAGMA table_info(chunks_fts)"))

    def put_lexical(self, rows: Iterable[tuple[int, str | Sequence[str]]]) -> None:
        """Record chunks' surface words in the vocabulary; call inside a write.

        A row is (chunk id, (terms, parts, words)) as `index.lexicon.LexicalRow.values` gives it, or just the
        terms; the terms and parts go to the Tantivy index too (see `broker.lexical_sync`). The entry is kept
        in a plain table and counted in the vocabulary of its document's visibility."""
        sql = f"INSERT OR REPLACE INTO {LEXICAL_ENTRIES}(id, terms, parts, words) VALUES (?, ?, ?, ?)"
        keeps_entries = self._has_table(LEXICAL_ENTRIES)
        entries: dict[int, list[str]] = {}
        for chunk_id, values in rows:
            cells = [values] if isinstance(values, str) else [str(v or "") for v in values]
            cells = (cells + [""] * len(vocabulary.KINDS))[: len(vocabulary.KINDS)]
            if keeps_entries:
                self.conn.execute(sql, (chunk_id, *cells))
            entries[chunk_id] = cells
        if entries and self.has_vocabulary():
            internal = self._internal_chunks(entries)
            changed = vocabulary.apply(self.conn, vocabulary.count(entries[i] for i in internal), True)
            public = (e for i, e in entries.items() if i not in internal)
            if vocabulary.apply(self.conn, vocabulary.count(public), False) or changed:
                self._vocabulary_changed()

    def reset_lexical(self) -> None:
        """Empty the vocabulary and drop an FTS5-era lexical index; call inside a write."""
        conn = self.conn
        for table in (
            "words_vocab",
            "chunks_words",
            "chunks_vocab",
            "chunks_fts",
            LEXICAL_ENTRIES,
            vocabulary.TABLE,
        ):
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.execute(_ENTRIES_SCHEMA)
        conn.execute(vocabulary.SCHEMA)
        self._vocabulary_changed()

    def lexical_sources(self) -> Iterator[tuple[Any, ...]]:
        """(chunk id, title, municipality, section, text, doc id, region, type, language, year) of every chunk:
        the lexical index's input."""
        yield from self.conn.execute(
            "SELECT c.id, d.title, d.municipality, c.section, c.text, d.doc_id, d.region, d.doc_type, "
            "d.language, d.year FROM chunks c JOIN documents d ON d.doc_id = c.doc_id ORDER BY c.id"
        )

    def vocabulary(self, column: str = "words", include_internal: bool = True) -> dict[str, int]:
        """Tokens of the surface-word vocabulary ("words") or of a lexical column ("terms", "parts"), with their
        occurrences in the index (without `include_internal`: in its public documents only); {} when the index
        keeps none. An FTS5-era index from before the vocabulary table is read from its FTS5 tables."""
        if self.has_vocabulary():
            return vocabulary.load(self.conn, column, include_internal)
        if not include_internal and self.has_internal():  # an index from before the table: count its text
            return self._count_public(column)
        if column == "words":
            if not self._has_table("words_vocab"):
                return {}
            rows = self.conn.execute("SELECT term, cnt FROM words_vocab")
        else:
            if column not in self.fts_columns() or not self._has_table("chunks_vocab"):
                return {}
            rows = self.conn.execute("SELECT term, cnt FROM chunks_vocab WHERE col = ?", (column,))
        return {str(term): int(count) for term, count in rows}

    def has_vocabulary(self) -> bool:
        """True when the index keeps its vocabulary per visibility (built since that table exists)."""
        return self._has_table(vocabulary.TABLE)

    def _vocabulary_changed(self) -> None:
        self.set_meta(vocabulary.STAMP_KEY, str(time.time_ns()))

    def _lexical_entries(self, chunk_ids: Iterable[int]) -> list[list[str]]:
        """The stored lexical entries (values in the order of `vocabulary.KINDS`) of chunks."""
        ids = list(chunk_ids)
        if self._has_table(LEXICAL_ENTRIES):
            found: dict[int, list[str]] = {}
            for start in range(0, len(ids), 500):
                part = ids[start : start + 500]
                for chunk_id, *cells in self.conn.execute(
                    f"SELECT id, terms, parts, words FROM {LEXICAL_ENTRIES} "
                    f"WHERE id IN ({','.join('?' * len(part))})",
                    part,
                ):
                    found[int(chunk_id)] = [str(c or "") for c in cells]
            return [found.get(i, ["", "", ""]) for i in ids]
        return self._fts5_entries(ids)

    def _fts5_entries(self, chunk_ids: Iterable[int]) -> list[list[str]]:
        """An FTS5-era index's entries, from its own tables (until its first write migrates it)."""
        columns = [c for c in vocabulary.KINDS[:2] if c in self.fts_columns()]
        words = self._has_table("chunks_words")
        entries: list[list[str]] = []
        for chunk_id in chunk_ids:
            cells: dict[str, str] = {}
            if columns:
                row = self.conn.execute(
                    f"SELECT {', '.join(columns)} FROM chunks_fts WHERE rowid = ?", (chunk_id,)
                ).fetchone()
                cells = {c: str(v or "") for c, v in zip(columns, row or (), strict=False)}
            if words:
                said = self.conn.execute(
                    "SELECT words FROM chunks_words WHERE rowid = ?", (chunk_id,)
                ).fetchone()
                cells["words"] = str(said[0] or "") if said else ""
            entries.append([cells.get(kind, "") for kind in vocabulary.KINDS])
        return entries

    def _internal_chunks(self, chunk_ids: Iterable[int]) -> set[int]:
        """Those of the chunks whose document is internal."""
        ids = list(chunk_ids)
        found: set[int] = set()
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            found.update(
                r[0]
                for r in self.conn.execute(
                    "SELECT c.id FROM chunks c JOIN documents d ON d.doc_id = c.doc_id "
                    f"WHERE d.internal = 1 AND c.id IN ({','.join('?' * len(part))})",
                    part,
                )
            )
        return found

    def _count_public(self, column: str) -> dict[str, int]:
        public = "SELECT c.id FROM chunks c JOIN documents d ON d.doc_id = c.doc_id WHERE d.internal = 0"
        ids = [r[0] for r in self.conn.execute(public)]
        if column not in vocabulary.KINDS:
            return {}
        return dict(vocabulary.count(self._lexical_entries(ids))[column])

    def chunk_shares(self, terms: Iterable[str], column: str = "terms") -> dict[str, float]:
        """The share of chunks whose lexical `column` holds each term, from an FTS5-era index's counts; {} for
        any other (a Tantivy index has its own: `index.lexical.LexicalIndex.chunk_shares`)."""
        wanted = list(dict.fromkeys(terms))
        if not wanted or column not in self.fts_columns() or not self._has_table("chunks_vocab"):
            return {}
        total = self.conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
        marks = ",".join("?" * len(wanted))
        rows = self.conn.execute(
            f"SELECT term, doc FROM chunks_vocab WHERE col = ? AND term IN ({marks})", (column, *wanted)
        )
        return {str(term): int(doc) / total for term, doc in rows} if total else {}

    def _has_table(self, name: str) -> bool:
        return self.conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone() is not None

    def counts(self, include_internal: bool = True) -> dict[str, int]:
        conn = self.conn
        if include_internal or not self.has_internal():
            return {
                "documents": conn.execute("SELECT count(*) FROM documents").fetchone()[0],
                "chunks": conn.execute("SELECT count(*) FROM chunks").fetchone()[0],
                "sources": conn.execute("SELECT count(*) FROM sources").fetchone()[0],
                "municipalities": conn.execute(
                    "SELECT count(DISTINCT municipality) FROM documents WHERE municipality != 'ukendt'"
                ).fetchone()[0],
            }
        public = "SELECT doc_id FROM documents WHERE internal = 0"
        return {
            "documents": conn.execute("SELECT count(*) FROM documents WHERE internal = 0").fetchone()[0],
            "chunks": conn.execute(f"SELECT count(*) FROM chunks WHERE doc_id IN ({public})").fetchone()[0],
            "sources": conn.execute(f"SELECT count(*) FROM sources WHERE doc_id IN ({public})").fetchone()[0],
            "municipalities": conn.execute(
                "SELECT count(DISTINCT municipality) FROM documents WHERE municipality != 'ukendt' "
                "AND internal = 0"
            ).fetchone()[0],
        }

    def municipalities(self, include_internal: bool = True) -> list[tuple[str, str | None, int]]:
        """(municipality, region, documents) for every municipality with documents."""
        where = "" if include_internal else "WHERE internal = 0 "
        rows = self.conn.execute(
            f"SELECT municipality, region, count(*) FROM documents {where}"
            "GROUP BY municipality, region ORDER BY municipality"
        ).fetchall()
        return [(r[0], r[1], int(r[2])) for r in rows]

    # -- vectors (the embedding cache, and the source of truth the FAISS file is built from) ---

    def get_vectors(self, embedder: str, hashes: Iterable[str], dim: int) -> dict[str, np.ndarray]:
        return read_vectors(self.conn, embedder, hashes, dim)

    def put_vectors(self, embedder: str, vectors: dict[str, np.ndarray]) -> None:
        write_vectors(self.conn, embedder, vectors)
