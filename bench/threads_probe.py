"""One process's query and passage embedding latency, with the embedder's threads from BROKER_THREADS."""

from __future__ import annotations

from typing import Any

from bench.common import Timings, load_average, timed
from bench.latency import query_sets
from core.settings import Settings
from index.embed import E5Embedder


def probe(n: int) -> dict[str, Any]:
    settings = Settings()
    embedder = E5Embedder(threads=settings.threads)
    sets = query_sets(n, 0)
    embedder.embed_queries(["opvarmning"])
    queries = Timings()
    for q in sets["dense"]:
        queries.add(timed(embedder.embed_queries, [q])[0])
    # What ask embeds: the sentences of its top passages, about 60 short texts at a time.
    sentences = [s for s in sets["hybrid"] for _ in range(2)][:60]
    passages = Timings()
    for _ in range(3):
        passages.add(timed(embedder.embed_passages, sentences)[0])
    return {
        "threads": settings.threads,
        "load_average": [round(x, 2) for x in load_average()],
        "query_embedding": queries.summary(),
        "embed_60_sentences": passages.summary(),
    }
