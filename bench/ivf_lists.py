"""How many IVF lists: √n, 2·√n and 4·√n lists over the same vectors, side by side in one run, at each size.

    python -m bench.ivf_lists [--sizes 1000000,3000000] [--queries 200] [--work DIR]

Every index holds the same resampled real vectors (seed 5, as `bench.national` builds them) with the vectors the
service would keep at that size (16-bit floats from the quantise threshold). Per index: build time, and
recall@10 against exact search with p50/p95 per nprobe. The nprobes are measured round-robin over the indexes, so
a change in the machine's load falls on all of them alike. Results go to bench/results/ivf_lists.json.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.ann import sweep
from bench.common import RESULTS, log, machine, normalised, write_json
from bench.lexical_engines import material
from bench.national import exact_top10
from bench.vectors import resample
from core.settings import Settings
from index.dense import VectorIndex, ivf_nlist, probes_for, set_threads, wants_quantised

FACTORS = (1, 2, 4)  # lists = factor · √n; 4·√n is FAISS's usual starting point
NPROBES = (16, 32, 64, 128, 256, 512)
RECALL = 0.95


def study(
    vectors: np.ndarray,
    queries: np.ndarray,
    *,
    factors: tuple[int, ...] = FACTORS,
    nprobes: tuple[int, ...] = NPROBES,
    quantised: bool = False,
) -> dict[str, Any]:
    """One IVF index per factor over `vectors`, each swept over `nprobes` (those up to its lists)."""
    n = len(vectors)
    ids = np.arange(1, n + 1, dtype=np.int64)
    truth = exact_top10(vectors, normalised(queries))
    out: dict[str, Any] = {"n": n, "queries": len(queries), "quantised": quantised, "indexes": []}
    indexes = []
    set_threads(os.cpu_count())  # training and adding use every core, as a re-index does
    for factor in factors:
        nlist = max(1, min(int(factor * math.sqrt(n)), n))
        began = time.perf_counter()
        index = VectorIndex.create(vectors.shape[1], "ivf", nlist=nlist, quantised=quantised)
        index.add(ids, vectors)
        build_s = round(time.perf_counter() - began, 1)
        log(
            f"ivf lists: {n:,} vectors in {nlist} lists built in {build_s} s, load {machine()['load_average']}"
        )
        indexes.append(index)
        out["indexes"].append(
            {
                "factor": factor,
                "nlist": nlist,
                "probes_for": probes_for(nlist),
                "build_s": build_s,
                "sweep": [],
            }
        )
    for nprobe in nprobes:
        for index, row in zip(indexes, out["indexes"], strict=True):
            if nprobe <= row["nlist"]:
                row["sweep"] += sweep(index, queries, truth, (nprobe,))
    for row in out["indexes"]:
        row |= cheapest(row["sweep"])
    return out


def cheapest(rows: list[dict[str, Any]], recall: float = RECALL) -> dict[str, Any]:
    """The smallest nprobe measured to reach `recall`, and its p50 (None when no nprobe reached it)."""
    good = [r for r in rows if r["recall@10"] >= recall]
    best = min(good, key=lambda r: r["nprobe"]) if good else None
    return {
        "nprobe_for_recall": best["nprobe"] if best else None,
        "p50_ms_for_recall": best["p50_ms"] if best else None,
    }


def run(work: Path, sizes: list[int], queries: int, *, partial: Path | None = None) -> dict[str, Any]:
    """The study at every size; with `partial`, the sizes done so far are written there after each one."""
    found = material(work, seed=13)
    if found is None:
        return {"skipped": "greve_dagsordener.jsonl absent"}
    real, asked = found.real, found.embedder.embed_queries(found.titles[-queries:])
    settings = Settings()
    result: dict[str, Any] = {
        "machine_start": machine(),
        "recall_target": RECALL,
        "service_nlist": {},
        "sizes": [],
    }
    for n in sizes:
        vectors = resample(real, n, np.random.default_rng(5))
        quantised = wants_quantised(n, settings.ann_quantise_threshold)
        result["service_nlist"][str(n)] = ivf_nlist(n)
        one = {"load_average_start": machine()["load_average"]}
        one |= study(vectors, asked, quantised=quantised)
        one["load_average_end"] = machine()["load_average"]
        del vectors
        result["sizes"].append(one)
        if partial is not None:  # 3M takes minutes: an interrupted run keeps its smaller sizes
            write_json("ivf_lists", result | {"machine_end": machine()}, partial)
    result["machine_end"] = machine()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,3000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--work", type=Path, default=RESULTS / "tmp")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    write_json("ivf_lists", run(args.work, sizes, args.queries, partial=RESULTS), RESULTS)


if __name__ == "__main__":
    main()
