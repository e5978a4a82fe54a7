"""Ask latency at scale: the answer path as shipped (a handful of sentences embedded) against embedding them all.

    python -m bench.ask_bench --source data/demo --chunks 100000

Builds an index of `--chunks` chunks resampled from the source index (real texts, vectors resampled around the
real ones, as bench/scale.py does), then asks every question of corpus/answers.jsonl once per variant, each
variant with an empty sentence cache and no cached query vectors, one request at a time.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from bench import scale
from bench.common import RESULTS, Timings, load_average, log, timed, write_json
from bench.vectors import stored_vectors
from broker.answers import extractive as answer_module
from broker.answers.evaluation import load_answer_cases
from broker.answers.extractive import Answerer
from broker.search import Engine
from core.settings import Settings
from index.embed import clear_query_cache, load_embedder

ANSWERS = Path(__file__).resolve().parents[1] / "corpus" / "answers.jsonl"
EVERY_SENTENCE = 10_000  # embedding every unit of the six passages: what ask did before


def run(data_dir: Path, questions: list[str], embedded: int, threads: int | None) -> dict[str, Any]:
    settings = Settings(data_dir=data_dir, threads=threads)
    engine = Engine(settings)
    original = answer_module.candidates.__kwdefaults__["embed"]  # type: ignore[index]
    answer_module.candidates.__kwdefaults__["embed"] = embedded  # type: ignore[index]
    try:
        answerer = Answerer(engine, settings)
        answerer.ask("opvarmning af motoren")  # load the model and the index outside the timings
        clear_query_cache(engine.embedder)
        timings = Timings()
        refused = 0
        for question in questions:
            ms, answer = timed(answerer.ask, question)
            timings.add(ms)
            refused += answer.answer is None
        return {"embedded": embedded, "questions": len(questions), "refused": refused, **timings.summary()}
    finally:
        answer_module.candidates.__kwdefaults__["embed"] = original  # type: ignore[index]
        engine.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="an ingested data directory to resample")
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--work", type=Path, default=RESULTS / "tmp" / "ask")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    embedder = load_embedder(Settings().embedder, args.threads)
    pool = scale.TextPool.from_indexes([args.source])
    real = np.vstack(list(stored_vectors([args.source]).values()))
    vectors = scale.synthetic_vectors(real, args.chunks)
    log(f"ask: building {args.chunks:,} chunks")
    build = scale.build(
        args.work, args.chunks, pool, vectors, embedder_id=embedder.id, settings=Settings(index_kind="flat")
    )
    del vectors
    questions = [c.question for c in load_answer_cases(ANSWERS)]
    result: dict[str, Any] = {"chunks": args.chunks, "build": build, "load_before": load_average()}
    result["shipped"] = run(args.work, questions, answer_module.EMBEDDED, args.threads)
    result["every_sentence"] = run(args.work, questions, EVERY_SENTENCE, args.threads)
    result["load_after"] = load_average()
    shutil.rmtree(args.work)
    path = write_json(f"ask-{args.chunks}", result)
    log(f"ask: wrote {path}")
    for name in ("shipped", "every_sentence"):
        r = result[name]
        log(f"ask {name}: p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms ({r['embedded']} embedded)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
