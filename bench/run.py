"""Run the benchmarks and write bench/results/*.json, report.md and the plots.

    python -m bench.run [--quick] [--stages ingest,baseline,reindex,scale,lexical,national,lists,quality,threads]
        [--work DIR]

Each stage runs in its own process (clean memory figures, its own thread settings) and writes its JSON;
the report is rebuilt from whatever JSON files are there. The Greve parts are skipped with a message when
../shared/data/greve_dagsordener.jsonl is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Literal

from bench.common import REPO, RESULTS, SERVING_THREADS, log, machine, write_json

STAGES = ("ingest", "baseline", "reindex", "scale", "lexical", "national", "lists", "quality", "threads")
FULL_SCALES = (10_000, 100_000, 1_000_000)
QUICK_SCALES = (10_000,)


def _embedder(threads: int | None = None) -> Any:
    from index.embed import E5Embedder

    return E5Embedder(threads=threads)


def stage_ingest(work: Path, quick: bool) -> dict[str, Any]:
    from bench import ingest_bench

    return ingest_bench.run(work, _embedder(), quick=quick)


def stage_baseline(work: Path, quick: bool) -> dict[str, Any]:
    from bench import baseline

    data = work / "ingest-corpus"
    if not (data / "broker.sqlite3").is_file():
        raise SystemExit("baseline needs the ingest stage's demo corpus index: run the ingest stage first")
    from core.settings import Settings

    return baseline.run(data, _embedder(Settings().threads))


def stage_reindex(work: Path, quick: bool) -> dict[str, Any]:
    from bench import reindex_bench

    return reindex_bench.run(
        work, _embedder(), quick=quick, real_vectors_from=[work / "ingest-corpus", work / "ingest-greve"]
    )


def _real_index(work: Path, embedder: Any) -> Path:
    """The demo corpus and the Greve slice in one index, with the vectors the ingest stage embedded."""
    from bench.vectors import ReplayEmbedder, stored_vectors
    from broker.indexing import sync
    from core.settings import Settings

    sources = [work / "ingest-corpus", work / "ingest-greve"]
    paths = []
    for data in sources:
        db = data / "broker.sqlite3"
        if db.is_file():
            from index.store import Store

            store = Store(db, create=False)
            try:
                paths += sorted({Path(r[0]) for r in store.conn.execute("SELECT path FROM sources")})
            finally:
                store.close()
    target = work / "scale-real"
    if target.exists():
        shutil.rmtree(target)
    replay = ReplayEmbedder(embedder, stored_vectors(sources))
    sync(paths, Settings(data_dir=target), replay)
    if replay.resampled:
        log(f"warning: {replay.resampled} passages of the real index had no stored vector")
    return target


def stage_scale(work: Path, quick: bool) -> dict[str, Any]:
    import numpy as np

    from bench import ann, latency, scale
    from bench.vectors import similarity_profile, stored_vectors
    from core.settings import Settings
    from index.dense import VectorIndex

    settings = Settings()
    embedder = _embedder(settings.threads)
    sets = latency.query_sets(15 if quick else 100, 3 if quick else 10)
    sources = [work / "ingest-corpus", work / "ingest-greve"]
    real = np.vstack(list(stored_vectors(sources).values()))
    queries = embedder.embed_queries(sets["dense"] + sets["hybrid"])
    out: dict[str, Any] = {"queries_per_mode": len(sets["dense"]), "ask_queries": len(sets["ask"])}
    out["real_vectors"] = len(real)
    out["vector_profile"] = {"real": similarity_profile(real, queries)}

    log("scale: the real index (demo corpus + Greve slice, real vectors)")
    real_dir = _real_index(work, embedder)
    runs = [{"label": "real", **latency.measure(real_dir, embedder, sets)}]
    shutil.rmtree(real_dir)

    pool_dirs = [work / "reindex" / "data"] if (work / "reindex" / "data").is_dir() else sources
    pool = scale.TextPool.from_indexes(pool_dirs)
    out["text_pool"] = {"chunks": len(pool.rows), "from": [p.name for p in pool_dirs]}
    sizes = QUICK_SCALES if quick else FULL_SCALES
    studies = []
    for n in sizes:
        log(f"scale: flat against IVF at {n:,} vectors")
        vectors = scale.synthetic_vectors(real, n)
        if n == sizes[-1]:
            out["vector_profile"][f"resampled_{n}"] = similarity_profile(vectors[:200_000], queries)
        study = ann.study(vectors, queries)
        studies.append(study)
    out["ann"] = studies
    out["ann_choice"] = ann.choose(studies)
    nprobe = out["ann_choice"]["nprobe"] or 64
    threshold = out["ann_choice"]["ann_threshold"] or settings.ann_threshold
    for n in sizes:
        log(f"scale: building {n:,} chunks")
        vectors = scale.synthetic_vectors(real, n)
        kind: Literal["ivf", "flat"] = "ivf" if n >= threshold else "flat"
        built_with = Settings(index_kind=kind)
        data = work / f"scale-{n}"
        timing = scale.build(data, n, pool, vectors, embedder_id=embedder.id, settings=built_with)
        if kind == "ivf":
            index = VectorIndex.load(data / "vectors.1.faiss")
            index.nprobe = nprobe
            index.save(data / "vectors.1.faiss")
        del vectors
        runs.append({"label": f"{n:,}", "build": timing, **latency.measure(data, embedder, sets)})
        shutil.rmtree(data)
    out["runs"] = runs
    out["nprobe_used"] = nprobe
    out["threshold_used"] = threshold
    return out


def stage_lexical(work: Path, quick: bool) -> dict[str, Any]:
    """FTS5 (the previous engine, the baseline) and Tantivy side by side on the same Greve-built indexes."""
    from bench import lexical_engines

    sizes = list(QUICK_SCALES if quick else (100_000, 1_000_000))
    return lexical_engines.run(
        work,
        sizes,
        10 if quick else 100,
        serve_at=sizes[-1],
        clients=4 if quick else 16,
        seconds=5 if quick else 30,
    )


def stage_national(work: Path, quick: bool) -> dict[str, Any]:
    """3M chunks (the national corpus) in-process and behind `broker serve`, memory and vector recall."""
    from bench import national

    n = 30_000 if quick else 3_000_000
    return national.run(work, n, 10 if quick else 100, clients=4 if quick else 16, seconds=5 if quick else 30)


def stage_lists(work: Path, quick: bool) -> dict[str, Any]:
    """How many IVF lists: √n, 2·√n and 4·√n over the same vectors, recall@10 and latency per nprobe."""
    from bench import ivf_lists

    return ivf_lists.run(work, [30_000] if quick else [1_000_000, 3_000_000], 20 if quick else 200)


def stage_quality(work: Path, quick: bool) -> dict[str, Any]:
    """nDCG@10 per query kind on both judged query sets, Tantivy and FTS5."""
    from bench import quality

    return quality.run(work)


def stage_threads(work: Path, quick: bool) -> dict[str, Any]:
    """Query embedding and one hybrid search with the embedder on all cores against one thread."""
    out: dict[str, Any] = {}
    for label, threads in (("all cores", None), ("1 thread", "1")):
        env = {k: v for k, v in os.environ.items() if k not in ("BROKER_THREADS", "OMP_NUM_THREADS")}
        if threads:
            env["BROKER_THREADS"] = threads
        code = (
            "import json; from bench.threads_probe import probe; "
            f"print(json.dumps(probe({15 if quick else 60})))"
        )
        result = subprocess.run(
            [sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True, check=True
        )
        out[label] = json.loads(result.stdout.strip().splitlines()[-1])
    return out


RUNNERS = {
    "ingest": stage_ingest,
    "baseline": stage_baseline,
    "reindex": stage_reindex,
    "scale": stage_scale,
    "lexical": stage_lexical,
    "national": stage_national,
    "lists": stage_lists,
    "quality": stage_quality,
    "threads": stage_threads,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and few queries (a few minutes)")
    parser.add_argument("--stages", default=",".join(STAGES), help="comma-separated stages to run")
    parser.add_argument("--stage", help=argparse.SUPPRESS)  # one stage, inside its own process
    parser.add_argument("--work", type=Path, default=RESULTS / "tmp", help="scratch folder (git-ignored)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the results go")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    suffix = "-quick" if args.quick else ""
    if args.stage:
        started = time.perf_counter()
        before = machine()
        result = RUNNERS[args.stage](args.work, args.quick)
        result = {"machine_start": before, "machine_end": machine(), **result}
        result["stage_seconds"] = round(time.perf_counter() - started, 1)
        write_json(f"{args.stage}{suffix}", result, args.out)
        return 0
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = set(stages) - set(STAGES)
    if unknown:
        parser.error(f"unknown stages: {', '.join(sorted(unknown))}")
    for stage in STAGES:
        if stage not in stages:
            continue
        log(f"stage {stage}")
        env = dict(os.environ)
        if stage in (
            "scale",
            "baseline",
            "lexical",
            "national",
            "quality",
        ):  # query latency as the service runs it
            env["BROKER_THREADS"] = SERVING_THREADS
        command = [sys.executable, "-m", "bench.run", "--stage", stage, "--work", str(args.work)]
        command += ["--out", str(args.out)] + (["--quick"] if args.quick else [])
        status = subprocess.run(command, env=env, cwd=REPO, check=False).returncode
        if status != 0:
            log(f"stage {stage} failed (exit status {status})")
            return status
    from bench import report

    path = report.write(args.out, quick=args.quick)
    log(f"report: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
