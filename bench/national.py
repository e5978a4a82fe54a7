"""The national scale: 3M chunks in-process and behind `broker serve`, with its memory, first searches and the
recall of the vector index it builds; and the serving measurements (HTTP, 16 clients) of any index.

    python -m bench.national [--chunks 3000000] [--queries 100] [--work DIR]
    python -m bench.national --serve DATA [--queries 100] [--seed 5]   # serving only, an existing index

The index is built as `bench.lexical_engines` builds its own (real Greve text, resampled real vectors), but
without the FTS5 baseline table, which at this size answers in seconds (see the 1M rows). Results go to
bench/results/national.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench.ann import sweep
from bench.common import (
    RESULTS,
    Timings,
    broker_serve,
    log,
    machine,
    memory,
    normalised,
    timed,
    write_json,
)
from bench.lexical_engines import build, build_vectors, describe, disk_mb, latency, material
from bench.load import run_load
from bench.vectors import resample
from broker.search import Engine
from core.settings import Settings
from index.dense import VectorIndex, ivf_nlist, set_threads, wants_quantised
from index.embed import Embedder, clear_query_cache
from index.generations import commit_generation, current_generation, vectors_path
from index.store import Store
from index.vocabulary import STAMP_KEY

NPROBES = (8, 16, 32, 64, 128, 256)


def paired(engine: Engine, client: httpx.Client, queries: dict[str, list[str]]) -> dict[str, Any]:
    """Each query in-process (without and with facets, which `/api/search` always counts) and over HTTP, one
    right after the other, the order turning query by query: all three see the same load and the same warm
    caches, so the difference is what HTTP adds. Every call embeds its query (none is cached)."""
    kinds = ("in_process", "in_process_facets", "http")
    out: dict[str, Any] = {"load_average_start": machine()["load_average"]}
    for mode, texts in queries.items():
        timings = {name: Timings() for name in (*kinds, "server_took")}
        for i, q in enumerate(texts):
            for kind in kinds[i % 3 :] + kinds[: i % 3]:
                if kind == "http":
                    ms, response = timed(client.get, "/api/search", params={"q": q, "mode": mode, "k": 10})
                    response.raise_for_status()
                    timings["server_took"].add(float(response.json()["took_ms"]))
                else:
                    clear_query_cache(engine.embedder)
                    ms, _ = timed(engine.search, q, k=10, mode=mode, facets=kind == "in_process_facets")
                timings[kind].add(ms)
        out[mode] = {name: t.summary() for name, t in timings.items()}
    out["load_average_end"] = machine()["load_average"]
    return out


def serving(
    data_dir: Path,
    one_client: dict[str, list[str]],
    load_queries: list[str],
    *,
    clients: int = 16,
    seconds: float = 30.0,
    pair_with: Embedder | None = None,
    paired_queries: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """`broker serve` on a free loopback port: start-up, the first search, one client per mode (each query new
    to the server), then `clients` concurrent searching clients for `seconds`, and the server's memory. With
    `pair_with` (an embedder), also `paired_queries` in this process and over HTTP, query by query (`paired`)."""
    out: dict[str, Any] = {"load_average_start": machine()["load_average"]}
    with broker_serve(data_dir, client_timeout=300, ready_timeout_s=900, poll_s=0.1) as served:
        client, pid = served.client, served.process.pid
        out["startup_s"] = served.startup_s
        out["ready"] = memory(pid)
        params = {"q": "kvalitetsstandard for hjemmepleje", "mode": "hybrid", "k": 10}
        ms, response = timed(client.get, "/api/search", params=params)
        response.raise_for_status()
        out["first_search_ms"] = round(ms, 1)
        for mode, queries in one_client.items():
            timings = Timings()
            for q in queries:
                ms, response = timed(client.get, "/api/search", params={"q": q, "mode": mode, "k": 10})
                response.raise_for_status()
                timings.add(ms)
            out[mode] = timings.summary()
        out["after_one_client"] = memory(pid)
        if pair_with is not None and paired_queries:
            engine = Engine(Settings(data_dir=data_dir), embedder=pair_with)
            try:
                engine.preload()  # all that `broker serve` loads before it is ready, the chunks' documents too
                out["paired"] = paired(engine, client, paired_queries)
            finally:
                engine.close()
        if clients:
            log(f"serving: {clients} clients for {seconds:.0f} s, load {machine()['load_average']}")
            url = str(client.base_url).rstrip("/")
            result = asyncio.run(
                run_load(url, clients=clients, seconds=seconds, ask_share=0.0, queries=load_queries)
            )
            out["concurrent"] = {
                "clients": result.clients,
                "seconds": result.seconds,
                "requests": result.requests,
                "errors": result.errors,
                "inconsistent": result.inconsistent,
                "requests_per_s": result.rps,
                "p50_ms": result.p50_ms,
                "p95_ms": result.p95_ms,
                "p99_ms": result.p99_ms,
                "max_ms": result.max_ms,
                "by_kind": result.by_kind,
                "problems": result.problems,
            }
            out["after_concurrent"] = memory(pid)
    out["load_average_end"] = machine()["load_average"]
    return out


def after_reindex(engine: Engine, data_dir: Path, queries: list[str]) -> dict[str, Any]:
    """The first searches after a re-index published a new generation: a new vector file (the same vectors,
    hard-linked) and a changed vocabulary stamp, as a re-index leaves them. `preload_ms` is loading both, as
    the service's preloading thread does; `first_search_ms` the search after it, `next` the ones after that."""
    store = Store(data_dir / "broker.sqlite3")
    try:
        generation = current_generation(store) + 1
        target = vectors_path(data_dir, generation)
        target.unlink(missing_ok=True)
        os.link(vectors_path(data_dir, generation - 1), target)
        with store.write():
            commit_generation(store, generation)
            store.set_meta(STAMP_KEY, str(time.time_ns()))
    finally:
        store.close()
    clear_query_cache(engine.embedder)
    # `broker serve` notices the new generation within BROKER_PRELOAD_INTERVAL_S and loads it in its
    # preloading thread; the search that comes after that finds everything loaded.
    preload, _ = timed(engine.preload)
    first, _ = timed(engine.search, queries[0], k=10, mode="hybrid")
    after = Timings()
    for q in queries[1:]:
        after.add(timed(engine.search, q, k=10, mode="hybrid")[0])
    return {"preload_ms": round(preload, 1), "first_search_ms": round(first, 1), "next": after.summary()}


def vocabulary_load(data_dir: Path, embedder: Embedder) -> dict[str, Any]:
    """How long loading the vocabulary per visibility takes on its own, and how big it is."""
    engine = Engine(Settings(data_dir=data_dir), embedder=embedder)
    try:
        with engine.store.snapshot():
            ms, state = timed(engine.lexical_state)
        sizes = {kind: len(engine.store.vocabulary(kind)) for kind in ("words", "terms", "parts")}
    finally:
        engine.close()
    return {
        "load_ms": round(ms, 1),
        "distinct": sizes,
        "public_view_shared": state.public is state.everything,
    }


def exact_top10(vectors: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Chunk ids (positions + 1) of the exact 10 nearest vectors per query, computed in blocks."""
    truth = np.zeros((len(queries), 10), dtype=np.int64)
    best = np.full((len(queries), 10), -np.inf, dtype=np.float32)
    for start in range(0, len(vectors), 250_000):  # never a (queries × n) matrix at once
        scores = queries @ vectors[start : start + 250_000].T
        top = np.argpartition(-scores, 10, axis=1)[:, :10]
        cand = np.concatenate([best, np.take_along_axis(scores, top, 1)], axis=1)
        ids = np.concatenate([truth, top + start + 1], axis=1)
        order = np.argsort(-cand, axis=1)[:, :10]
        best, truth = np.take_along_axis(cand, order, 1), np.take_along_axis(ids, order, 1)
    return truth


def vector_file(
    path: Path, n: int, real: np.ndarray, queries: np.ndarray, settings: Settings, nlist: int | None = None
) -> dict[str, Any]:
    """The vector file for n resampled vectors (`nlist` lists instead of the service's own choice, when the
    machine has no time for that k-means), its recall@10 against exact search over the very same vectors, and
    saved with the smallest nprobe measured to reach 0.95."""
    out: dict[str, Any] = {"machine_start": machine(), "queries": len(queries)}
    began = time.perf_counter()
    if nlist is None:
        index = build_vectors(path, n, real, settings)
        vectors = resample(real, n, np.random.default_rng(5))
    else:
        vectors = resample(real, n, np.random.default_rng(5))
        quantised = wants_quantised(n, settings.ann_quantise_threshold)
        index = VectorIndex.create(vectors.shape[1], "ivf", nlist=nlist, quantised=quantised)
        index.add(np.arange(1, n + 1, dtype=np.int64), vectors)
    out["build_s"] = round(time.perf_counter() - began, 1)
    out |= describe(index)
    log(f"  vectors built: {json.dumps(out)}")
    queries = normalised(queries)
    truth = exact_top10(vectors, queries)
    del vectors
    if index.kind == "flat":  # below `ann_threshold`: exact search has nothing to probe, its recall is 1
        out["nprobe_used"] = None
    else:
        out["sweep"] = sweep(index, queries, truth, NPROBES)
        good = [r["nprobe"] for r in out["sweep"] if r["recall@10"] >= 0.95]
        default = int(out["nprobe"])
        index.nprobe = out["nprobe_used"] = default if nlist is None else min(good) if good else max(NPROBES)
    index.save(path)
    out["machine_end"] = machine()
    return out


def start_vectors(
    work: Path, n: int, real: np.ndarray, queries: np.ndarray, nlist: int | None = None
) -> subprocess.Popen[bytes]:
    """Build the vector file in its own process (it depends on nothing but the resampled vectors), beside the
    rows: the machine's cores are shared, and this way the two builds overlap. `queries` measure its recall."""
    np.save(work / f"national-{n}-real.npy", real)
    np.save(work / f"national-{n}-queries.npy", queries)
    command = [
        sys.executable,
        "-m",
        "bench.national",
        "--vectors-only",
        "--chunks",
        str(n),
        "--work",
        str(work),
    ]
    return subprocess.Popen(command + (["--nlist", str(nlist)] if nlist else []))


def finish_vectors(work: Path, n: int, data: Path, process: subprocess.Popen[bytes]) -> dict[str, Any]:
    """Wait for `start_vectors`, move its file into `data` as generation 1 and commit it; its recall study."""
    if process.wait() != 0:
        raise RuntimeError("building the vector file failed")
    os.replace(work / f"national-{n}.faiss", vectors_path(data, 1))
    store = Store(data / "broker.sqlite3")
    try:
        with store.write():
            commit_generation(store, 1)
    finally:
        store.close()
    return dict(json.loads((work / f"national-{n}-vectors.json").read_text(encoding="utf-8")))


def codes_against_full(
    real: np.ndarray, queries: np.ndarray, n: int = 1_000_000, nlist: int = 1000
) -> dict[str, Any]:
    """What the service's quantised vectors (16-bit floats) cost on their own: IVF with full and with quantised
    vectors over the same n vectors and the same number of lists, recall@10 against exact per nprobe (nprobe =
    nlist: every list, so only the stored vectors differ from exact search)."""
    nlist = min(nlist, ivf_nlist(n))  # enough points per list to train
    out: dict[str, Any] = {"machine_start": machine(), "n": n, "nlist": nlist, "runs": []}
    set_threads(os.cpu_count())
    vectors = resample(real, n, np.random.default_rng(5))
    queries = normalised(queries)
    truth = exact_top10(vectors, queries)
    for quantised in (False, True):
        began = time.perf_counter()
        index = VectorIndex.create(vectors.shape[1], "ivf", nlist=nlist, quantised=quantised)
        index.add(np.arange(1, n + 1, dtype=np.int64), vectors)
        build_s = round(time.perf_counter() - began, 1)
        rows = sweep(index, queries, truth, (16, 32, 64, 128, nlist))
        out["runs"].append({"quantised": quantised, "build_s": build_s, "sweep": rows})
    out["machine_end"] = machine()
    return out


def run(
    work: Path,
    n: int,
    queries: int,
    *,
    clients: int = 16,
    seconds: float = 30.0,
    nlist: int | None = None,
) -> dict[str, Any]:
    """Build n chunks, measure them in-process and behind `broker serve`, with the vectors' recall; `nlist`
    replaces the service's own number of IVF lists (see `vector_file`)."""
    found = material(work, seed=13)
    if found is None:
        return {"skipped": "greve_dagsordener.jsonl absent"}
    paras, embedder, real, titles = found.paras, found.embedder, found.real, found.titles
    data = work / f"national-{n}"
    out: dict[str, Any] = {"chunks": n, "machine_start": machine()}
    log(f"national: building {n:,} chunks (no FTS5 table), load {machine()['load_average']}")
    began = time.perf_counter()
    faiss_build = start_vectors(work, n, real, embedder.embed_queries(titles[-200:]), nlist)
    out["build"] = build(data, n, paras, real, embedder.id, fts5=False, entries=False, vectors=False)
    out["vectors"] = finish_vectors(work, n, data, faiss_build)
    out["build"]["faiss_s_in_parallel"] = round(time.perf_counter() - began, 1)
    out["build"] |= describe(VectorIndex.load(vectors_path(data, 1)))
    out["disk_mb"] = disk_mb(data)
    out["load_average_built"] = machine()["load_average"]
    log(f"national: built {json.dumps(out['build'])}")
    out["vocabulary"] = vocabulary_load(data, embedder)
    engine = Engine(Settings(data_dir=data), embedder=embedder)
    try:
        out["in_process"] = {"load_average_start": machine()["load_average"]}
        out["in_process"] |= latency(engine, titles[:queries])
        out["in_process"]["after_reindex"] = after_reindex(engine, data, titles[queries : queries + 11])
        out["in_process"]["load_average_end"] = machine()["load_average"]
    finally:
        engine.close()
    log(f"national: in-process {json.dumps(out['in_process'])}")
    rest = titles[queries + 11 :]
    half = queries // 2
    out["http"] = serving(
        data,
        {"lexical": rest[:half], "hybrid": rest[half:queries]},
        rest[queries:],
        clients=clients,
        seconds=seconds,
    )
    log(f"national: serving {json.dumps(out['http'])}")
    shutil.rmtree(data)
    log("national: quantised against full vectors at 1M")
    out["codes_against_full"] = codes_against_full(
        real, embedder.embed_queries(titles[-200:]), min(n, 1_000_000)
    )
    out["machine_end"] = machine()
    return out


def serve_existing(data: Path, queries: int, seed: int, args: argparse.Namespace) -> dict[str, Any]:
    """`serving` of an index built before (by `bench.lexical_engines` or this module), on agenda titles of
    its own seed: one client per mode, the paired queries, then the concurrent clients."""
    from bench.common import greve_path
    from bench.lexical_engines import Paragraphs
    from index.embed import E5Embedder

    greve = greve_path()
    if greve is None:
        return {"skipped": "greve_dagsordener.jsonl absent"}
    titles = Paragraphs(greve).titles
    chosen = [titles[int(i)] for i in np.random.default_rng(seed).permutation(len(titles))[: 5 * queries]]
    half = queries // 2
    return {"data": str(data), "seed": seed} | serving(
        data,
        {"lexical": chosen[:half], "hybrid": chosen[half:queries]},
        chosen[3 * queries :],
        clients=args.clients,
        seconds=args.seconds,
        pair_with=E5Embedder(threads=1),
        paired_queries={
            "lexical": chosen[queries : 2 * queries],
            "hybrid": chosen[2 * queries : 3 * queries],
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=3_000_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--work", type=Path, default=RESULTS / "tmp")
    parser.add_argument("--vectors-only", action="store_true", help=argparse.SUPPRESS)  # run's helper process
    parser.add_argument(
        "--nlist", type=int, help="IVF lists instead of the service's own choice (see vector_file)"
    )
    parser.add_argument("--serve", type=Path, help="only the serving measurements, of this data directory")
    parser.add_argument("--seed", type=int, default=5, help="with --serve: which agenda titles to search")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.serve is not None:
        write_json("national-serve", serve_existing(args.serve, args.queries, args.seed, args), RESULTS)
        return
    if args.vectors_only:
        real = np.load(args.work / f"national-{args.chunks}-real.npy")
        queries = np.load(args.work / f"national-{args.chunks}-queries.npy")
        path = args.work / f"national-{args.chunks}.faiss"
        found = vector_file(path, args.chunks, real, queries, Settings(), args.nlist)
        write_json(f"national-{args.chunks}-vectors", found, args.work)
        return
    result = run(
        args.work,
        args.chunks,
        args.queries,
        clients=args.clients,
        seconds=args.seconds,
        nlist=args.nlist,
    )
    write_json("national", result, RESULTS)


if __name__ == "__main__":
    main()
