"""The service in a child process that pauses uploads at a named ingest stage, so a test can kill it there."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import uvicorn

from api.app import create_app
from broker import indexing
from broker.access import hash_key
from core.settings import Settings

ADMIN_KEY = "admin-key-for-tests-7f3a9c"


def main() -> None:
    data, port, pause_at = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    real_sync = indexing.sync

    def pausing_sync(*args: Any, **kwargs: Any) -> Any:
        def on_stage(name: str) -> None:
            if name == pause_at:
                print(f"PAUSED {name}", flush=True)
                time.sleep(3600)

        kwargs["on_stage"] = on_stage
        return real_sync(*args, **kwargs)

    indexing.sync = pausing_sync
    settings = Settings(data_dir=data, admin_key_sha256=hash_key(ADMIN_KEY))
    uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
