"""Reports and results as JSON, the same for the command line and the HTTP API."""

from __future__ import annotations

import dataclasses
from typing import Any

from broker.paths import SourcePaths
from core.types import IngestReport, SearchResult

OUTCOMES = ("added", "updated", "unchanged", "removed", "renamed", "failed")


def report_dict(report: IngestReport) -> dict[str, Any]:
    """An ingest or re-index report, with the number of files per outcome under `counts`."""
    data = dataclasses.asdict(report)
    data["counts"] = {name: len(data[name]) for name in OUTCOMES}
    return data


def result_dict(result: SearchResult, paths: SourcePaths, *, admin: bool) -> dict[str, Any]:
    """A search result: each hit's `source` as source name and path inside it; the server path for admin."""
    data = dataclasses.asdict(result)
    data["results"] = paths.hits(data["results"], admin=admin)
    if data.get("facets") is None:
        data.pop("facets", None)
    return data
