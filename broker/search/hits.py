"""Hits: a ranked chunk as a search result, its snippet marked for the analysed query (JSON: broker.reports)."""

from __future__ import annotations

from dataclasses import dataclass

from broker.search.fusion import Ranked
from core.types import Hit
from index.fts import QueryWords, highlight_terms, without_heading
from index.store import ChunkRow

COMMON_TERM_SHARE = 0.5  # a term in more chunks than this is not marked in snippets beside rarer ones


@dataclass(frozen=True)
class Marking:
    """Query terms a snippet does not mark: words in most chunks, and words typed as found without æøå."""

    common: frozenset[str] = frozenset()
    as_typed: frozenset[str] = frozenset()


def make_hit(
    rank: int, ranked: Ranked, row: ChunkRow, query: str | QueryWords, marking: Marking | None = None
) -> Hit:
    """A search result for a ranked chunk, its snippet marked for the (analysed) query."""
    marking = marking or Marking()
    return Hit(
        rank=rank,
        score=round(ranked.score, 6),
        doc_id=row.doc_id,
        chunk_id=row.chunk_id,
        title=row.title,
        municipality=row.municipality,
        region=row.region,
        doc_type=row.doc_type,
        year=row.year,
        page=row.page_start,
        page_end=row.page_end,
        section=row.section,
        source=row.source,
        text=row.text,
        snippet=highlight_terms(
            without_heading(row.text, row.section),
            query,
            common=marking.common,
            as_typed=marking.as_typed,
        ),
    )
