"""The previous lexical engine, SQLite FTS5, written beside an index: the baseline the benchmarks compare with.

The same pre-analysed terms and compound parts go into an FTS5 table as the Tantivy index holds, so the two
engines are measured on identical input. `make_fts5_era` also turns a data directory into one as the FTS5-era
code left it (no Tantivy generation), which the migration tests start from.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

from broker.lexical_sync import lexicon_for
from broker.search import Engine
from index.generations import LEXICAL_KEY
from index.lexical import LexicalIndex
from index.lexicon import FTS_COLUMNS
from index.store import Store

_TOKENIZE = "tokenize = 'unicode61 remove_diacritics 0'"


def create_fts5(store: Store, columns: Sequence[str] = FTS_COLUMNS) -> None:
    """The FTS5-era lexical table and its term vocabulary, empty; call inside a write."""
    conn = store.conn
    conn.execute("DROP TABLE IF EXISTS chunks_vocab")
    conn.execute("DROP TABLE IF EXISTS chunks_fts")
    conn.execute(f"CREATE VIRTUAL TABLE chunks_fts USING fts5({', '.join(columns)}, {_TOKENIZE})")
    conn.execute("CREATE VIRTUAL TABLE chunks_vocab USING fts5vocab(chunks_fts, 'col')")


def put_fts5(store: Store, rows: Iterable[tuple[int, Sequence[str]]]) -> None:
    """(chunk id, values per column) into chunks_fts; call inside a write."""
    width = len(store.fts_columns())
    sql = f"INSERT INTO chunks_fts(rowid, {', '.join(store.fts_columns())}) VALUES (?{', ?' * width})"
    store.conn.executemany(sql, ((cid, *list(values)[:width]) for cid, values in rows))


def fts5_rows(store: Store) -> list[tuple[int, tuple[str, str, str]]]:
    """Every chunk's (terms, parts, words) as the project's analysis computes them from the stored text."""
    sources = [(int(r[0]), " ".join((r[1], r[2], r[3], r[4]))) for r in store.lexical_sources()]
    lexicon = lexicon_for(store, (text for _, text in sources))
    return [(cid, lexicon.row(text).values()) for cid, text in sources]


def add_fts5(store: Store) -> int:
    """Write an FTS5 table beside the index from its stored text (the baseline); returns the rows written."""
    with store.write():
        rows = fts5_rows(store)
        create_fts5(store)
        put_fts5(store, rows)
    return len(rows)


def make_fts5_era(data_dir: Path, columns: Sequence[str] = FTS_COLUMNS) -> None:
    """Turn a data directory into one as the FTS5-era code left it: chunks_fts, no Tantivy generation."""
    store = Store(data_dir / "broker.sqlite3")
    try:
        with store.write() as conn:
            rows = fts5_rows(store)
            create_fts5(store, columns)
            put_fts5(store, rows)
            conn.execute("DELETE FROM meta WHERE key = ?", (LEXICAL_KEY,))
    finally:
        store.close()
    for path in data_dir.glob("lexical.*"):
        shutil.rmtree(path)


class Fts5Engine(Engine):
    """The search engine with its lexical retrieval on the FTS5 table (see `add_fts5`): the baseline. Its
    vocabulary is the same as the Tantivy engine's (the table per visibility), so only retrieval differs."""

    def lexical_index(self) -> LexicalIndex | None:
        return None
