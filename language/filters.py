"""Resolve user-typed filter values (any case, with or without æøå) to the index's canonical names."""

from __future__ import annotations

import csv
import difflib
from functools import lru_cache
from importlib import resources

from core.errors import InvalidQuery
from core.types import DOC_TYPES, UNKNOWN_MUNICIPALITY, SearchFilters

REGIONS = (
    "Region Hovedstaden",
    "Region Sjælland",
    "Region Syddanmark",
    "Region Midtjylland",
    "Region Nordjylland",
)


def fold(text: str) -> str:
    """A spelling-insensitive key: lower case, æøå written out and then collapsed, no spaces or dashes."""
    text = text.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    text = text.replace("ae", "a").replace("oe", "o").replace("aa", "a")
    return "".join(ch for ch in text if ch.isalnum())


@lru_cache(maxsize=1)
def municipalities() -> dict[str, str]:
    """The 98 municipalities with their regions, by canonical name."""
    with resources.files("language").joinpath("data/kommuner.csv").open(encoding="utf-8") as handle:
        return {row["kommune"]: f"Region {row['region']}" for row in csv.DictReader(handle)}


def _resolve(value: str, names: tuple[str, ...] | list[str], what: str, strip: tuple[str, ...] = ()) -> str:
    key = fold(value)
    for prefix in strip:
        key = key.removeprefix(fold(prefix))
    by_key = {fold(n).removeprefix(fold(strip[0])) if strip else fold(n): n for n in names}
    if key in by_key:
        return by_key[key]
    close = difflib.get_close_matches(key, list(by_key), n=1, cutoff=0.75)
    hint = f" Mente du »{by_key[close[0]]}«?" if close else ""
    raise InvalidQuery(f"Ukendt {what}: »{value}«.{hint}")


def resolve_municipality(value: str) -> str:
    value = value.strip()
    for suffix in (" kommune", " kommunes", " regionskommune"):
        if value.lower().endswith(suffix):
            value = value[: -len(suffix)]
    return _resolve(value, [*municipalities(), UNKNOWN_MUNICIPALITY], "kommune")


def resolve_filters(filters: SearchFilters) -> SearchFilters:
    """Canonical names for every filter value; an unknown value is a clear error with a suggestion."""
    if filters.year_from is not None and filters.year_to is not None and filters.year_from > filters.year_to:
        raise InvalidQuery(f"Fra-året ({filters.year_from}) ligger efter til-året ({filters.year_to}).")
    return SearchFilters(
        kommuner=[resolve_municipality(v) for v in filters.kommuner],
        exclude_kommuner=[resolve_municipality(v) for v in filters.exclude_kommuner],
        regions=[_resolve(v, REGIONS, "region", strip=("Region ",)) for v in filters.regions],
        types=[_resolve(v, DOC_TYPES, "dokumenttype") for v in filters.types],
        year_from=filters.year_from,
        year_to=filters.year_to,
        languages=[v.strip().lower() for v in filters.languages],
        doc_ids=list(filters.doc_ids),
        include_internal=filters.include_internal,
    )
