"""Comparable practice: documents similar to one from other municipalities, and a topic side by side."""

from __future__ import annotations

from typing import Any

import numpy as np

from broker.answers.citations import document_url
from broker.reports import hit_dict
from broker.search import Engine, Ranked
from broker.search.hits import make_hit
from core.errors import InvalidQuery, NotFound
from core.types import SearchFilters
from language.filters import resolve_municipality

MAX_COMPARE = 6


def similar_documents(
    engine: Engine, doc_id: str, *, k: int = 10, filters: SearchFilters | None = None
) -> dict[str, Any]:
    """The documents closest in meaning to `doc_id`, from other municipalities than its own.

    A document is represented by the mean of its chunk vectors; candidates are ranked by their best chunk.
    Internal documents, the one asked about included, count only when `filters` include them.
    """
    with engine.store.snapshot():
        scope = engine.scope(filters)
        doc = engine.store.document(doc_id)
        if doc is None or (doc["internal"] and not scope.include_internal):
            raise NotFound(f"Dokumentet '{doc_id}' findes ikke.")
        index = engine.vectors()
        if index is None:
            return {"doc_id": doc_id, "municipality": doc["municipality"], "results": []}
        own = engine.store.chunk_ids(SearchFilters(doc_ids=[doc_id], include_internal=True))
        keys = [chunk.text_hash for chunk in engine.store.chunks_of(doc_id)]
        stored = engine.store.get_vectors(engine.store.get_meta("embedder_id") or "", keys, index.dim)
        if not stored:
            return {"doc_id": doc_id, "municipality": doc["municipality"], "results": []}
        query = np.vstack(list(stored.values())).mean(axis=0)
        query /= np.linalg.norm(query) or 1.0
        exclude = [doc["municipality"]] if doc["municipality"] != "ukendt" else []
        scope = SearchFilters(**{**scope.__dict__, "exclude_kommuner": [*scope.exclude_kommuner, *exclude]})
        allowed = engine.store.chunk_ids(scope)
        allowed = allowed[~np.isin(allowed, own)]
        if len(allowed) == 0:
            return {"doc_id": doc_id, "municipality": doc["municipality"], "results": []}
        ids, scores = index.search(query.astype(np.float32), max(50, k * 8), allowed_ids=allowed)
        best: dict[str, tuple[float, int]] = {}
        doc_of = engine.store.doc_ids_of(int(i) for i in ids)
        for chunk_id, score in zip(ids, scores, strict=True):
            other = doc_of.get(int(chunk_id))
            if other is not None and other not in best:
                best[other] = (float(score), int(chunk_id))
        top = sorted(best.items(), key=lambda kv: -kv[1][0])[:k]
        rows = engine.store.chunk_rows(chunk for _, (_, chunk) in top)
    # The same hit fields as a search (the caller shows `source` as it may be seen), plus the file's link.
    results = [
        {
            **hit_dict(make_hit(rank, Ranked(chunk_id, score), rows[chunk_id], "")),
            "url": document_url(other, rows[chunk_id].page_start),
        }
        for rank, (other, (score, chunk_id)) in enumerate(top, 1)
    ]
    return {"doc_id": doc_id, "municipality": doc["municipality"], "title": doc["title"], "results": results}


def compare(
    engine: Engine,
    topic: str,
    kommuner: list[str],
    *,
    k: int = 3,
    mode: str = "hybrid",
    include_internal: bool = False,
) -> dict[str, Any]:
    """For each named municipality, its best passages on the topic, side by side."""
    names = list(dict.fromkeys(resolve_municipality(name) for name in kommuner))
    if not 2 <= len(names) <= MAX_COMPARE:
        raise InvalidQuery(f"Vælg mellem 2 og {MAX_COMPARE} forskellige kommuner at sammenligne.")
    columns = []
    for name in names:
        found = engine.search(
            topic, k=k, mode=mode, filters=SearchFilters(kommuner=[name], include_internal=include_internal)
        )
        columns.append(
            {
                "municipality": name,
                "results": [
                    {**hit_dict(hit), "url": document_url(hit.doc_id, hit.page)} for hit in found.results
                ],
            }
        )
    return {"query": topic, "columns": columns}
