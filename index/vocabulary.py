"""The index's vocabulary kept apart per visibility (public, internal), so public reads never see internal words.

Spelling suggestions, compound splitting and the query's lexical terms are drawn from these counts. They
live in a plain SQLite table beside the lexical index (not in the search engine's own structures), keyed by
kind ("words": surface words; "terms", "parts": tokens of the two searched columns), visibility and token,
and follow every change: a chunk added or deleted, a document marked internal or public.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence

KINDS = ("terms", "parts", "words")  # the order of a lexical entry's values (see `index.lexicon.LexicalRow`)
TABLE = "vocabulary"
STAMP_KEY = "vocabulary_stamp"  # meta key changed with every change of the table: readers reload on it

SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (kind TEXT NOT NULL, internal INTEGER NOT NULL, token TEXT NOT NULL, "
    "cnt INTEGER NOT NULL, PRIMARY KEY (kind, internal, token)) WITHOUT ROWID"
)

Counts = dict[str, Counter[str]]  # kind → token → occurrences


def count(entries: Iterable[Sequence[str]]) -> Counts:
    """Occurrences per kind of the tokens of lexical entries (values in the order of KINDS)."""
    counts: Counts = {kind: Counter() for kind in KINDS}
    for values in entries:
        for kind, value in zip(KINDS, values, strict=False):
            if value:
                counts[kind].update(value.split())
    return counts


def apply(conn: sqlite3.Connection, counts: Counts, internal: bool, sign: int = 1) -> bool:
    """Add (sign 1) or take away (sign -1) counts under one visibility; True when anything changed."""
    changed = False
    for kind, tokens in counts.items():
        if not tokens:
            continue
        changed = True
        rows = [(kind, int(internal), token, sign * n) for token, n in tokens.items()]
        conn.executemany(
            f"INSERT INTO {TABLE}(kind, internal, token, cnt) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(kind, internal, token) DO UPDATE SET cnt = cnt + excluded.cnt",
            rows,
        )
    if changed and sign < 0:
        conn.execute(f"DELETE FROM {TABLE} WHERE cnt <= 0")
    return changed


def load(conn: sqlite3.Connection, kind: str, include_internal: bool) -> dict[str, int]:
    """Tokens of one kind with their occurrences in the public documents, or in all of them."""
    # Read in primary-key order and summed here: a GROUP BY over both visibilities sorts every token in a
    # temporary table first (at 400k words 4.6 s against 2.5 s, measured under load), and the first search
    # after a start or re-index waits for this.
    sql = f"SELECT token, cnt FROM {TABLE} WHERE kind = ? AND internal = ?"
    counts: dict[str, int] = dict(conn.execute(sql, (kind, 0)).fetchall())
    if include_internal:
        for token, n in conn.execute(sql, (kind, 1)):
            counts[token] = counts.get(token, 0) + n
    return counts


def has_internal(conn: sqlite3.Connection) -> bool:
    return conn.execute(f"SELECT 1 FROM {TABLE} WHERE internal = 1 LIMIT 1").fetchone() is not None
