"""Load test: concurrent clients of mixed search and ask against a real uvicorn with several workers.

    python bench/load.py --data DATAMAPPE [--seconds 30] [--clients 16] [--workers 2]

Starts `uvicorn api.main:app --workers N` on a free loopback port for the data directory, runs the clients for
the given time, checks every response, and writes bench/results/load-<time>.json plus a line in
bench/results/load.md. Traffic goes to 127.0.0.1 only, and the run stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"

QUERIES = [
    "familiebehandling i hjemmet",
    "socialrådgivere på skolerne",
    "åben anonym rådgivning",
    "aflastning weekend",
    "underretninger vurderet inden for 24 timer",
    "plejefamilie supervision",
    "skolefravær handleplan",
    "kontaktperson for unge",
    "§ 52 stk. 3",
    "tidlig indsats i dagtilbud",
    "sagstal pr. rådgiver",
    "børnefaglig undersøgelse",
]
QUESTIONS = [
    "Hvordan organiserer kommunerne familiebehandling?",
    "Hvor ofte mødes kontaktpersonen med den unge?",
    "Hvordan får skolerne hjælp fra socialrådgivere?",
    "Hvad er aflastning?",
]
MODES = ("hybrid", "hybrid", "lexical", "dense")


@dataclass
class Sample:
    kind: str
    status: int
    ms: float
    problem: str | None = None
    documents: int | None = None


@dataclass
class LoadResult:
    clients: int
    seconds: float
    requests: int
    errors: int
    inconsistent: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)
    documents_seen: list[int] = field(default_factory=list)  # document counts /api/stats showed
    problems: list[str] = field(default_factory=list)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def check_search(body: dict[str, Any], k: int) -> str | None:
    """One state per response: ranks 1..n, no chunk twice, scores falling, every hit counted in the facets."""
    hits = body["results"]
    if len(hits) > k:
        return f"{len(hits)} hits for k={k}"
    if [h["rank"] for h in hits] != list(range(1, len(hits) + 1)):
        return "ranks are not 1..n"
    if len({h["chunk_id"] for h in hits}) != len(hits):
        return "a chunk appears twice"
    scores = [h["score"] for h in hits]
    if scores != sorted(scores, reverse=True):
        return "scores are not in falling order"
    counted = body["facets"]["municipality"]
    missing = {h["municipality"] for h in hits} - set(counted)
    return f"hits from {missing} are not in the facets" if missing else None


def check_ask(body: dict[str, Any]) -> str | None:
    numbers = [c["n"] for c in body["citations"]]
    if numbers != list(range(1, len(numbers) + 1)):
        return "citations are not numbered 1..n"
    if any(f"[{n}]" not in (body["answer"] or "") for n in numbers):
        return "a citation is not used in the answer"
    names = [g["municipality"] for g in body["by_municipality"]]
    return "a municipality is grouped twice" if len(names) != len(set(names)) else None


def check_stats(body: dict[str, Any], documents: set[int] | None) -> str | None:
    if body["vectors"] != body["chunks"]:
        return f"vectors {body['vectors']} != chunks {body['chunks']}"
    if documents is not None and body["documents"] not in documents:
        return f"{body['documents']} documents: neither the old nor the new state"
    return None


async def _client(
    http: httpx.AsyncClient,
    rng: random.Random,
    deadline: float,
    samples: list[Sample],
    ask_share: float,
    documents: set[int] | None,
    stop: asyncio.Event | None,
    queries: list[str],
) -> None:
    while time.monotonic() < deadline and not (stop is not None and stop.is_set()):
        roll = rng.random()
        started = time.perf_counter()
        problem: str | None = None
        status = 0
        kind = "search"
        seen = None
        try:
            if roll < ask_share:
                kind = "ask"
                response = await http.post("/api/ask", json={"question": rng.choice(QUESTIONS), "k": 10})
                status = response.status_code
                problem = check_ask(response.json()) if status == 200 else None
            elif roll < ask_share + 0.05:
                kind = "stats"
                response = await http.get("/api/stats")
                status = response.status_code
                if status == 200:
                    seen = response.json()["documents"]
                    problem = check_stats(response.json(), documents)
            else:
                k = rng.choice((5, 10, 20))
                params: dict[str, str | int] = {"q": rng.choice(queries), "mode": rng.choice(MODES), "k": k}
                response = await http.get("/api/search", params=params)
                status = response.status_code
                problem = check_search(response.json(), k) if status == 200 else None
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            problem = f"{type(exc).__name__}: {exc}"
        samples.append(Sample(kind, status, (time.perf_counter() - started) * 1000, problem, seen))


async def run_load(
    base_url: str,
    *,
    clients: int = 16,
    seconds: float = 30.0,
    ask_share: float = 0.2,
    headers: dict[str, str] | None = None,
    documents: set[int] | None = None,
    seed: int = 0,
    stop: asyncio.Event | None = None,
    queries: list[str] | None = None,
) -> LoadResult:
    """Run `clients` concurrent clients for `seconds` (or until `stop` is set); `documents` are the document
    counts /api/stats may show (the old and the new state of a re-index running meanwhile). Searches draw from
    `queries` (default: a dozen fixed ones, whose vectors are soon cached; many distinct ones keep embedding)."""
    samples: list[Sample] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits, headers=headers) as http:
        began = time.monotonic()
        deadline = began + seconds
        await asyncio.gather(
            *(
                _client(
                    http,
                    random.Random(seed + i),
                    deadline,
                    samples,
                    ask_share,
                    documents,
                    stop,
                    queries or QUERIES,
                )
                for i in range(clients)
            )
        )
        elapsed = time.monotonic() - began
    return summarise(samples, clients, elapsed)


def summarise(samples: list[Sample], clients: int, elapsed: float) -> LoadResult:
    times = [s.ms for s in samples]
    errors = [s for s in samples if s.status != 200]
    inconsistent = [s for s in samples if s.status == 200 and s.problem]
    by_kind = {}
    for kind in sorted({s.kind for s in samples}):
        mine = [s.ms for s in samples if s.kind == kind]
        by_kind[kind] = {
            "requests": len(mine),
            "p50_ms": percentile(mine, 0.5),
            "p95_ms": percentile(mine, 0.95),
            "max_ms": round(max(mine), 1),
        }
    problems = [f"{s.kind} {s.status}: {s.problem}" for s in errors + inconsistent][:20]
    return LoadResult(
        clients=clients,
        seconds=round(elapsed, 1),
        requests=len(samples),
        errors=len(errors),
        inconsistent=len(inconsistent),
        rps=round(len(samples) / elapsed, 1) if elapsed else 0.0,
        p50_ms=percentile(times, 0.5),
        p95_ms=percentile(times, 0.95),
        p99_ms=percentile(times, 0.99),
        max_ms=round(max(times), 1) if times else 0.0,
        by_kind=by_kind,
        documents_seen=sorted({s.documents for s in samples if s.documents is not None}),
        problems=problems,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def uvicorn_server(
    data: Path, *, workers: int = 2, env: dict[str, str] | None = None, ready_timeout: float = 180.0
) -> Iterator[str]:
    """`uvicorn api.main:app --workers N` on a free loopback port; yields its URL, stops it (and only it)."""
    port = free_port()
    environment = {**os.environ, "BROKER_DATA": str(data), **(env or {})}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=environment,
        start_new_session=True,  # its own process group: the workers stop with it
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_timeout
        ready = 0
        while ready < workers * 3:  # every worker answers: ask a few times in a row
            if process.poll() is not None:
                raise RuntimeError(f"uvicorn stopped with exit status {process.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError("the service did not become ready")
            try:
                ready = ready + 1 if httpx.get(url + "/readyz", timeout=5).status_code == 200 else 0
            except httpx.HTTPError:
                ready = 0
                time.sleep(0.2)
        yield url
    finally:
        stop_group(process)


def stop_group(process: subprocess.Popen[Any], grace: float = 15.0) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def write_results(result: LoadResult, extra: dict[str, Any], out: Path = RESULTS) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = out / f"load-{stamp}.json"
    path.write_text(
        json.dumps({**extra, **asdict(result)}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    table = out / "load.md"
    if not table.exists():
        table.write_text(
            "| tid | klienter | workers | sek. | forespørgsler | fejl | inkonsistente | req/s | p50 ms | p95 ms | p99 ms |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|\n",
            encoding="utf-8",
        )
    with table.open("a", encoding="utf-8") as handle:
        handle.write(
            f"| {stamp} | {result.clients} | {extra.get('workers')} | {result.seconds} | {result.requests} | "
            f"{result.errors} | {result.inconsistent} | {result.rps} | {result.p50_ms} | {result.p95_ms} | "
            f"{result.p99_ms} |\n"
        )
    return path


def main(argv: list[str] | None = None, run: Callable[..., Any] = asyncio.run) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("BROKER_DATA", "data/demo")))
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--ask-share", type=float, default=0.2)
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load first, not counted")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if not (args.data / "broker.sqlite3").exists():
        print(
            f"Der er intet indeks i {args.data}. Kør først: broker ingest MAPPE --data {args.data}",
            file=sys.stderr,
        )
        return 4
    with uvicorn_server(args.data, workers=args.workers) as url:
        if args.warmup > 0:  # models and caches warm in every worker
            run(
                run_load(
                    url, clients=args.clients, seconds=args.warmup, ask_share=args.ask_share, seed=10_000
                )
            )
        result = run(run_load(url, clients=args.clients, seconds=args.seconds, ask_share=args.ask_share))
    extra = {
        "workers": args.workers,
        "data": str(args.data),
        "warmup_s": args.warmup,
        "ask_share": args.ask_share,
    }
    path = write_results(result, extra, args.out)
    print(json.dumps(asdict(result), ensure_ascii=False, indent=2))
    print(f"Resultat: {path}", file=sys.stderr)
    return 0 if result.errors == 0 and result.inconsistent == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
