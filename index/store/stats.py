"""The store's counts: documents, chunks, sources and municipalities, for all callers or the public only."""

from __future__ import annotations

from index.store.db import Database


class Stats(Database):
    """What the index holds, counted per visibility."""

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
