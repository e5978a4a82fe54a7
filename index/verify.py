"""Consistency check of a data directory: SQLite integrity, and chunk, lexical and vector ids in agreement."""

from __future__ import annotations

from pathlib import Path

from index.dense import VectorIndex
from index.generations import current_generation, vectors_path
from index.store import Store


def check_consistency(store: Store, data_dir: Path) -> list[str]:
    """Problems found (Danish, one per line); an empty list means the index is consistent."""
    problems: list[str] = []
    with store.snapshot() as conn:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            problems.append(f"SQLite integritetstjek: {integrity}")
        chunk_ids = {r[0] for r in conn.execute("SELECT id FROM chunks")}
        lexical_ids = {r[0] for r in conn.execute("SELECT rowid FROM chunks_fts")}
        orphans = conn.execute(
            "SELECT count(*) FROM documents d WHERE NOT EXISTS (SELECT 1 FROM sources s WHERE s.doc_id = d.doc_id)"
        ).fetchone()[0]
        generation = current_generation(store)
    if lexical_ids != chunk_ids:
        problems.append(
            f"Det leksikalske indeks afviger fra tekststykkerne ({len(lexical_ids ^ chunk_ids)} id'er)."
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
