"""Query latency per mode, in-process and over HTTP against a real uvicorn, with the service's memory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.common import QUERIES, Timings, broker_serve, greve_path, log, memory, rss_mb, timed
from broker.answers.extractive import Answerer
from broker.evaluate import load_queries
from broker.search import Engine
from core.settings import Settings
from index.embed import Embedder, clear_query_cache

SEARCH_MODES = ("lexical", "dense", "hybrid")


def query_sets(per_mode: int, ask: int) -> dict[str, list[str]]:
    """Disjoint sets of distinct real queries per mode, so no mode reuses another's cached query vector.

    The judged queries come first, then agenda-item titles from the Greve export (when it is there)."""
    texts = list(dict.fromkeys(q.query for q in load_queries(QUERIES)))
    greve = greve_path()
    if greve is not None:
        with greve.open(encoding="utf-8") as fh:
            titles = [json.loads(line).get("title", "") for line in fh]
        texts += [t for t in dict.fromkeys(titles) if len(t.split()) >= 2 and t not in texts]
    per_mode = min(per_mode, (len(texts) - ask) // 3)
    sets: dict[str, list[str]] = {}
    # Interleave, so every mode gets judged queries and titles alike.
    for i, mode in enumerate(("lexical", "dense", "hybrid")):
        sets[mode] = texts[i : 3 * per_mode : 3]
    sets["ask"] = texts[3 * per_mode : 3 * per_mode + ask]
    return sets


def in_process(engine: Engine, sets: dict[str, list[str]], settings: Settings) -> dict[str, Any]:
    """Each mode end to end with uncached query vectors, then again with them cached (retrieval only)."""
    out: dict[str, Any] = {}
    embedder = engine.embedder
    # The first search loads the vector index and the lexical vocabulary: a cost once per start and re-index.
    out["first_search_ms"] = round(timed(engine.search, "kvalitetsstandard", k=10, mode="hybrid")[0], 1)
    for text in ("familiebehandling i hjemmet", "aflastning", "skolefravær handleplan"):
        for mode in SEARCH_MODES:
            engine.search(text, k=10, mode=mode)
    clear_query_cache(embedder)
    embedding = Timings()
    for q in sets["dense"] + sets["hybrid"]:
        embedding.add(timed(embedder.embed_queries, [q])[0])
    out["query_embedding"] = embedding.summary()
    for mode in SEARCH_MODES:
        clear_query_cache(embedder)
        cold, warm = Timings(), Timings()
        for q in sets[mode]:
            cold.add(timed(engine.search, q, k=10, mode=mode)[0])
        for q in sets[mode]:
            warm.add(timed(engine.search, q, k=10, mode=mode)[0])
        out[mode] = {"uncached": cold.summary(), "retrieval_only": warm.summary()}
    clear_query_cache(embedder)
    answerer = Answerer(engine, settings)
    cold, warm = Timings(), Timings()
    for q in sets["ask"]:
        cold.add(timed(answerer.ask, q)[0])
    for q in sets["ask"]:
        warm.add(timed(answerer.ask, q)[0])
    out["ask"] = {"uncached": cold.summary(), "retrieval_only": warm.summary()}
    return out


def over_http(data_dir: Path, sets: dict[str, list[str]], *, timeout_s: float = 900) -> dict[str, Any]:
    """Start `broker serve` on a free loopback port, query it one request at a time, read its memory."""
    out: dict[str, Any] = {}
    with broker_serve(data_dir, client_timeout=120, ready_timeout_s=timeout_s, poll_s=0.2) as served:
        client, pid = served.client, served.process.pid
        out["startup_s"] = served.startup_s
        # Warm the routes, then one request at a time per mode, each query new to the server.
        for mode in SEARCH_MODES:
            client.get("/api/search", params={"q": "familiebehandling i hjemmet", "mode": mode})
        out["rss_ready_mb"] = memory(pid)["rss_mb"]
        for mode in SEARCH_MODES:
            timings = Timings()
            for q in sets[mode]:
                params = {"q": q, "mode": mode, "k": 10}
                ms, response = timed(client.get, "/api/search", params=params)
                response.raise_for_status()
                timings.add(ms)
            out[mode] = timings.summary()
        timings = Timings()
        for q in sets["ask"]:
            ms, response = timed(client.post, "/api/ask", json={"question": q})
            response.raise_for_status()
            timings.add(ms)
        out["ask"] = timings.summary()
        used = memory(pid)
        out["rss_mb"], out["rss_peak_mb"] = used["rss_mb"], used["rss_peak_mb"]
    return out


def measure(
    data_dir: Path, embedder: Embedder, sets: dict[str, list[str]], *, http: bool = True
) -> dict[str, Any]:
    settings = Settings(data_dir=data_dir)
    rss_before = rss_mb()
    engine = Engine(settings, embedder=embedder)
    try:
        log(f"latency in-process: {data_dir.name}")
        result: dict[str, Any] = {"in_process": in_process(engine, sets, settings)}
        index = engine.vectors()
        result["index_kind"] = index.kind if index is not None else None
        result["chunks"] = len(index) if index is not None else 0
        result["in_process_rss_growth_mb"] = round(rss_mb() - rss_before, 1)
    finally:
        engine.close()
    if http:
        log(f"latency over HTTP: {data_dir.name}")
        result["http"] = over_http(data_dir, sets)
    files = {p.name: p.stat().st_size for p in data_dir.iterdir() if p.is_file()}
    result["disk_mb"] = {
        "sqlite": round(sum(v for k, v in files.items() if k.startswith("broker.sqlite3")) / 1024**2, 1),
        "faiss": round(sum(v for k, v in files.items() if k.endswith(".faiss")) / 1024**2, 1),
    }
    return result
