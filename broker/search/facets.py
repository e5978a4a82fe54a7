"""Facets of a search: which documents match closely, counted per field the way a click will narrow them."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from core.settings import Settings
from core.types import SearchFilters

FIELDS = ("municipality", "region", "doc_type", "year")
_YEAR_RE = re.compile(r"\b(?:19|20)\d\d\b")


class Scored(Protocol):
    """A ranked chunk: what a retriever returns (broker.search.fusion.Ranked)."""

    @property
    def chunk_id(self) -> int: ...

    @property
    def score(self) -> float: ...


class Described(Protocol):
    """What facets need to know of a chunk's document (index.store.ChunkRow)."""

    @property
    def doc_id(self) -> str: ...

    @property
    def municipality(self) -> str: ...

    @property
    def region(self) -> str | None: ...

    @property
    def doc_type(self) -> str: ...

    @property
    def year(self) -> int | None: ...


class Passage(Described, Protocol):
    """A chunk with its text (index.store.ChunkRow)."""

    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class Facets:
    """Document counts per field value, and how many documents match under all the filters."""

    counts: dict[str, dict[str, int]]
    matched: set[str]  # doc ids that match closely and pass every filter


def facet_candidates(retrieved: Mapping[str, Sequence[Scored]], settings: Settings) -> list[int]:
    """The chunks facets count: candidates of either retriever that score near that retriever's best.

    Dense retrieval ranks every chunk, and an OR query matches any chunk sharing one common word, so counting
    all candidates would count most of a small index. e5's similarities are compressed, so "near" is a narrow
    margin below the best; for BM25 it is a share of the best score.
    """
    dense = retrieved.get("dense", ())
    lexical = retrieved.get("lexical", ())
    close_dense = [r.chunk_id for r in dense if r.score >= dense[0].score - settings.facet_dense_margin]
    close_lexical = [
        r.chunk_id for r in lexical if r.score >= lexical[0].score * settings.facet_lexical_share
    ]
    return list(dict.fromkeys([*close_lexical, *close_dense]))


def without_facet_filters(filters: SearchFilters) -> SearchFilters:
    """The filters a facet click does not change: exclusions, language, documents, access."""
    return dataclasses.replace(filters, kommuner=[], regions=[], types=[], year_from=None, year_to=None)


def has_facet_filters(filters: SearchFilters | None) -> bool:
    if filters is None:
        return False
    return filters != without_facet_filters(filters)


def passes(row: Described, filters: SearchFilters, skip: str | None = None) -> bool:
    """Whether a document passes the facet filters (as index.store.filter_clause), leaving out field `skip`."""
    if skip != "municipality" and filters.kommuner and row.municipality not in filters.kommuner:
        return False
    if skip != "region" and filters.regions and row.region not in filters.regions:
        return False
    if skip != "doc_type" and filters.types and row.doc_type not in filters.types:
        return False
    if skip != "year":
        if filters.year_from is not None and (row.year is None or row.year < filters.year_from):
            return False
        if filters.year_to is not None and (row.year is None or row.year > filters.year_to):
            return False
    return True


def count_facets(
    pool: Iterable[Described], filters: SearchFilters, shown: Sequence[Described] = ()
) -> Facets:
    """Count distinct documents per value of each field over `pool`, the close matches found without the
    facet filters.

    Each field is counted under every filter but its own (multi-select: choosing Aabenraa leaves the other
    municipalities and their counts in place, so a second one can be added). The hits shown always count, so
    every result's values are among the facets. A count is then what clicking the value adds to the results.
    """
    rows = {row.doc_id: row for row in pool}
    for row in shown:
        rows.setdefault(row.doc_id, row)
    counts: dict[str, dict[str, int]] = {}
    for field in FIELDS:
        tally: Counter[str] = Counter()
        for row in rows.values():
            value = getattr(row, field)
            if value is not None and passes(row, filters, skip=field):
                tally[str(value)] += 1
        counts[field] = dict(sorted(tally.items(), key=lambda kv: (-kv[1], kv[0])))
    matched = {doc_id for doc_id, row in rows.items() if passes(row, filters)}
    return Facets(counts, matched)


def by_its_text(row: Described, prefer: SearchFilters) -> bool:
    """Whether only the years a chunk's text names can make it what the question points to (`points_to`):
    the question names a time, and the chunk's document has its places but not its year."""
    return (prefer.year_from is not None or prefer.year_to is not None) and passes(row, prefer, skip="year")


def points_to(row: Passage, prefer: SearchFilters) -> bool:
    """Whether a chunk is what the question's places and time point to: its document's municipality,
    region and year, or, for the time, the years its text speaks of. "Sagstal mellem 2014 og 2016" is
    answered by an evaluation of 2014-2016 written in 2017, so a year the text names counts as its year."""
    if passes(row, prefer):
        return True
    if not by_its_text(row, prefer):
        return False
    low = prefer.year_from if prefer.year_from is not None else 0
    high = prefer.year_to if prefer.year_to is not None else 9999
    return any(low <= int(year) <= high for year in _YEAR_RE.findall(row.text))
