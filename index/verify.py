"""Consistency check of a data directory: SQLite integrity, and chunk, lexical and vector ids in agreement."""

from __future__ import annotations

from pathlib import Path

from index.dense import VectorIndex
from index.generations import current_generation, current_lexical, vectors_path
from index.lexical import LexicalIndex, lexical_path
from index.store import LEXICAL_ENTRIES, Store


def check_consistency(store: Store, data_dir: Path) -> list[str]:
    """Problems found (Danish, one per line); an empty list means the index is consistent."""
    problems: list[str] = []
    with store.snapshot() as conn:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            problems.append(f"SQLite integritetstjek: {integrity}")
        chunk_ids = {r[0] for r in conn.execute("SELECT id FROM chunks")}
        orphans = conn.execute(
            "SELECT count(*) FROM documents d WHERE NOT EXISTS (SELECT 1 FROM sources s WHERE s.doc_id = d.doc_id)"
        ).fetchone()[0]
        generation = current_generation(store)
        lexical = current_lexical(store)
        # An FTS5-era index (not yet migrated: that happens on its first write) is checked as it is.
        fts5_ids = (
            {r[0] for r in conn.execute("SELECT rowid FROM chunks_fts")} if store.fts_columns() else None
        )
        entry_ids = (
            {r[0] for r in conn.execute(f"SELECT id FROM {LEXICAL_ENTRIES}")} if lexical > 0 else chunk_ids
        )
    problems += _lexical_problems(data_dir, lexical, chunk_ids, fts5_ids)
    if entry_ids != chunk_ids:  # the vocabulary per visibility is counted from these entries
        problems.append(
            f"De gemte ordindgange afviger fra tekststykkerne ({len(entry_ids ^ chunk_ids)} id'er)."
        )
    if orphans:
        problems.append(f"{orphans} dokumenter uden kilde.")
    if generation == 0:
        if chunk_ids:
            problems.append("Der er tekststykker, men intet vektorindeks.")
        return problems
    try:
        vector_ids = set(VectorIndex.load(vectors_path(data_dir, generation)).ids().tolist())
    except Exception as exc:  # reported, not raised: this is the checker
        problems.append(f"Vektorindekset (generation {generation}) kan ikke læses: {exc}")
        return problems
    if vector_ids != chunk_ids:
        problems.append(f"Vektorindekset afviger fra tekststykkerne ({len(vector_ids ^ chunk_ids)} id'er).")
    return problems


def _lexical_problems(
    data_dir: Path, generation: int, chunk_ids: set[int], fts5_ids: set[int] | None
) -> list[str]:
    if generation == 0:
        if fts5_ids is not None:
            if fts5_ids != chunk_ids:
                return [
                    f"Det leksikalske indeks afviger fra tekststykkerne ({len(fts5_ids ^ chunk_ids)} id'er)."
                ]
            return []
        return ["Der er tekststykker, men intet ordindeks."] if chunk_ids else []
    try:
        lexical_ids = LexicalIndex.load(lexical_path(data_dir, generation)).ids()
    except Exception as exc:  # reported, not raised: this is the checker
        return [f"Ordindekset (generation {generation}) kan ikke læses: {exc}"]
    if lexical_ids != chunk_ids:
        return [f"Det leksikalske indeks afviger fra tekststykkerne ({len(lexical_ids ^ chunk_ids)} id'er)."]
    return []
