"""A smoke run of the benchmark harness on a tiny index: it runs and writes well-formed results (no timings)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from bench import ann, baseline, ingest_bench, latency, national, quality, report, scale
from bench.common import write_json
from bench.vectors import stored_vectors
from broker.evaluate import evaluate, load_queries
from broker.search import Engine
from core.settings import Settings
from index.embed import Embedder
from tests.conftest import SMALL_CORPUS

SUMMARY_KEYS = {"n", "p50_ms", "p95_ms", "p99_ms", "mean_ms"}


def test_harness_writes_a_report(tmp_path: Path, e5: Embedder) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in list(SMALL_CORPUS)[:4]:  # four short files: a few chunks to embed
        (corpus / name).write_text(SMALL_CORPUS[name], encoding="utf-8")
    out = tmp_path / "results"

    ingest = ingest_bench.measure("lille", [corpus], tmp_path / "ingest", e5)
    assert ingest["chunks"] > 0 and ingest["documents"] > 0
    assert ingest["embed_alone_s"] >= 0 and isinstance(ingest["overhead_pct"], float)
    write_json("ingest", {"runs": [ingest]}, out)

    real = np.vstack(list(stored_vectors([tmp_path / "ingest"]).values()))
    sets = {
        "lexical": ["familiebehandling", "skolefravær"],
        "dense": ["hjælp i hjemmet", "anonym rådgivning"],
        "hybrid": ["plejefamilie supervision", "aflastning weekend"],
        "ask": ["Hvor ofte får plejefamilier supervision?"],
    }
    queries = e5.embed_queries(sets["dense"] + sets["hybrid"])
    study = ann.study(scale.synthetic_vectors(real, 3000), queries, nprobes=(4, 16))
    assert {r["nprobe"] for r in study["ivf"]} == {4, 16}
    assert all(0.0 <= r["recall@10"] <= 1.0 for r in study["ivf"])

    pool = scale.TextPool.from_indexes([tmp_path / "ingest"])
    data = tmp_path / "scale"
    built = scale.build(
        data, 2000, pool, scale.synthetic_vectors(real, 2000), embedder_id=e5.id, settings=Settings()
    )
    assert built["kind"] == "flat"
    run = latency.measure(data, e5, sets, http=True)
    assert run["chunks"] == 2000
    for mode in ("lexical", "dense", "hybrid", "ask"):
        assert set(run["in_process"][mode]["uncached"]) == SUMMARY_KEYS
        assert set(run["http"][mode]) == SUMMARY_KEYS
    assert run["http"]["rss_mb"] > 0 and run["disk_mb"]["sqlite"] > 0
    write_json(
        "scale",
        {
            "queries_per_mode": 2,
            "ask_queries": 1,
            "nprobe_used": 16,
            "threshold_used": 200_000,
            "runs": [{"label": "2k", **run}],
            "ann": [study],
            "ann_choice": ann.choose([study]),
        },
        out,
    )

    queries_file = tmp_path / "queries.jsonl"
    queries_file.write_text(
        json.dumps(
            {
                "query": "familiebehandling",
                "relevant": {"hjoerring_kvalitetsstandard_familiebehandling_2019.txt": 2},
            }
        )
        + "\n",
        encoding="utf-8",
    )
    bm25 = baseline.run(tmp_path / "ingest", e5, queries_file)
    for system in ("bm25s_danish", "lexical", "dense", "hybrid"):
        assert 0.0 <= bm25[system]["ndcg@10"] <= 1.0
    write_json("baseline", bm25, out)

    served = national.serving(
        data, {"lexical": sets["lexical"], "hybrid": sets["hybrid"]}, sets["dense"], clients=2, seconds=1
    )
    assert served["concurrent"]["requests"] > 0 and served["concurrent"]["errors"] == 0
    assert set(served["hybrid"]) == SUMMARY_KEYS and served["after_concurrent"]["rss_mb"] > 0
    in_process = {mode: run["in_process"][mode]["uncached"] for mode in ("lexical", "hybrid")}
    write_json("national", {"chunks": 2000, "in_process": in_process, "http": served}, out)

    engine = Engine(Settings(data_dir=tmp_path / "ingest"), embedder=e5)
    try:
        kinds = quality.per_kind(evaluate(engine, load_queries(queries_file)))
    finally:
        engine.close()
    assert set(kinds) == {"lexical", "dense", "hybrid"} and kinds["hybrid"]["kinds"]["-"]["n"] == 1
    write_json("quality", {"sets": {"smoke": {"queries": 1, "tantivy": kinds}}}, out)

    path = report.write(out)
    text = path.read_text(encoding="utf-8")
    for heading in ("## Ingest throughput", "## Query latency", "## Flat against IVF", "## Against a BM25"):
        assert heading in text
    for heading in ("## Lexical engines", "## `broker serve`", "## nDCG@10 per query kind"):
        assert heading in text
    assert (out / "latency.png").stat().st_size > 0 and (out / "ann.png").stat().st_size > 0
    assert (out / "lexical_engines.png").stat().st_size > 0
