"""Resolve user-typed filter values (any case, with or without æøå) to the index's canonical names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from core.errors import InvalidQuery
from core.types import DOC_TYPES, UNKNOWN_MUNICIPALITY, SearchFilters
from language.registry import municipalities, name_key, regions


def _resolve(value: str, names: tuple[str, ...] | list[str], what: str, strip: tuple[str, ...] = ()) -> str:
    key = name_key(value)
    for prefix in strip:
        key = key.removeprefix(name_key(prefix))
    by_key = {name_key(n).removeprefix(name_key(strip[0])) if strip else name_key(n): n for n in names}
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
        regions=[_resolve(v, regions(), "region", strip=("Region ",)) for v in filters.regions],
        types=[_resolve(v, DOC_TYPES, "dokumenttype") for v in filters.types],
        year_from=filters.year_from,
        year_to=filters.year_to,
        languages=[v.strip().lower() for v in filters.languages],
        doc_ids=list(filters.doc_ids),
        include_internal=filters.include_internal,
    )


def filters_from_input(
    *,
    include_internal: bool,
    kommuner: Iterable[str] | None = None,
    exclude_kommuner: Iterable[str] | None = None,
    regions: Iterable[str] | None = None,
    types: Iterable[str] | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    languages: Iterable[str] | None = None,
) -> SearchFilters:
    """Search filters from what a user gave (options, query parameters, a JSON body), resolved to the
    index's canonical names; `include_internal` comes from the caller's rights, never from the input."""
    return resolve_filters(
        SearchFilters(
            kommuner=list(kommuner or []),
            exclude_kommuner=list(exclude_kommuner or []),
            regions=list(regions or []),
            types=list(types or []),
            year_from=year_from,
            year_to=year_to,
            languages=list(languages or []),
            include_internal=include_internal,
        )
    )
