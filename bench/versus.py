"""Search latency of this checkout against another (the baseline) on one data directory, in one run.

    git worktree add /tmp/base <commit>
    python -m bench.versus --base /tmp/base --data DIR [--rounds 2] [--queries 100]

Each round runs every case (lexical, lexical with facets, hybrid with facets) once per checkout, each in its
own process, the order turning round by round, so a change in the machine's load falls on both. Every
process preloads the index as `broker serve` does and searches the same real agenda titles, each query new
to the embedder; a round draws its own titles from ../shared/data/greve_dagsordener.jsonl (skipped when
absent). The baseline needs only `broker.search.Engine` with `preload` and `index.embed`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

# Only the standard library up here: a measuring process runs `child` from this file against the other
# checkout's packages (see `_run_child`), whose bench/ may differ from this one.
CASES = (("lexical", False), ("lexical", True), ("hybrid", True))
WARM_UP = 10  # queries a process searches before it measures: its caches, not the code, are cold at first


def child(data: Path, mode: str, facets: bool, queries: list[str]) -> list[float]:
    """Milliseconds of each search after the first WARM_UP, run against the project found first on the path."""
    from broker.search import Engine
    from core.settings import Settings
    from index.embed import E5Embedder, clear_query_cache

    embedder = E5Embedder(threads=1)
    engine = Engine(Settings(data_dir=data), embedder=embedder)
    try:
        engine.preload()
        out = []
        for i, query in enumerate(queries):
            clear_query_cache(embedder)
            started = time.perf_counter()
            engine.search(query, k=10, mode=mode, facets=facets)
            if i >= WARM_UP:
                out.append((time.perf_counter() - started) * 1000)
        return out
    finally:
        engine.close()


def _run_child(root: Path, data: Path, mode: str, facets: bool, queries: list[str]) -> list[float]:
    """`child` in a new process that imports the project from `root`; the queries go in on stdin."""
    code = (
        f"import sys, json, runpy, pathlib; sys.path.insert(0, {str(root)!r}); "
        f"child = runpy.run_path({__file__!r})['child']; "
        f"times = child(pathlib.Path({str(data)!r}), {mode!r}, {facets}, json.load(sys.stdin)); "
        f"import broker; assert broker.__file__.startswith({str(root)!r}), broker.__file__; "
        "print(json.dumps(times))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(queries),
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
        env=os.environ,
    )
    times: list[float] = json.loads(done.stdout.strip().splitlines()[-1])
    return times


def run(base: Path, data: Path, query_sets: list[list[str]]) -> dict[str, Any]:
    """One round per query set: every case once per checkout, on that set, the order turning by round."""
    from bench.common import REPO, Timings, log, machine

    checkouts = {"base": base.resolve(), "this": REPO}
    timings = {(mode, facets, name): Timings() for mode, facets in CASES for name in checkouts}
    out: dict[str, Any] = {"machine_start": machine(), "base": str(base), "rounds": len(query_sets)}
    out["loads"] = []
    for round_, queries in enumerate(query_sets):
        for mode, facets in CASES:
            names = list(checkouts) if round_ % 2 == 0 else list(reversed(checkouts))
            for name in names:
                out["loads"].append(machine()["load_average"])
                log(f"versus: round {round_ + 1}, {mode}{' with facets' if facets else ''}, {name}")
                for ms in _run_child(checkouts[name], data, mode, facets, queries):
                    timings[(mode, facets, name)].add(ms)
    out["cases"] = [
        {"mode": mode, "facets": facets, "checkout": name, **timings[(mode, facets, name)].summary()}
        for mode, facets in CASES
        for name in checkouts
    ]
    out["machine_end"] = machine()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="a checkout of the baseline (git worktree)")
    parser.add_argument("--data", type=Path, required=True, help="a data directory both can search")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()
    import numpy as np

    from bench.common import greve_path, log, write_json
    from bench.lexical_engines import Paragraphs

    greve = greve_path()
    if greve is None:
        log("versus: skipped, greve_dagsordener.jsonl is absent")
        return
    titles = Paragraphs(greve).titles
    each = WARM_UP + args.queries
    order = np.random.default_rng(100).permutation(len(titles))[: args.rounds * each]
    sets = [[titles[int(i)] for i in order[r * each : (r + 1) * each]] for r in range(args.rounds)]
    result = run(args.base, args.data, sets)
    write_json("versus", result)
    for case in result["cases"]:
        log(f"{case['mode']:8} facets={case['facets']!s:5} {case['checkout']:5} p50 {case['p50_ms']} ms")


if __name__ == "__main__":
    main()
