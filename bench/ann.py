"""Exact (flat) against approximate (IVF) vector search: recall@10 against exact, latency, build time, memory."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from bench.common import Timings, timed
from index.dense import VectorIndex

NPROBES = (4, 8, 16, 32, 64, 128)
DEPTH = 100  # the engine asks each retriever for max(candidates, 3k) = 100 hits at k=10


def study(vectors: np.ndarray, queries: np.ndarray, *, nprobes: tuple[int, ...] = NPROBES) -> dict[str, Any]:
    """Flat and IVF over the same vectors, searched one query at a time as the engine does."""
    n = len(vectors)
    ids = np.arange(1, n + 1, dtype=np.int64)
    out: dict[str, Any] = {"n": n, "queries": len(queries)}
    started = time.perf_counter()
    flat = VectorIndex.build(ids, vectors, kind="flat")
    out["flat_build_s"] = round(time.perf_counter() - started, 2)
    exact: list[np.ndarray] = []
    timings = Timings()
    for q in queries:
        ms, (found, _) = timed(flat.search, q, DEPTH)
        timings.add(ms)
        exact.append(found[:10])
    out["flat"] = {**timings.summary(), "memory_mb": round(n * vectors.shape[1] * 4 / 1024**2, 1)}
    started = time.perf_counter()
    ivf = VectorIndex.build(ids, vectors, kind="ivf")
    out["ivf_build_s"] = round(time.perf_counter() - started, 2)
    out["ivf_nlist"] = int(ivf._index.nlist)
    out["ivf"] = sweep(ivf, queries, exact, nprobes)
    return out


def sweep(
    index: VectorIndex,
    queries: np.ndarray,
    truth: Sequence[np.ndarray] | np.ndarray,
    nprobes: tuple[int, ...],
) -> list[dict[str, Any]]:
    """recall@10 against exact search (`truth`: each query's exact top ids) and latency per nprobe, one query
    at a time as the engine searches."""
    rows = []
    for nprobe in nprobes:
        index.nprobe = nprobe
        timings = Timings()
        recalls = []
        for q, want in zip(queries, truth, strict=True):
            ms, (found, _) = timed(index.search, q, DEPTH)
            timings.add(ms)
            recalls.append(len(np.intersect1d(found[:10], want)) / max(1, len(want)))
        rows.append({"nprobe": nprobe, "recall@10": round(float(np.mean(recalls)), 4), **timings.summary()})
    return rows


def choose(
    studies: list[dict[str, Any]], *, recall: float = 0.95, flat_budget_ms: float = 10.0
) -> dict[str, Any]:
    """nprobe: the smallest reaching `recall` at every measured size. Threshold: the size at which exact
    search costs `flat_budget_ms` a query (flat latency grows linearly with n), when IVF is faster there."""
    nprobe = None
    measured = sorted({r["nprobe"] for s in studies for r in s["ivf"]})
    for candidate in measured:
        rows = [r for s in studies for r in s["ivf"] if r["nprobe"] == candidate]
        if len(rows) == len(studies) and all(r["recall@10"] >= recall for r in rows):
            nprobe = candidate
            break
    # Least squares through the origin over the measured sizes: ms per vector of exact search.
    sizes = np.array([s["n"] for s in studies], dtype=float)
    flat_ms = np.array([s["flat"]["p50_ms"] for s in studies], dtype=float)
    slope = float((sizes @ flat_ms) / (sizes @ sizes)) if len(sizes) else 0.0
    threshold = int(round(flat_budget_ms / slope, -4)) if slope > 0 else None
    return {
        "recall_target": recall,
        "nprobe": nprobe,
        "flat_ms_per_100k": round(slope * 100_000, 2),
        "flat_budget_ms": flat_budget_ms,
        "ann_threshold": threshold,
    }
