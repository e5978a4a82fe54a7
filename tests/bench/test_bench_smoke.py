"""The benchmark harness on a tiny index: each stage's output is complete and consistent (no timings judged).

The stages run once per module (ingest, the flat/IVF study, a synthetic index, latency, the BM25 baseline,
the report) and each test names one property of what they wrote.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bench import (
    ann,
    baseline,
    ingest_bench,
    ivf_lists,
    latency,
    national,
    rebuild_read,
    report,
    scale,
    versus,
)
from bench.common import REPO, read_json, write_json
from bench.quality import per_kind
from bench.vectors import stored_vectors
from broker.evaluate import evaluate, load_queries
from broker.search import Engine
from core.settings import Settings
from index.dense import VectorIndex
from index.embed import Embedder
from index.store import Store
from index.verify import check_consistency
from tests.conftest import SMALL_CORPUS

SUMMARY_KEYS = {"n", "p50_ms", "p95_ms", "p99_ms", "mean_ms"}
FILES = list(SMALL_CORPUS)[:4]  # four short files: a few chunks to embed
SETS = {
    "lexical": ["familiebehandling", "skolefravær"],
    "dense": ["hjælp i hjemmet", "anonym rådgivning"],
    "hybrid": ["plejefamilie supervision", "aflastning weekend"],
    "ask": ["Hvor ofte får plejefamilier supervision?"],
}
NPROBES = (4, 16)
LIST_NPROBES = (4, 16, 64, 128)  # 128 is more than either study index has lists
STUDY_SIZE, SCALE_SIZE = 3000, 2000
RELEVANT = "hjoerring_kvalitetsstandard_familiebehandling_2019.txt"


def ordered(summary: dict[str, Any], n: int) -> None:
    """A latency summary over `n` timed calls: the fields, the count, and percentiles in order."""
    assert set(summary) == SUMMARY_KEYS
    assert summary["n"] == n
    assert 0 <= summary["p50_ms"] <= summary["p95_ms"] <= summary["p99_ms"]
    assert summary["mean_ms"] > 0


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bench")
    (root / "corpus").mkdir()
    for name in FILES:
        (root / "corpus" / name).write_text(SMALL_CORPUS[name], encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def ingested(work: Path, e5: Embedder) -> dict[str, Any]:
    result = ingest_bench.measure("lille", [work / "corpus"], work / "ingest", e5)
    write_json("ingest", {"runs": [result]}, work / "results")
    return result


@pytest.fixture(scope="module")
def real_vectors(ingested: dict[str, Any], work: Path) -> np.ndarray:
    return np.vstack(list(stored_vectors([work / "ingest"]).values()))


@pytest.fixture(scope="module")
def study(real_vectors: np.ndarray, e5: Embedder) -> dict[str, Any]:
    queries = e5.embed_queries(SETS["dense"] + SETS["hybrid"])
    return ann.study(scale.synthetic_vectors(real_vectors, STUDY_SIZE), queries, nprobes=NPROBES)


@pytest.fixture(scope="module")
def lists(real_vectors: np.ndarray, e5: Embedder, work: Path) -> dict[str, Any]:
    queries = e5.embed_queries(SETS["dense"] + SETS["hybrid"])
    vectors = scale.synthetic_vectors(real_vectors, STUDY_SIZE)
    found = ivf_lists.study(vectors, queries, factors=(1, 2), nprobes=LIST_NPROBES)
    write_json("lists", {"sizes": [found]}, work / "results")
    return found


@pytest.fixture(scope="module")
def built(work: Path, real_vectors: np.ndarray, e5: Embedder) -> dict[str, Any]:
    pool = scale.TextPool.from_indexes([work / "ingest"])
    vectors = scale.synthetic_vectors(real_vectors, SCALE_SIZE)
    return scale.build(work / "scale", SCALE_SIZE, pool, vectors, embedder_id=e5.id, settings=Settings())


@pytest.fixture(scope="module")
def run(built: dict[str, Any], study: dict[str, Any], work: Path, e5: Embedder) -> dict[str, Any]:
    measured = latency.measure(work / "scale", e5, SETS, http=True)
    scale_json = {
        "queries_per_mode": 2,
        "ask_queries": 1,
        "nprobe_used": 16,
        "threshold_used": 200_000,
        "runs": [{"label": "2k", **measured}],
        "ann": [study],
        "ann_choice": ann.choose([study]),
    }
    write_json("scale", scale_json, work / "results")
    return measured


@pytest.fixture(scope="module")
def quality(ingested: dict[str, Any], work: Path, e5: Embedder) -> dict[str, Any]:
    queries = work / "queries.jsonl"
    queries.write_text(json.dumps({"query": "familiebehandling", "relevant": {RELEVANT: 2}}) + "\n", "utf-8")
    result = baseline.run(work / "ingest", e5, queries)
    write_json("baseline", result, work / "results")
    return result


@pytest.fixture(scope="module")
def served(run: dict[str, Any], work: Path, e5: Embedder) -> dict[str, Any]:
    """`broker serve` over the synthetic index: one client per mode, the same queries in-process and over HTTP
    in turn, then two clients at once for a second."""
    result = national.serving(
        work / "scale",
        {"lexical": SETS["lexical"], "hybrid": SETS["hybrid"]},
        SETS["dense"],
        clients=2,
        seconds=1,
        pair_with=e5,
        paired_queries={"lexical": SETS["dense"], "hybrid": SETS["lexical"] + SETS["hybrid"]},
    )
    in_process = {mode: run["in_process"][mode]["uncached"] for mode in ("lexical", "hybrid")}
    write_json("national", {"chunks": SCALE_SIZE, "in_process": in_process, "http": result}, work / "results")
    return result


@pytest.fixture(scope="module")
def kinds(quality: dict[str, Any], work: Path, e5: Embedder) -> dict[str, Any]:
    engine = Engine(Settings(data_dir=work / "ingest"), embedder=e5)
    try:
        result = per_kind(evaluate(engine, load_queries(work / "queries.jsonl")))
    finally:
        engine.close()
    write_json("quality", {"sets": {"smoke": {"queries": 1, "tantivy": result}}}, work / "results")
    return result


@pytest.fixture(scope="module")
def written(
    ingested: dict[str, Any],
    run: dict[str, Any],
    quality: dict[str, Any],
    served: dict[str, Any],
    kinds: dict[str, Any],
    lists: dict[str, Any],
    work: Path,
) -> Path:
    return report.write(work / "results")


def db_counts(data_dir: Path) -> tuple[int, int, int]:
    """Documents, chunks and distinct chunk texts in an index."""
    store = Store(data_dir / "broker.sqlite3", create=False)
    try:
        row = store.conn.execute(
            "SELECT (SELECT count(*) FROM documents), count(*), count(DISTINCT text_hash) FROM chunks"
        ).fetchone()
        return int(row[0]), int(row[1]), int(row[2])
    finally:
        store.close()


def test_ingest_counts_what_the_index_holds(ingested: dict[str, Any], work: Path) -> None:
    documents, _, texts = db_counts(work / "ingest")
    assert ingested["name"] == "lille" and ingested["files_failed"] == 0
    assert ingested["documents"] == documents == len(FILES)
    assert ingested["chunks"] == texts > 0
    assert ingested["chunks_embedded"] == ingested["chunks"]  # a fresh index: every text is new to it
    assert ingested["pages"] >= ingested["documents"]


def within_rounding(value: float, compute: Any, *seconds: float) -> bool:
    """`value` (rounded to two decimals) is `compute(*seconds)` for some seconds within their own rounding."""
    corners = [
        compute(*(s + d for s, d in zip(seconds, signs, strict=True)))
        for signs in itertools.product((-0.005, 0.005), repeat=len(seconds))
    ]
    return min(corners) - 0.005 <= value <= max(corners) + 0.005


def test_ingest_rates_and_overhead_follow_from_its_own_times(ingested: dict[str, Any]) -> None:
    total, alone, chunks = ingested["total_s"], ingested["embed_alone_s"], ingested["chunks"]
    assert total > 0.01 and alone > 0.01
    assert within_rounding(ingested["chunks_per_s"], lambda t: chunks / t, total)
    assert within_rounding(ingested["embed_alone_chunks_per_s"], lambda a: chunks / a, alone)
    assert within_rounding(ingested["overhead_pct"], lambda t, a: 100 * (t - a) / t, total, alone)
    assert ingested["scan_s"] <= total and ingested["embed_in_pipeline_s"] <= total
    assert len(ingested["load_average_start_end"]) == 2


def test_the_ann_study_times_every_query_at_every_nprobe(study: dict[str, Any], e5: Embedder) -> None:
    assert study["n"] == STUDY_SIZE and study["queries"] == 4
    ordered({k: v for k, v in study["flat"].items() if k != "memory_mb"}, 4)
    assert study["flat"]["memory_mb"] == round(STUDY_SIZE * e5.dim * 4 / 1024**2, 1)
    assert [row["nprobe"] for row in study["ivf"]] == list(NPROBES)
    for row in study["ivf"]:
        ordered({k: v for k, v in row.items() if k not in ("nprobe", "recall@10")}, 4)
        assert 0.0 <= row["recall@10"] <= 1.0
    assert 1 <= study["ivf_nlist"] <= STUDY_SIZE


def test_probing_more_lists_never_loses_recall(study: dict[str, Any]) -> None:
    """IVFFlat scores exactly within the lists it probes, and more lists are a superset of candidates."""
    recalls = [row["recall@10"] for row in study["ivf"]]
    assert recalls == sorted(recalls)


def test_the_lists_study_sweeps_every_index_at_the_nprobes_it_has_lists_for(lists: dict[str, Any]) -> None:
    assert [row["nlist"] for row in lists["indexes"]] == [int(f * math.sqrt(STUDY_SIZE)) for f in (1, 2)]
    for row in lists["indexes"]:
        assert [r["nprobe"] for r in row["sweep"]] == [p for p in LIST_NPROBES if p <= row["nlist"]]
        for r in row["sweep"]:
            ordered({k: v for k, v in r.items() if k not in ("nprobe", "recall@10")}, 4)
        recalls = [r["recall@10"] for r in row["sweep"]]
        assert recalls == sorted(recalls)


def test_the_lists_study_names_the_smallest_nprobe_reaching_the_recall() -> None:
    rows = [
        {"nprobe": 32, "recall@10": 0.90, "p50_ms": 1.0},
        {"nprobe": 64, "recall@10": 0.96, "p50_ms": 2.0},
        {"nprobe": 128, "recall@10": 0.99, "p50_ms": 4.0},
    ]
    assert ivf_lists.cheapest(rows) == {"nprobe_for_recall": 64, "p50_ms_for_recall": 2.0}
    assert ivf_lists.cheapest(rows, recall=0.995) == {"nprobe_for_recall": None, "p50_ms_for_recall": None}


def test_the_rebuild_read_study_times_both_ways_every_round_and_cleans_up(tmp_path: Path) -> None:
    found = rebuild_read.run(tmp_path, 300, 2)
    assert found["chunks"] == 300 and found["vectors_mb"] == round(300 * rebuild_read.DIM * 4 / 1024**2, 1)
    for way in ("previous", "chunk_vectors"):
        peak = found[way].pop("peak_python_mb")
        ordered(found[way], 2)
        assert peak >= found["vectors_mb"] - 0.1  # at least the array it returns, to the rounding
    assert not (tmp_path / "rebuild-read").exists()


def test_choose_takes_the_smallest_nprobe_reaching_the_target_at_every_size() -> None:
    def sized(n: int, flat_p50: float, recalls: dict[int, float]) -> dict[str, Any]:
        return {
            "n": n,
            "flat": {"p50_ms": flat_p50},
            "ivf": [{"nprobe": p, "recall@10": r} for p, r in recalls.items()],
        }

    studies = [
        sized(100_000, 2.0, {4: 0.90, 8: 0.96, 16: 0.99}),
        sized(200_000, 4.0, {4: 0.80, 8: 0.94, 16: 0.97}),
    ]
    choice = ann.choose(studies, recall=0.95, flat_budget_ms=10.0)
    assert choice["nprobe"] == 16  # 8 reaches the target at 100k only
    assert choice["flat_ms_per_100k"] == 2.0  # flat latency is linear in n: 2 ms per 100k vectors
    assert choice["ann_threshold"] == 500_000  # where exact search costs the 10 ms budget
    assert ann.choose(studies, recall=0.999)["nprobe"] is None


def test_the_synthetic_index_has_the_size_asked_for_and_is_consistent(
    built: dict[str, Any], work: Path
) -> None:
    documents, chunks, _ = db_counts(work / "scale")
    assert built["kind"] == "flat"
    assert chunks == SCALE_SIZE and documents == math.ceil(SCALE_SIZE / scale.CHUNKS_PER_DOC)
    store = Store(work / "scale" / "broker.sqlite3", create=False)
    try:
        assert check_consistency(store, work / "scale") == []  # FTS, Tantivy and FAISS match the chunks
    finally:
        store.close()


@pytest.mark.parametrize(("n", "nlist", "kind"), [(SCALE_SIZE, None, "flat"), (STUDY_SIZE, 8, "ivf")])
def test_the_national_vector_file_sweeps_nprobe_only_where_there_are_lists_to_probe(
    n: int, nlist: int | None, kind: str, real_vectors: np.ndarray, e5: Embedder, tmp_path: Path
) -> None:
    path = tmp_path / "vectors.faiss"
    queries = e5.embed_queries(SETS["dense"] + SETS["hybrid"])
    found = national.vector_file(path, n, real_vectors, queries, Settings(), nlist)
    saved = VectorIndex.load(path)
    assert found["vector_index"] == saved.kind == kind
    if kind == "flat":  # exact search: no sweep, no nprobe to choose
        assert "sweep" not in found and found["nprobe_used"] is None
    else:
        assert [r["nprobe"] for r in found["sweep"]] == list(national.NPROBES)
        assert saved.nprobe == found["nprobe_used"] in national.NPROBES


def test_latency_times_every_query_of_every_mode_in_process(run: dict[str, Any]) -> None:
    assert run["chunks"] == SCALE_SIZE and run["index_kind"] == "flat"
    ordered(run["in_process"]["query_embedding"], len(SETS["dense"]) + len(SETS["hybrid"]))
    for mode, queries in SETS.items():
        ordered(run["in_process"][mode]["uncached"], len(queries))
        ordered(run["in_process"][mode]["retrieval_only"], len(queries))
    assert run["in_process"]["first_search_ms"] > 0


def test_latency_over_http_times_every_query_and_reads_the_servers_memory(run: dict[str, Any]) -> None:
    http = run["http"]
    for mode, queries in SETS.items():
        ordered(http[mode], len(queries))
    assert 0 < http["rss_ready_mb"] <= http["rss_peak_mb"] and 0 < http["rss_mb"] <= http["rss_peak_mb"]
    assert http["startup_s"] > 0
    assert run["disk_mb"]["sqlite"] > 0 and run["disk_mb"]["faiss"] > 0


def test_the_baseline_scores_every_system_on_the_same_queries_and_chunks(
    quality: dict[str, Any], work: Path
) -> None:
    _, chunks, _ = db_counts(work / "ingest")
    assert quality["queries"] == 1 and quality["chunks"] == chunks
    for system in ("bm25s_danish", "lexical", "dense", "hybrid"):
        scores = quality[system]
        assert {"ndcg@10", "recall@10", "mrr@10"} <= set(scores)
        assert all(0.0 <= scores[m] <= 1.0 for m in ("ndcg@10", "recall@10", "mrr@10"))
        # One query with one relevant document: it is found (recall 1) exactly when it has a rank (mrr > 0).
        assert scores["recall@10"] in (0.0, 1.0)
        assert (scores["recall@10"] == 1.0) == (scores["mrr@10"] > 0) == (scores["ndcg@10"] > 0)
        assert scores["p50_ms"] <= scores["p95_ms"]


def test_paired_serving_times_every_query_in_process_with_and_without_facets_and_over_http(
    served: dict[str, Any],
) -> None:
    for mode, n in (("lexical", 2), ("hybrid", 4)):
        timings = served["paired"][mode]
        assert set(timings) == {"in_process", "in_process_facets", "http", "server_took"}
        for summary in timings.values():
            ordered(summary, n)
        assert timings["server_took"]["p50_ms"] <= timings["http"]["p50_ms"]  # the server's part of each call


def test_versus_times_both_checkouts_in_every_case_on_the_same_queries(
    ingested: dict[str, Any], work: Path
) -> None:
    queries = (SETS["lexical"] + SETS["hybrid"]) * 3  # twelve: ten to warm up, two timed
    result = versus.run(REPO, work / "ingest", [queries])  # this checkout as its own baseline
    assert [(c["mode"], c["facets"], c["checkout"]) for c in result["cases"]] == [
        (mode, facets, name) for mode, facets in versus.CASES for name in ("base", "this")
    ]
    for case in result["cases"]:
        ordered({key: case[key] for key in SUMMARY_KEYS}, len(queries) - versus.WARM_UP)
    assert len(result["loads"]) == 2 * len(versus.CASES)


def test_concurrent_clients_against_broker_serve_get_answers_and_no_errors(served: dict[str, Any]) -> None:
    assert served["concurrent"]["requests"] > 0 and served["concurrent"]["errors"] == 0
    ordered(served["hybrid"], len(SETS["hybrid"]))
    assert served["after_concurrent"]["rss_mb"] > 0


def test_quality_per_kind_counts_each_query_once_per_mode(kinds: dict[str, Any]) -> None:
    assert set(kinds) == {"lexical", "dense", "hybrid"}
    for mode in kinds.values():
        assert mode["kinds"]["-"]["n"] == 1  # the one smoke query, judged without a kind


def test_every_stage_writes_its_json_and_the_report_shows_each(
    written: Path, ingested: dict[str, Any], quality: dict[str, Any], run: dict[str, Any], work: Path
) -> None:
    out = work / "results"
    assert read_json("ingest", out) == {"runs": [ingested]}
    assert read_json("baseline", out) == quality
    assert read_json("scale", out)["runs"] == [{"label": "2k", **run}]
    assert written == out / "report.md"
    text = written.read_text(encoding="utf-8")
    for heading in ("## Ingest throughput", "## Query latency", "## Flat against IVF", "## Against a BM25"):
        assert text.count(heading) == 1, heading
    for heading in (
        "## Lexical engines",
        "## `broker serve`",
        "## nDCG@10 per query kind",
        "## How many IVF lists",
    ):
        assert text.count(heading) == 1, heading
    for image in ("latency.png", "ann.png", "lexical_engines.png"):
        assert (out / image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({image})" in text
