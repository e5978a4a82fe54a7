"""Shared helpers for the benchmarks: paths, machine facts, timing, resident memory and result files."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench.load import free_port
from broker.evaluate import percentile

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
CACHE = REPO / "bench" / ".cache"
# The real Greve agenda export beside the repository (BENCH_GREVE overrides, e.g. to check the skip path).
GREVE = Path(os.environ.get("BENCH_GREVE") or REPO.parent / "shared" / "data" / "greve_dagsordener.jsonl")
CORPUS = REPO / "corpus"
QUERIES = CORPUS / "queries.jsonl"
# The embedder's threads in the service as measured (docs/benchmarks.md, "Embedder threads when serving"):
# `bench.run` sets it for the latency stages, and `broker_serve` starts the server with it unless told otherwise.
SERVING_THREADS = "1"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def greve_path() -> Path | None:
    """The real Greve agenda export beside the repository, or None (with a message) when it is absent."""
    if GREVE.is_file():
        return GREVE
    log(f"{GREVE} is absent: skipping the Greve parts.")
    return None


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def machine() -> dict[str, Any]:
    """What the numbers were measured on: CPU, cores, memory, versions and the load right now."""
    cpu = platform.processor() or ""
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        found = re.search(r"Model name:\s*(.+)", lscpu)
        cpu = found.group(1).strip() if found else cpu
    except OSError:
        pass
    mem_kb = 0
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    import sqlite3

    import faiss

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024**2, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "faiss": faiss.__version__,
        "numpy": np.__version__,
        "load_average": [round(x, 2) for x in load_average()],
        "time": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


@dataclass
class Timings:
    """Latencies in milliseconds with their percentiles."""

    values: list[float] = field(default_factory=list)

    def add(self, ms: float) -> None:
        self.values.append(ms)

    def summary(self) -> dict[str, float]:
        v = self.values
        return {
            "n": len(v),
            "p50_ms": round(percentile(v, 50), 2),
            "p95_ms": round(percentile(v, 95), 2),
            "p99_ms": round(percentile(v, 99), 2),
            "mean_ms": round(sum(v) / len(v), 2) if v else 0.0,
        }


def timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    """Milliseconds a call took, and its result."""
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return (time.perf_counter() - started) * 1000, result


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """Seconds spent in the block, in the one-element list it yields (filled on exit)."""
    box = [0.0]
    started = time.perf_counter()
    try:
        yield box
    finally:
        box[0] = time.perf_counter() - started


def memory(pid: int | None = None) -> dict[str, float]:
    """Resident and peak resident memory of a process in MiB, rounded (this process by default)."""
    out = {"rss_mb": 0.0, "rss_peak_mb": 0.0}
    with open(f"/proc/{pid or os.getpid()}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                out["rss_mb"] = round(int(line.split()[1]) / 1024, 1)
            elif line.startswith("VmHWM:"):
                out["rss_peak_mb"] = round(int(line.split()[1]) / 1024, 1)
    return out


def rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process in MiB (this process by default)."""
    return memory(pid)["rss_mb"]


@dataclass
class Served:
    """A running `broker serve`: its process, a client on its URL, and how long it took to answer /readyz."""

    process: subprocess.Popen[bytes]
    client: httpx.Client
    startup_s: float


@contextmanager
def broker_serve(
    data_dir: Path, *, client_timeout: float, ready_timeout_s: float, poll_s: float
) -> Iterator[Served]:
    """`broker serve` as a user starts it, on a free loopback port; ready when /readyz answers 200. Stopped
    (SIGTERM, then SIGKILL) when the block ends."""
    port = free_port()
    broker = Path(sys.executable).with_name("broker")
    env = {**os.environ, "BROKER_DATA": str(data_dir)}
    env.setdefault("BROKER_THREADS", SERVING_THREADS)  # as recommended for serving, also when run on its own
    command = [str(broker), "serve", "--data", str(data_dir), "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        started = time.perf_counter()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=client_timeout) as client:
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"broker serve stopped with exit status {process.returncode}")
                try:
                    if client.get("/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.perf_counter() - started > ready_timeout_s:
                    raise RuntimeError("broker serve did not get ready in time")
                time.sleep(poll_s)
            yield Served(process, client, round(time.perf_counter() - started, 2))
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def dir_size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1024**2


def write_json(name: str, data: Any, out: Path = RESULTS) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def read_json(name: str, out: Path = RESULTS) -> Any:
    path = out / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)
