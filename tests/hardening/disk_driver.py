"""Ingest onto a real full or read-only disk: a small tmpfs in a private mount namespace (run under unshare -m).

"full": the command line on a disk that is already full, then in-process ingests that fill the disk at a
given stage (after the scan, after the database writes, after the vectors are saved), so the kernel's ENOSPC
hits the embedding cache, the FAISS file and the final commit in turn. "readonly": the tmpfs remounted
read-only (EROFS, which also stops root). Prints one JSON line; exits 77 when mounting is not permitted.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from broker.search import Engine
from core.settings import Settings
from index.store import Store
from index.verify import check_consistency

ROOT = Path(__file__).resolve().parents[2]
SKIP = 77


def mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


def state(data: Path) -> dict[str, Any]:
    store = Store(data / "broker.sqlite3", create=False)
    try:
        return {"counts": store.counts(), "problems": check_consistency(store, data)}
    finally:
        store.close()


def fill(path: Path) -> None:
    """Write until the disk says it is full."""
    with open(path, "ab") as filler:
        try:
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise


def fill_at_stages(new_file: Path, data: Path, filler: Path) -> dict[str, Any]:
    from broker.indexing import sync
    from core.errors import StorageError
    from index.embed import E5Embedder

    embedder = E5Embedder()
    outcome: dict[str, Any] = {}
    for stage in ("scanned", "written", "saved"):
        before = state(data)

        def on_stage(name: str, stage: str = stage) -> None:
            if name == stage:
                fill(filler)

        try:
            sync([new_file], Settings(data_dir=data), embedder, on_stage=on_stage)
            error = None
        except StorageError as exc:
            error = {
                "message": exc.message,
                "cause": f"{type(exc.__cause__).__name__}: {exc.__cause__}"[:300],
            }
        filler.unlink(missing_ok=True)
        outcome[stage] = {"error": error, "unchanged": state(data) == before}
    return outcome


def ingest(path: Path, data: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "broker.cli", "ingest", str(path), "--data", str(data), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return {"code": done.returncode, "stderr": done.stderr[-2000:]}


def main() -> int:
    source, mode, new_file = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    point = Path(tempfile.mkdtemp(prefix="broker-disk-"))
    size = sum(f.stat().st_size for f in source.rglob("*") if f.is_file()) + 8 * 1024 * 1024
    if not mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)):
        print(json.dumps({"skip": "tmpfs kan ikke monteres her"}))
        return SKIP
    result: dict[str, Any] = {"mode": mode}
    try:
        data = point / "data"
        shutil.copytree(source, data, ignore=shutil.ignore_patterns("write.lock"))
        result["before"] = state(data)
        if mode == "full":
            fill(point / "fyld")
            result["ingest"] = ingest(new_file, data)
            (point / "fyld").unlink()
            result["stages"] = fill_at_stages(new_file, data, point / "fyld")
        else:
            if not mount("-o", "remount,ro", str(point)):
                print(json.dumps({"skip": "kan ikke montere skrivebeskyttet"}))
                return SKIP
            result["ingest"] = ingest(new_file, data)
            mount("-o", "remount,rw", str(point))
        result["after"] = state(data)
        engine = Engine(Settings(data_dir=data))
        result["search"] = len(engine.search("familiebehandling", mode="lexical").results)
        engine.close()
        result["again"] = ingest(new_file, data)
        result["final"] = state(data)
    finally:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)
        os.rmdir(point)
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
