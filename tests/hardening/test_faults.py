"""Faults: the service killed mid-upload, a full disk, a read-only data directory and a damaged database file."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import faiss
import httpx
import pytest

from broker import uploads
from broker.indexing import sync
from core.errors import BrokerError, StorageError
from core.settings import Settings
from index.embed import Embedder
from index.store import Store
from index.verify import check_consistency
from tests.api.conftest import free_port, serve
from tests.conftest import copy_index
from tests.hardening.conftest import ADMIN, with_keys

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
NEW_TEXT = (
    "Notat om efterværn\n\nViborg Kommune, 2024.\n\n"
    "Efterværn til unge mellem 18 og 23 år aftales i god tid før det fyldte 18. år, og den unge får en fast "
    "kontaktperson i overgangen til voksenlivet."
)


def state(settings: Settings) -> tuple[dict[str, int], list[str]]:
    store = Store(settings.db_path)
    try:
        return store.counts(), check_consistency(store, settings.data_dir)
    finally:
        store.close()


def new_document_present(settings: Settings) -> bool:
    store = Store(settings.db_path)
    try:
        return (
            store.conn.execute("SELECT 1 FROM chunks WHERE text LIKE '%Efterværn til unge%'").fetchone()
            is not None
        )
    finally:
        store.close()


# -- killed mid-upload -------------------------------------------------------------------------------


@pytest.fixture
def driver(
    private_index: tuple[Settings, Path], request: pytest.FixtureRequest
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.hardening.upload_driver",
            str(private_index[0].data_dir),
            str(port),
            request.param,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, "the service did not start"
            threading.Event().wait(0.1)
        yield process, url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
        if process.stdout is not None:  # the pipe is closed, not left to the collector
            process.stdout.close()


@pytest.mark.parametrize("driver", ["scanned", "written", "saved"], indirect=True)
def test_killed_mid_upload_leaves_no_half_document(
    driver: tuple[subprocess.Popen[str], str], private_index: tuple[Settings, Path], e5: Embedder
) -> None:
    process, url = driver
    settings = private_index[0]
    before, _ = state(settings)
    failures: list[BaseException] = []

    def send() -> None:
        try:
            httpx.post(
                url + "/api/documents",
                data={"source": "test"},
                files={"files": ("efterværn.txt", NEW_TEXT.encode())},
                headers=ADMIN,
                timeout=120,
            )
        except httpx.HTTPError as exc:  # the server dies under it
            failures.append(exc)

    client = threading.Thread(target=send)
    client.start()
    assert process.stdout is not None
    assert process.stdout.readline().startswith("PAUSED")
    os.killpg(process.pid, signal.SIGKILL)  # kill -9, mid-ingest
    process.wait(10)
    if process.stdout is not None:  # the pipe is closed, not left to the collector
        process.stdout.close()
    client.join(30)
    assert failures, "the upload should not have completed"

    counts, problems = state(settings)
    assert problems == []  # SQLite integrity, FTS and FAISS ids match the chunk table
    assert counts == before and not new_document_present(settings)

    with serve(with_keys(settings), e5) as server, httpx.Client(base_url=server.url, timeout=120) as http:
        assert http.get("/api/search", params={"q": "familiebehandling"}).json()["results"]
        again = http.post(
            "/api/documents",
            data={"source": "test"},
            files={"files": ("efterværn.txt", NEW_TEXT.encode())},
            headers=ADMIN,
        )
        assert again.status_code == 201, again.text  # the dead writer's lock is taken over
        hits = http.get("/api/search", params={"q": "efterværn", "mode": "lexical"}).json()["results"]
        assert [h["municipality"] for h in hits] == ["Viborg"]
    counts, problems = state(settings)
    assert problems == [] and counts["documents"] == before["documents"] + 1


# -- a full disk and a read-only data directory, for real ------------------------------------------


def run_disk_driver(settings: Settings, mode: str, tmp_path: Path) -> dict[str, Any]:
    if shutil.which("unshare") is None:
        pytest.skip("unshare findes ikke")
    new_file = tmp_path / "efterværn.txt"
    new_file.write_text(NEW_TEXT, encoding="utf-8")
    done = subprocess.run(
        [
            "unshare",
            "-m",
            "--propagation",
            "private",
            sys.executable,
            "-m",
            "tests.hardening.disk_driver",
            str(settings.data_dir),
            mode,
            str(new_file),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode == 77 or (done.returncode != 0 and "unshare" in done.stderr):
        pytest.skip(f"en lille tmpfs kan ikke monteres her: {done.stdout.strip() or done.stderr.strip()}")
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_full_disk_during_ingest_is_a_clear_error_and_changes_nothing(
    private_index: tuple[Settings, Path], tmp_path: Path
) -> None:
    result = run_disk_driver(private_index[0], "full", tmp_path)
    failed = result["ingest"]
    assert failed["code"] == 74, failed
    assert "er fuld" in failed["stderr"] and "Traceback" not in failed["stderr"]
    assert result["before"] == result["after"]
    assert result["after"]["problems"] == [] and result["search"] > 0
    # Filled at each stage: the embedding cache, the FAISS file and the final commit each meet ENOSPC.
    for stage, outcome in result["stages"].items():
        assert outcome["error"] is not None and "er fuld" in outcome["error"]["message"], (stage, outcome)
        assert outcome["unchanged"], stage
    assert result["again"]["code"] == 0
    assert result["final"]["counts"]["documents"] == result["before"]["counts"]["documents"] + 1
    assert result["final"]["problems"] == []


def test_a_read_only_data_directory_is_a_clear_error_and_changes_nothing(
    private_index: tuple[Settings, Path], tmp_path: Path
) -> None:
    result = run_disk_driver(private_index[0], "readonly", tmp_path)
    failed = result["ingest"]
    assert failed["code"] == 74, failed
    assert "kan ikke skrives" in failed["stderr"] and "Traceback" not in failed["stderr"]
    assert result["after"] == result["before"] and result["after"]["problems"] == []
    assert result["again"]["code"] == 0 and result["final"]["problems"] == []


def test_a_data_directory_the_service_user_may_not_write(
    private_index: tuple[Settings, Path], tmp_path: Path
) -> None:
    """As an unprivileged user (root ignores permissions): the data directory belongs to someone else."""
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv findes ikke")
    shared = Path(tempfile.mkdtemp(prefix="broker-ro-", dir="/tmp"))
    try:
        data = shared / "data"
        copy_index(private_index[0].data_dir, data)
        new_file = shared / "notat.txt"
        new_file.write_text(NEW_TEXT, encoding="utf-8")
        for path in [shared, *shared.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        before = state(Settings(data_dir=data))
        done = subprocess.run(
            [
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                sys.executable,
                "-m",
                "broker.cli",
                "ingest",
                str(new_file),
                "--data",
                str(data),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "HOME": str(shared)},
        )
        assert done.returncode == 74, done.stderr[-2000:]
        assert "kan ikke skrives" in done.stderr and "Traceback" not in done.stderr
        assert state(Settings(data_dir=data)) == before
    finally:
        shutil.rmtree(shared, ignore_errors=True)


# -- the same plumbing at one exact point, with the real error of a real syscall or of SQLite itself ---
# The kernel's /dev/full answers every write with ENOSPC; SQLite's own limits raise its own errors. So the
# messages below are the ones the system writes, and the test fails if the classifier stops recognising them.


def test_enospc_while_saving_the_vectors_rolls_everything_back(
    private_index: tuple[Settings, Path], e5: Embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = private_index[0]
    before = state(settings)
    (tmp_path / "ny").mkdir()
    (tmp_path / "ny" / "efterværn.txt").write_text(NEW_TEXT, encoding="utf-8")
    real_write = faiss.write_index
    seen: list[str] = []

    def onto_a_full_disk(index: Any, _: str) -> None:
        try:
            real_write(index, "/dev/full")  # FAISS's own writer meets the kernel's ENOSPC
        except RuntimeError as exc:
            seen.append(str(exc))
            raise

    monkeypatch.setattr(faiss, "write_index", onto_a_full_disk)
    with pytest.raises(StorageError, match="er fuld"):
        sync([tmp_path / "ny"], settings, e5)
    assert seen and os.strerror(errno.ENOSPC) in seen[0]  # the fault really happened, in FAISS
    assert state(settings) == before and not new_document_present(settings)
    monkeypatch.undo()
    assert sync([tmp_path / "ny"], settings, e5).added


@pytest.mark.parametrize(
    ("pragma", "expected"),
    [
        # The database may not grow by a page: SQLite's own SQLITE_FULL ("database or disk is full").
        ("PRAGMA max_page_count = {pages}", "er fuld"),
        # Writes refused by the connection: SQLite's own SQLITE_READONLY.
        ("PRAGMA query_only = ON", "kan ikke skrives"),
    ],
    ids=["full", "read-only"],
)
def test_sqlite_full_or_read_only_is_a_storage_error(
    private_index: tuple[Settings, Path],
    e5: Embedder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    pragma: str,
    expected: str,
) -> None:
    settings = private_index[0]
    before = state(settings)
    (tmp_path / "ny").mkdir()
    # Long enough to need new database pages (the same paragraph again and again: few texts to embed).
    long_text = NEW_TEXT + "\n\n" + "\n\n".join([NEW_TEXT.split("\n\n")[-1]] * 400)
    (tmp_path / "ny" / "efterværn.txt").write_text(long_text, encoding="utf-8")
    real_put = Store.put_document
    raised: list[sqlite3.Error] = []

    def limited(self: Store, *args: Any, **kwargs: Any) -> Any:
        pages = self.conn.execute("PRAGMA page_count").fetchone()[0]
        self.conn.execute(pragma.format(pages=pages))
        try:
            return real_put(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raised.append(exc)
            raise

    monkeypatch.setattr(Store, "put_document", limited)
    with pytest.raises(StorageError, match=expected):
        sync([tmp_path / "ny"], settings, e5)
    assert raised, "SQLite itself should have refused the write"
    assert state(settings) == before and not new_document_present(settings)


def test_an_upload_onto_a_full_disk_is_507_and_keeps_the_service_up(
    private_index: tuple[Settings, Path], e5: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = with_keys(private_index[0])
    before = state(settings)
    real_copy = uploads._copy

    def onto_a_full_disk(stream: Any, target: Path, limit: int) -> tuple[int, str]:
        return real_copy(stream, Path("/dev/full"), limit)  # the kernel's ENOSPC on the first flush

    monkeypatch.setattr(uploads, "_copy", onto_a_full_disk)
    with serve(settings, e5) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        response = http.post(
            "/api/documents",
            data={"source": "test"},
            files={"files": ("a.txt", NEW_TEXT.encode())},
            headers=ADMIN,
        )
        assert response.status_code == 507 and response.json()["type"] == "StorageError"
        assert "er fuld" in response.json()["error"]
        assert http.get("/api/search", params={"q": "familiebehandling"}).json()["results"]
    assert state(settings) == before
    assert [p.name for p in (settings.uploads_dir / "test").iterdir()] == []  # no temporary file left


# -- a damaged database file ------------------------------------------------------------------------


def open_descriptors(path: Path) -> list[str]:
    """This process's open file descriptors on `path` (read from /proc, so nothing is assumed)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # the listing's own descriptor, closed by now
            continue
        if target == str(path):
            found.append(target)
    return found


@pytest.mark.parametrize("command", [("search", "familiebehandling", "--mode", "lexical"), ("check",)])
def test_a_damaged_database_file_is_one_danish_line(
    private_index: tuple[Settings, Path], command: tuple[str, ...]
) -> None:
    settings = private_index[0]
    for name in ("broker.sqlite3-wal", "broker.sqlite3-shm"):
        (settings.data_dir / name).unlink(missing_ok=True)
    settings.db_path.write_bytes(os.urandom(64 * 1024))  # overwritten by something that is no database
    done = subprocess.run(
        [sys.executable, "-m", "broker.cli", *command, "--data", str(settings.data_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr[-2000:]
    assert (
        done.stderr.strip()
        == f"Fejl: Kan ikke åbne databasen {settings.db_path}: filen er ikke en SQLite-database"
    )
    with pytest.raises(BrokerError, match="ikke en SQLite-database"):
        Store(settings.db_path, create=False)
    assert open_descriptors(settings.db_path) == []  # the connection that found it damaged is closed
