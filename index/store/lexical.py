"""The lexical tables kept in SQLite: each chunk's lexical entry, the vocabulary, and an FTS5-era index."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from core.types import SearchFilters
from index import vocabulary
from index.batches import in_batches
from index.store.db import ENTRIES_SCHEMA, LEXICAL_ENTRIES, Database
from index.store.filters import filter_clause


class Lexical(Database):
    """Lexical entries per chunk, counted in the vocabulary of their document's visibility; BM25 over FTS5."""

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
        conn.execute(ENTRIES_SCHEMA)
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
            for part, marks in in_batches(ids):
                for chunk_id, *cells in self.conn.execute(
                    f"SELECT id, terms, parts, words FROM {LEXICAL_ENTRIES} WHERE id IN ({marks})", part
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
        for part, marks in in_batches(ids):
            found.update(
                r[0]
                for r in self.conn.execute(
                    "SELECT c.id FROM chunks c JOIN documents d ON d.doc_id = c.doc_id "
                    f"WHERE d.internal = 1 AND c.id IN ({marks})",
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
