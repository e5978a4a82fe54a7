"""`broker reindex` and `broker sources add` on a read-only data directory (run under unshare -m).

A small tmpfs holds a copy of an index with a registered source; it is remounted read-only (EROFS, which
also stops root), and both commands run as the operator would run them. Prints one JSON line; exits 77 when
mounting is not permitted here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SKIP = 77


def mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


def broker(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "broker.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return {"code": done.returncode, "stderr": done.stderr[-3000:]}


def main() -> int:
    source, corpus, extra = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    point = Path(tempfile.mkdtemp(prefix="broker-ro-"))
    size = sum(f.stat().st_size for f in source.rglob("*") if f.is_file()) + 8 * 1024 * 1024
    if not mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)):
        print(json.dumps({"skip": "tmpfs kan ikke monteres her"}))
        return SKIP
    result: dict[str, Any] = {}
    try:
        data = point / "data"
        shutil.copytree(source, data, ignore=shutil.ignore_patterns("write.lock"))
        result["register"] = broker("sources", "add", str(corpus), "--name", "korpus", "--data", str(data))
        if not mount("-o", "remount,ro", str(point)):
            print(json.dumps({"skip": "kan ikke montere skrivebeskyttet"}))
            return SKIP
        result["reindex"] = broker("reindex", "--data", str(data))
        result["sources_add"] = broker("sources", "add", str(extra), "--name", "ekstra", "--data", str(data))
    finally:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)
        os.rmdir(point)
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
