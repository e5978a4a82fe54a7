"""Reports and results as JSON, the same for the command line and the HTTP API."""

from __future__ import annotations

import dataclasses
from typing import Any

from broker.paths import SourcePaths
from core.types import Hit, IngestReport, SearchResult

OUTCOMES = ("added", "updated", "unchanged", "removed", "renamed", "failed")


def report_dict(report: IngestReport) -> dict[str, Any]:
    """An ingest or re-index report, with the number of files per outcome under `counts`."""
    data = dataclasses.asdict(report)
    data["counts"] = {name: len(data[name]) for name in OUTCOMES}
    return data


def hit_dict(hit: Hit) -> dict[str, Any]:
    """A hit as JSON, the one serialiser for search, comparison, the command line and the HTTP API.

    Its `source` is still the server's path: `SourcePaths.hits` turns it into what a caller may see."""
    return _fields(hit)  # every field is a plain value, so nothing needs asdict's deep copy


def result_dict(result: SearchResult, paths: SourcePaths, *, admin: bool) -> dict[str, Any]:
    """A search result: each hit's `source` as source name and path inside it; the server path for admin.

    Built field by field: asdict would deep-copy the hits and facets on every request, for nothing."""
    data = _fields(result)
    data["results"] = paths.hits([hit_dict(hit) for hit in result.results], admin=admin)
    if data.get("facets") is None:
        data.pop("facets", None)
    return data


def _fields(instance: Any) -> dict[str, Any]:
    """A dataclass's fields as a dict, values as they are (no deep copy)."""
    return {field.name: getattr(instance, field.name) for field in dataclasses.fields(instance)}
