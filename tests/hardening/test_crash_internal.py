"""An internal upload cut off by kill -9 stays internal: the mark is on disk before the file can be scanned."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from broker.reindex import reindex
from core.settings import Settings
from index.embed import Embedder
from index.store import Store
from tests.api.conftest import free_port, serve
from tests.hardening.conftest import ADMIN, INTERNAL, READER, with_keys

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
SECRET_TEXT = (
    "Notat om personalesag\n\nViborg Kommune, 2024.\n\n"
    "Fortroligt: Kvorbrækningsplanen for afdelingen drøftes kun i ledergruppen og må ikke deles med borgere."
)


def start_driver(settings: Settings, pause_at: str) -> tuple[subprocess.Popen[str], str]:
    """The service in its own process, stopping in the middle of an upload at the named ingest stage."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.hardening.upload_driver", str(settings.data_dir), str(port), pause_at],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        assert process.poll() is None, "the service did not start"
        threading.Event().wait(0.1)
    raise AssertionError("the service did not become ready")


@pytest.mark.parametrize("pause_at", ["scanned", "committed"])
def test_an_internal_upload_killed_midway_is_never_found_by_a_reader_after_reindex(
    private_index: tuple[Settings, Path], e5: Embedder, pause_at: str
) -> None:
    settings = private_index[0]
    process, url = start_driver(settings, pause_at)
    try:
        client = threading.Thread(
            target=lambda: _post_quietly(url),
            daemon=True,
        )
        client.start()
        assert process.stdout is not None
        assert process.stdout.readline().startswith("PAUSED")
        os.killpg(process.pid, signal.SIGKILL)  # kill -9 of the real server, mid-upload
        process.wait(10)
        client.join(30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    uploaded = settings.uploads_dir / "personale" / "personalesag.txt"
    if pause_at == "scanned":
        assert uploaded.is_file()  # the file is in the source folder, nothing indexed yet

    report = reindex(settings, e5)  # the weekly job runs next, taking over the dead writer's lock
    assert not report.failed, report.failed

    store = Store(settings.db_path)
    try:
        rows = store.conn.execute(
            "SELECT d.doc_id, d.internal FROM documents d JOIN sources s ON s.doc_id = d.doc_id WHERE s.path = ?",
            (str(uploaded.resolve()),),
        ).fetchall()
    finally:
        store.close()
    assert [internal for _, internal in rows] == [1]
    secret = rows[0][0]

    with serve(with_keys(settings, readers=True), e5) as server, httpx.Client(base_url=server.url) as http:
        for mode in ("lexical", "hybrid"):
            params = {"q": "Kvorbrækningsplanen", "mode": mode}
            as_reader = http.get("/api/search", params=params, headers=READER)
            assert as_reader.status_code == 200
            assert secret not in {hit["doc_id"] for hit in as_reader.json()["results"]}
            assert "ledergruppen" not in as_reader.text
            as_internal = http.get("/api/search", params=params, headers=INTERNAL).json()["results"]
            assert secret in {hit["doc_id"] for hit in as_internal}


def _post_quietly(url: str) -> None:
    with contextlib.suppress(httpx.HTTPError):  # the server dies under it
        httpx.post(
            url + "/api/documents",
            data={"source": "personale", "internal": "true"},
            files={"files": ("personalesag.txt", SECRET_TEXT.encode())},
            headers=ADMIN,
            timeout=120,
        )
