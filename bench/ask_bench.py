"""Ask latency at scale: the answer path as shipped (no sentence embedded) against the previous one (eight embedded).

    python -m bench.ask_bench --source data/demo --chunks 100000 [--index DIR] [--rounds 1] [--no-http]

Builds an index of `--chunks` chunks resampled from the source index (real texts, vectors resampled around the
real ones, as bench/scale.py does), or uses an index built so before (`--index`). Every question of
corpus/answers.jsonl is asked once per variant and round, one request at a time, the two variants alternating
question by question so both see the same load; before every ask the query-vector and sentence caches are
emptied, so each ask embeds its question and splits its passages as a new question would. Then the shipped
variant once more over HTTP: `POST /api/ask` to the service (uvicorn, one worker) on loopback.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench import scale
from bench.common import RESULTS, Timings, load_average, log, timed, write_json
from bench.load import uvicorn_server
from bench.vectors import stored_vectors
from broker.answers import extractive as answer_module
from broker.answers.evaluation import load_answer_cases
from broker.answers.extractive import Answerer, Candidate
from broker.answers.intent import kind_fit, question_kind
from broker.answers.sentences import units
from broker.search import Engine
from core.settings import Settings
from core.types import Hit
from index.embed import clear_query_cache, load_embedder
from language.analysis import analyze_query

ANSWERS = Path(__file__).resolve().parents[1] / "corpus" / "answers.jsonl"
PREVIOUS_EMBEDDED = 8


class Previous:
    """The answer path before this change: the best eight units embedded, their similarity to the question
    deciding the answer; the passage's vector looked up by the hash of its bare text (which missed)."""

    def __init__(self) -> None:
        self.sentences: dict[str, np.ndarray] = {}  # the LRU it had, empty at the start like the one here

    def __call__(self, engine: Engine, question: str, hits: list[Hit]) -> list[Candidate]:
        kind = question_kind(question)
        terms = set(analyze_query(question))
        question_vector = engine.embedder.embed_queries([question])[0]
        top = hits[: answer_module.PASSAGES]
        keys = [hashlib.sha256(hit.text.encode("utf-8")).hexdigest() for hit in top]
        stored = engine.store.get_vectors(
            engine.store.get_meta("embedder_id") or "", keys, len(question_vector)
        )
        priors = [float(stored[k] @ question_vector) if k in stored else 0.0 for k in keys]
        found = [
            Candidate(unit, hit, rank, len(terms & set(analyze_query(unit.text))) / max(len(terms), 1),
                      kind_fit(kind, unit), prior)
            for rank, (hit, prior) in enumerate(zip(top, priors, strict=True))
            for unit in units(hit.text)
        ]  # fmt: skip
        shortlist: list[Candidate] = []
        per_passage: dict[int, int] = {}
        for candidate in sorted(found, key=lambda c: (-c.first_pass, c.passage_rank, c.unit.position)):
            if len(shortlist) == PREVIOUS_EMBEDDED:
                break
            if per_passage.get(candidate.hit.chunk_id, 0) < answer_module.PER_PASSAGE_SHORTLIST:
                per_passage[candidate.hit.chunk_id] = per_passage.get(candidate.hit.chunk_id, 0) + 1
                shortlist.append(candidate)
        missing = list(dict.fromkeys(c.text for c in shortlist if c.text not in self.sentences))
        if missing:
            self.sentences.update(zip(missing, engine.embedder.embed_passages(missing), strict=True))
        for candidate in shortlist:  # its score and relevance read the sentence's similarity where ours read
            candidate.similarity = float(self.sentences[candidate.text] @ question_vector)  # the passage's
        return shortlist


def in_process(data_dir: Path, questions: list[str], rounds: int, threads: int | None) -> dict[str, Any]:
    """Both variants in one process on one engine, alternating question by question."""
    settings = Settings(data_dir=data_dir, threads=threads)
    engine = Engine(settings)
    shipped = answer_module.candidates
    previous = Previous()
    variants = {"previous": previous, "shipped": shipped}
    timings = {name: Timings() for name in variants}
    search = {name: Timings() for name in variants}
    refused = dict.fromkeys(variants, 0)
    original_search = engine.search

    def timed_search(name: str) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            ms, result = timed(original_search, *args, **kwargs)
            search[name].add(ms)
            return result

        return run

    try:
        answerer = Answerer(engine, settings)
        answerer.ask("opvarmning af motoren")  # load the model and the index outside the timings
        for turn in range(rounds * len(questions)):
            question = questions[turn % len(questions)]
            order = list(variants) if turn % 2 == 0 else list(reversed(variants))
            for name in order:
                clear_query_cache(engine.embedder)
                answer_module.material.cache_clear()
                previous.sentences.clear()
                answer_module.candidates = variants[name]  # type: ignore[assignment]
                engine.search = timed_search(name)  # type: ignore[method-assign]
                ms, answer = timed(answerer.ask, question)
                timings[name].add(ms)
                refused[name] += answer.answer is None
    finally:
        answer_module.candidates = shipped
        engine.search = original_search  # type: ignore[method-assign]
        engine.close()
    return {
        name: {
            "embedded_per_question": PREVIOUS_EMBEDDED if name == "previous" else 0,
            "refused": refused[name],
            **timings[name].summary(),
            "search_p50_ms": search[name].summary()["p50_ms"],
        }
        for name in variants
    }


def over_http(data_dir: Path, questions: list[str], threads: int | None) -> dict[str, Any]:
    """The shipped variant as a client sees it: `POST /api/ask` to the service on loopback, one at a time."""
    env = {"BROKER_THREADS": str(threads)} if threads else {}
    with uvicorn_server(data_dir, workers=1, env=env) as url, httpx.Client(base_url=url, timeout=60) as http:
        http.post("/api/ask", json={"question": "opvarmning af motoren"}).raise_for_status()
        timings, took = Timings(), Timings()
        for question in questions:
            ms, response = timed(http.post, "/api/ask", json={"question": question})
            response.raise_for_status()
            timings.add(ms)
            took.add(float(response.json()["took_ms"]))
    return {**timings.summary(), "server_p50_ms": took.summary()["p50_ms"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="an ingested data directory to resample")
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--work", type=Path, default=RESULTS / "tmp" / "ask")
    parser.add_argument("--index", type=Path, help="an index built so before, used as it is and kept")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-http", action="store_true", help="leave out the run over HTTP")
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"chunks": args.chunks}
    data_dir = args.index or args.work
    if args.index is None:
        embedder = load_embedder(Settings().embedder, args.threads)
        pool = scale.TextPool.from_indexes([args.source])
        real = np.vstack(list(stored_vectors([args.source]).values()))
        vectors = scale.synthetic_vectors(real, args.chunks)
        log(f"ask: building {args.chunks:,} chunks")
        result["build"] = scale.build(
            args.work,
            args.chunks,
            pool,
            vectors,
            embedder_id=embedder.id,
            settings=Settings(index_kind="flat"),
        )
        del vectors, embedder
    questions = [c.question for c in load_answer_cases(ANSWERS)]
    result["load_before"] = load_average()
    result.update(in_process(data_dir, questions, args.rounds, args.threads))
    result["load_between"] = load_average()
    if not args.no_http:
        result["http_shipped"] = over_http(data_dir, questions, args.threads)
    result["load_after"] = load_average()
    if args.index is None:
        shutil.rmtree(args.work)
    path = write_json(f"ask-{args.chunks}", result)
    log(f"ask: wrote {path}")
    for name in ("previous", "shipped", "http_shipped"):
        if name in result:
            r = result[name]
            log(f"ask {name}: p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, p99 {r['p99_ms']} ms")
    log(f"ask: load {result['load_before']} at the start, {result['load_after']} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
