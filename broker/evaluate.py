"""Search quality against judged queries: nDCG@k, recall@k, MRR@k and latency, per search mode."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from broker.search import MODES, Engine
from core.errors import InvalidQuery
from core.types import SearchFilters, Source
from index.embed import clear_query_cache

T = TypeVar("T")


@dataclass
class JudgedQuery:
    """One line of a query set: the query, graded relevant documents and optional filters."""

    query: str
    relevant: dict[str, int]  # source path suffix or export record id -> grade (2 answers it, 1 related)
    filters: SearchFilters = field(default_factory=SearchFilters)
    kind: str | None = None


def read_judged(
    path: Path, parse: Callable[[dict[str, Any]], T], *, file: str, invalid: str, none: str
) -> list[tuple[int, T]]:
    """The items of a JSON Lines file of judgements with their line numbers, each line read by `parse`.

    An unreadable file, a malformed line (named: "<file>, linje 7: ugyldig opgave (…)") or a file without
    items is an InvalidQuery; `file`, `invalid` and `none` are the Danish words for what the file holds."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InvalidQuery(f"Kan ikke læse {file} {path}: {exc.strerror}") from exc
    items: list[tuple[int, T]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            items.append((number, parse(json.loads(line))))
        except (ValueError, KeyError, TypeError, AttributeError, InvalidQuery) as exc:
            detail = exc.message if isinstance(exc, InvalidQuery) else str(exc)
            raise InvalidQuery(f"{path}, linje {number}: {invalid} ({detail}).") from exc
    if not items:
        raise InvalidQuery(f"{path} indeholder ingen {none}.")
    return items


def _judged_query(item: dict[str, Any]) -> JudgedQuery:
    relevant = item["relevant"]
    if isinstance(relevant, list):
        relevant = {entry: 1 for entry in relevant}
    return JudgedQuery(
        str(item["query"]),
        {str(k): int(v) for k, v in relevant.items()},
        SearchFilters(**item.get("filters", {})),
        item.get("kind"),
    )


def load_queries(path: Path) -> list[JudgedQuery]:
    """Read a JSON Lines query set; a malformed line is an error naming the line."""
    judged = read_judged(
        path, _judged_query, file="forespørgselsfilen", invalid="ugyldig forespørgsel", none="forespørgsler"
    )
    return [query for _, query in judged]


def matches(entry: str, source: Source) -> bool:
    """An entry names a document by its path relative to the ingested folder, or by an export record id."""
    if source.record_id is not None and entry == source.record_id:
        return True
    path = source.path
    return path == entry or path.endswith("/" + entry.lstrip("/"))


def judge(sources: list[Source], relevant: dict[str, int], used: set[str]) -> int:
    """The grade of a document; each judged entry is credited once."""
    for entry, grade in sorted(relevant.items(), key=lambda kv: -kv[1]):
        if entry not in used and any(matches(entry, s) for s in sources):
            used.add(entry)
            return grade
    return 0


def ndcg(gains: list[int], relevant: dict[str, int], k: int) -> float:
    dcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains[:k]))
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * pct / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def evaluate(
    engine: Engine, queries: list[JudgedQuery], *, k: int = 10, modes: tuple[str, ...] = MODES
) -> dict[str, Any]:
    """Run every query in every mode over distinct documents (each at the rank of its best chunk)."""
    result: dict[str, Any] = {"k": k, "queries": len(queries), "modes": {}}
    sources_cache: dict[str, list[Source]] = {}
    for mode in modes:
        clear_query_cache(engine.embedder)  # each mode's latency includes embedding its queries
        ndcgs, recalls, rrs, latencies = [], [], [], []
        per_query = []
        for judged in queries:
            found = engine.search(judged.query, k=k, mode=mode, filters=judged.filters, collapse=True)
            latencies.append(found.took_ms)
            used: set[str] = set()
            gains = []
            for hit in found.results:
                if hit.doc_id not in sources_cache:
                    sources_cache[hit.doc_id] = engine.store.sources_of(hit.doc_id)
                gains.append(judge(sources_cache[hit.doc_id], judged.relevant, used))
            wanted = [e for e, g in judged.relevant.items() if g > 0]
            first = next((i for i, g in enumerate(gains) if g > 0), None)
            scores = {
                "ndcg": ndcg(gains, judged.relevant, k),
                "recall": len(used) / len(wanted) if wanted else 0.0,
                "rr": 1.0 / (first + 1) if first is not None else 0.0,
            }
            ndcgs.append(scores["ndcg"])
            recalls.append(scores["recall"])
            rrs.append(scores["rr"])
            per_query.append({"query": judged.query, "kind": judged.kind, **scores})
        n = len(queries)
        result["modes"][mode] = {
            f"ndcg@{k}": round(sum(ndcgs) / n, 4),
            f"recall@{k}": round(sum(recalls) / n, 4),
            f"mrr@{k}": round(sum(rrs) / n, 4),
            "p50_ms": round(percentile(latencies, 50), 2),
            "p95_ms": round(percentile(latencies, 95), 2),
            "per_query": per_query,
        }
    return result
