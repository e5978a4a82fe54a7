"""A real `broker serve`: empty key configurations stop it, idle half-sent requests cannot starve or flood it."""

from __future__ import annotations

import json
import logging
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from broker.access import hash_key
from broker.serving import ResourceErrorFilter
from core.settings import Settings
from tests.api.conftest import free_port
from tests.hardening.conftest import ADMIN_KEY

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
BASE_ENV = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}


class Served:
    def __init__(self, process: subprocess.Popen[bytes], url: str, log: Path) -> None:
        self.process, self.url, self.log = process, url, log

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def broker_serve(
    data: Path, tmp: Path, env: dict[str, str], open_files: int | None = None
) -> Iterator[Served]:
    """`broker serve` as its own process on a free loopback port, until it answers /readyz; stopped after."""
    port = free_port()
    log = tmp / f"serve-{port}.log"

    def limit() -> None:
        if open_files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))

    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "broker.cli", "serve", "--data", str(data), "--port", str(port)],
            cwd=ROOT,
            env={**BASE_ENV, **env},
            stdout=sink,
            stderr=sink,
            preexec_fn=limit,
        )
    served = Served(process, f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(served.url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise AssertionError(f"broker serve did not become ready: {served.log_text()[-2000:]}")
        yield served
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def start_refused(data: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "broker.cli", "serve", "--data", str(data), "--port", str(free_port())],
        cwd=ROOT,
        env={**BASE_ENV, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


# -- 6: an empty key configuration never means open reads --------------------------------------------


def test_a_configured_but_empty_key_source_stops_the_service_with_one_danish_line(
    small_index: tuple[Settings, Path], tmp_path: Path
) -> None:
    data = small_index[0].data_dir
    files = {
        "tom.jsonl": b"",
        "kommentarer.jsonl": b"# her kommer n\xc3\xb8glerne\n\n# senere\n",
        "liste.json": b"[]",
        "ingen.toml": b"# ingen [[keys]]\n",
        "binaer.jsonl": bytes(range(256)) * 8,
        "nul.jsonl": b"\0" * 64,
    }
    cases: dict[str, dict[str, str]] = {}
    for name, content in files.items():
        path = tmp_path / name
        path.write_bytes(content)
        cases[name] = {"BROKER_KEYS_FILE": str(path)}
    cases["tom læsernøgle"] = {"BROKER_READER_KEY_SHA256": ""}
    cases["kun kommaer"] = {"BROKER_INTERNAL_KEY_SHA256": " , ,"}
    # An admin key does not make an empty reader variable harmless: it would still open reads by mistake.
    cases["tom læsernøgle ved siden af admin"] = {
        "BROKER_ADMIN_KEY_SHA256": hash_key(ADMIN_KEY),
        "BROKER_READER_KEY_SHA256": "",
    }
    for case, env in cases.items():
        done = start_refused(data, env)
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert done.returncode != 0, (case, done.stderr)
        assert len(lines) == 1 and lines[0].startswith("Fejl:"), (case, done.stderr)
        assert "Traceback" not in done.stderr and "kører på" not in done.stderr, case
        assert any(word in lines[0] for word in ("ingen nøgler", "tom", "ikke en tekstfil")), (case, lines)


def test_reads_are_open_only_without_any_key_configuration_and_the_start_up_line_says_so(
    small_index: tuple[Settings, Path], tmp_path: Path
) -> None:
    data = small_index[0].data_dir
    with broker_serve(data, tmp_path, {}) as served:
        assert httpx.get(served.url + "/api/search", params={"q": "skole"}, timeout=60).status_code == 200
        assert "Læsning er åben for alle" in served.log_text()
    keys = tmp_path / "keys.jsonl"
    keys.write_text(
        "# sagsbehandlere\n"
        + json.dumps({"name": "læser", "role": "reader", "sha256": hash_key("k")})
        + "\n",
        encoding="utf-8",
    )
    with broker_serve(data, tmp_path, {"BROKER_KEYS_FILE": str(keys)}) as served:
        assert httpx.get(served.url + "/api/search", params={"q": "skole"}, timeout=60).status_code == 401
        assert "Læsning er åben" not in served.log_text()


# -- 7: slow-loris ----------------------------------------------------------------------------------

OPEN_FILES = 160  # the service's own limit in these tests, so a couple of hundred connections exhaust it
IDLE = 200


def half_sent(url: str, count: int, stack: ExitStack) -> list[socket.socket]:
    port = int(url.rsplit(":", 1)[1])
    sockets = []
    for _ in range(count):
        sock = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=10))
        sock.sendall(b"GET /api/search?q=familiebehandling HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never ended
        sockets.append(sock)
    return sockets


def closed_by_server(sock: socket.socket, wait_s: float) -> bool:
    """True when the service ends the connection within wait_s (after an answer such as 503, or without)."""
    deadline = time.monotonic() + wait_s
    try:
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            if sock.recv(4096) == b"":
                return True
    except TimeoutError:
        return False
    except OSError:  # reset by the service
        return True
    return False


def test_idle_half_sent_requests_are_cut_off_and_never_starve_a_normal_request(
    small_index: tuple[Settings, Path], tmp_path: Path
) -> None:
    env = {"BROKER_HTTP_HEADER_TIMEOUT_S": "2"}
    with (
        broker_serve(small_index[0].data_dir, tmp_path, env, open_files=OPEN_FILES) as served,
        ExitStack() as stack,
    ):
        idle = half_sent(served.url, IDLE, stack)
        # More idle connections than the process has file descriptors: a normal request is still answered.
        answer = httpx.get(served.url + "/api/search", params={"q": "familiebehandling"}, timeout=30)
        assert answer.status_code == 200 and answer.json()["results"]
        # Every idle connection is closed by the service (header timeout or cap), none is left hanging.
        assert all(closed_by_server(sock, 30) for sock in idle)
        again = httpx.get(served.url + "/readyz", timeout=30)
        assert again.status_code == 200
        log = served.log_text()
    assert "Traceback" not in log
    assert log.count("Too many open files") <= 1  # at most one line per interval, never one per connection
    assert len(log) < 20_000


def test_at_the_connection_cap_a_new_connection_pushes_out_the_oldest_idle_one(
    small_index: tuple[Settings, Path], tmp_path: Path
) -> None:
    env = {"BROKER_HTTP_MAX_CONNECTIONS": "10", "BROKER_HTTP_HEADER_TIMEOUT_S": "60"}
    with broker_serve(small_index[0].data_dir, tmp_path, env) as served, ExitStack() as stack:
        idle = half_sent(served.url, 30, stack)
        answer = httpx.get(served.url + "/api/search", params={"q": "skole"}, timeout=30)
        assert answer.status_code == 200
        # Long before the 60 s header timeout, the cap has closed the oldest idle connections.
        assert all(closed_by_server(sock, 10) for sock in idle[:20])


def test_the_systemd_unit_raises_the_open_file_limit() -> None:
    unit = (ROOT / "deploy" / "vidensmaegler.service").read_text(encoding="utf-8")
    limit = [line.split("=", 1)[1] for line in unit.splitlines() if line.startswith("LimitNOFILE=")]
    assert limit and int(limit[0]) >= 65536


def test_out_of_file_descriptor_errors_are_logged_once_per_interval() -> None:
    """Plumbing: asyncio reports every failed accept(); the filter lets one through per interval."""
    records = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Keep()
    handler.addFilter(ResourceErrorFilter(interval_s=3600))
    logger = logging.getLogger("tests.serve_limits")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for _ in range(500):
            try:
                raise OSError(24, os.strerror(24))
            except OSError:
                logger.error("socket.accept() out of system resource", exc_info=True)
        logger.error("noget andet gik galt")
    finally:
        logger.removeHandler(handler)
    assert len(records) == 2 and "Traceback" not in records[0] and "fildeskriptorer" in records[0]
    assert records[1] == "noget andet gik galt"
