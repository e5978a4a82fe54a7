"""Runs a re-index in a child process and pauses at a named stage, so a test can kill it exactly there."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from broker.reindex import reindex
from core.settings import Settings
from index.embed import E5Embedder


def main() -> None:
    data, pause_at = Path(sys.argv[1]), sys.argv[2]

    def on_stage(name: str) -> None:
        if name == pause_at:
            print(f"PAUSED {name}", flush=True)
            time.sleep(3600)

    report = reindex(Settings(data_dir=data), E5Embedder(), on_stage=on_stage)
    print(f"DONE added={len(report.added)} removed={len(report.removed)}", flush=True)


if __name__ == "__main__":
    main()
