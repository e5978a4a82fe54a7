"""Search quality per query kind: nDCG@10 of the three modes on the judged query sets, Tantivy and FTS5.

    python -m bench.quality [--work DIR]

The demo corpus is indexed once in the work folder (vectors from BROKER_EMBED_CACHE when it is set); a copy
gets the FTS5 table of the previous engine (bench/fts5.py), so both engines answer from the same chunks,
vectors, vocabulary and query plan. Results go to bench/results/quality.json.
"""

from __future__ import annotations

import argparse
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.common import QUERIES, REPO, RESULTS, log, machine, write_json
from bench.fts5 import Fts5Engine, add_fts5
from broker.evaluate import evaluate, load_queries
from broker.search import MODES, Engine
from core.settings import Settings
from index.embed import E5Embedder, Embedder
from index.store import Store

QUERY_SETS = {
    "corpus/queries.jsonl": QUERIES,
    "tests/language/queries_heldout.jsonl": REPO / "tests" / "language" / "queries_heldout.jsonl",
}


def per_kind(result: dict[str, Any]) -> dict[str, Any]:
    """nDCG@k per mode overall and per query kind (with how many queries each kind has)."""
    out: dict[str, Any] = {}
    for mode, scores in result["modes"].items():
        kinds: dict[str, list[float]] = defaultdict(list)
        for row in scores["per_query"]:
            kinds[row["kind"] or "-"].append(row["ndcg"])
        out[mode] = {
            "all": scores[f"ndcg@{result['k']}"],
            "kinds": {
                kind: {"n": len(v), "ndcg": round(sum(v) / len(v), 4)} for kind, v in sorted(kinds.items())
            },
        }
    return out


def demo_index(work: Path, embedder: Embedder) -> Path:
    data = work / "quality-demo"
    if not (data / "broker.sqlite3").is_file():
        from broker.indexing import sync

        log("quality: indexing the demo corpus")
        sync([REPO / "corpus"], Settings(data_dir=data), embedder)
    return data


def run(work: Path, embedder: Embedder | None = None) -> dict[str, Any]:
    embedder = embedder or E5Embedder(threads=1)
    data = demo_index(work, embedder)
    fts5 = work / "quality-fts5"
    if fts5.exists():
        shutil.rmtree(fts5)
    shutil.copytree(data, fts5)
    store = Store(fts5 / "broker.sqlite3")
    try:
        add_fts5(store)
    finally:
        store.close()
    out: dict[str, Any] = {"machine_start": machine(), "sets": {}}
    for name, path in QUERY_SETS.items():
        queries = load_queries(path)
        out["sets"][name] = {"queries": len(queries)}
        for engine_name, cls, folder in (("tantivy", Engine, data), ("fts5", Fts5Engine, fts5)):
            engine = cls(Settings(data_dir=folder), embedder=embedder)
            try:
                log(f"quality: {name} with {engine_name}")
                out["sets"][name][engine_name] = per_kind(evaluate(engine, queries, k=10, modes=MODES))
            finally:
                engine.close()
    shutil.rmtree(fts5)
    out["machine_end"] = machine()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=RESULTS / "tmp")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    write_json("quality", run(args.work), RESULTS)


if __name__ == "__main__":
    main()
