"""Reading every stored vector to rebuild the vector file: the previous dict of arrays against one array.

    python -m bench.rebuild_read [--chunks 1000000] [--rounds 3] [--work DIR]

A store with n chunks and their vectors (resampled real ones are not needed: reading costs the same for any
floats), then both ways of reading them for `VectorIndex.build`, alternating round by round in one run: the
previous one (chunk ids and text hashes, `get_vectors` into a dict by text hash, `np.vstack`) and
`Store.chunk_vectors`.
Time without tracing; the peak of Python's own allocations (tracemalloc, numpy's included) in one more round
each. Results go to bench/results/rebuild_read.json.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import RESULTS, Timings, log, machine, write_json
from index.store import Store

DIM = 384
BATCH = 50_000
EMBEDDER = "bench-embedder"


def build(path: Path, n: int) -> Store:
    """n chunks in documents of 30, each with its own text hash and a random unit vector of DIM floats."""
    if path.parent.exists():
        shutil.rmtree(path.parent)
    path.parent.mkdir(parents=True)
    store = Store(path)
    rng = np.random.default_rng(11)
    with store.write() as conn:
        for start in range(0, n, BATCH):
            ids = range(start + 1, min(n, start + BATCH) + 1)
            docs = [(f"d{i}", f"Dokument {i}") for i in ids if (i - 1) % 30 == 0]
            conn.executemany(
                "INSERT INTO documents(doc_id, title, municipality, region, doc_type, year, language, "
                "page_count, content_hash, internal, added_at) VALUES (?,?,'','','',NULL,'da',1,?,0,0)",
                [(d, t, d) for d, t in docs],
            )
            keys = [hashlib.sha256(f"c{i}".encode()).hexdigest() for i in ids]
            conn.executemany(
                "INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?)",
                [
                    (i, f"d{(i - 1) // 30 * 30 + 1}", (i - 1) % 30, "tekst", 1, 1, "", k)
                    for i, k in zip(ids, keys, strict=True)
                ],
            )
            vectors = rng.standard_normal((len(keys), DIM), dtype=np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            store.put_vectors(EMBEDDER, dict(zip(keys, vectors, strict=True)))
    return store


def previous(store: Store) -> tuple[np.ndarray, np.ndarray]:
    """How the vector file was rebuilt before `Store.chunk_vectors` (the store's former `chunk_hashes`, then
    `get_vectors`), kept here as the baseline."""
    rows = store.conn.execute("SELECT id, text_hash FROM chunks ORDER BY id").fetchall()
    ids, keys = np.array([r[0] for r in rows], dtype=np.int64), [r[1] for r in rows]
    found = store.get_vectors(EMBEDDER, keys, DIM)
    return ids, np.vstack([found[k] for k in keys]).astype(np.float32)


def current(store: Store) -> tuple[np.ndarray, np.ndarray]:
    return store.chunk_vectors(EMBEDDER, DIM)


def peak_mb(read: Callable[[Store], tuple[np.ndarray, np.ndarray]], store: Store) -> float:
    tracemalloc.start()
    try:
        read(store)
        return round(tracemalloc.get_traced_memory()[1] / 1024**2, 1)
    finally:
        tracemalloc.stop()


def run(work: Path, n: int, rounds: int) -> dict[str, Any]:
    out: dict[str, Any] = {"machine_start": machine(), "chunks": n, "dim": DIM}
    began = time.perf_counter()
    store = build(work / "rebuild-read" / "broker.sqlite3", n)
    out["build_s"] = round(time.perf_counter() - began, 1)
    log(f"rebuild read: {n:,} chunks stored in {out['build_s']} s, load {machine()['load_average']}")
    try:
        ways = {"previous": previous, "chunk_vectors": current}
        first_ids, first = previous(store)  # warms the page cache for both, and the answer to agree with
        timings = {name: Timings() for name in ways}
        for _ in range(rounds):
            for name, read in ways.items():
                started = time.perf_counter()
                ids, vectors = read(store)
                timings[name].add((time.perf_counter() - started) * 1000)
                assert np.array_equal(ids, first_ids) and np.array_equal(vectors, first)
                del ids, vectors
        for name, read in ways.items():
            out[name] = timings[name].summary() | {"peak_python_mb": peak_mb(read, store)}
    finally:
        store.close()
        shutil.rmtree(work / "rebuild-read")
    out["vectors_mb"] = round(n * DIM * 4 / 1024**2, 1)
    out["machine_end"] = machine()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=RESULTS / "tmp")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    write_json("rebuild_read", run(args.work, args.chunks, args.rounds), RESULTS)


if __name__ == "__main__":
    main()
