"""The `broker` command line: its JSON contract, readable output, and one-line errors with exit codes."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from core.settings import Settings
from tests.conftest import HIT_FIELDS

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def broker(*args: str, data: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "broker.cli", *args]
    if data is not None:
        command += ["--data", str(data)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_search_json_has_the_exact_contract(small_index: tuple[Settings, Path]) -> None:
    done = broker(
        "search",
        "familiebehandling",
        "--k",
        "3",
        "--json",
        "--kommune",
        "Hjørring",
        data=small_index[0].data_dir,
    )
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert {"query", "mode", "took_ms", "results"} <= set(body)
    assert body["mode"] == "hybrid" and body["query"] == "familiebehandling"
    assert 1 <= len(body["results"]) <= 3
    for rank, hit in enumerate(body["results"], 1):
        assert hit["rank"] == rank
        # exactly the documented fields; the command line runs on the server, so it also names the file there
        assert set(hit) == HIT_FIELDS | {"absolute_path"}
        assert hit["municipality"] == "Hjørring"


def test_human_search_output_is_a_readable_listing(small_index: tuple[Settings, Path]) -> None:
    done = broker("search", "anonym rådgivning", "--k", "2", data=small_index[0].data_dir)
    assert done.returncode == 0
    assert "Odense · Familiehuset" in done.stdout and "s. 1" in done.stdout


def test_ingest_json_reports_every_outcome(private_index: tuple[Settings, Path]) -> None:
    settings, corpus = private_index
    (corpus / "tom.txt").write_bytes(b"")
    done = broker("ingest", str(corpus), "--json", data=settings.data_dir)
    report = json.loads(done.stdout)
    assert done.returncode == 1  # a failed file makes the exit status non-zero (see --max-failed)
    assert report["counts"] == {
        "added": 0,
        "updated": 0,
        "unchanged": 9,
        "removed": 0,
        "renamed": 0,
        "failed": 1,
    }
    assert report["failed"][0]["code"] == "empty" and "tom" in report["failed"][0]["reason"]
    assert "Indlæser" not in done.stderr  # no progress bar when not a terminal
    tolerant = broker("ingest", str(corpus), "--json", "--max-failed", "1", data=settings.data_dir)
    assert tolerant.returncode == 0


def test_eval_json_has_all_modes(small_index: tuple[Settings, Path], tmp_path: Path) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        json.dumps(
            {
                "query": "familiebehandling",
                "relevant": ["hjoerring_kvalitetsstandard_familiebehandling_2019.txt"],
            }
        )
        + "\n"
        + json.dumps({"query": "aflastning", "relevant": {"aarhus_kvalitetsstandard_aflastning_2025.md": 2}})
        + "\n",
        encoding="utf-8",
    )
    done = broker("eval", "--queries", str(queries), "--json", data=small_index[0].data_dir)
    body = json.loads(done.stdout)
    assert body["k"] == 10 and body["queries"] == 2
    for mode in ("hybrid", "dense", "lexical"):
        assert set(body["modes"][mode]) == {"ndcg@10", "recall@10", "mrr@10", "p50_ms", "p95_ms"}
        assert body["modes"][mode]["mrr@10"] == 1.0


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("search", "børn"), 4, "Der er intet indeks"),
        (("search", "   "), 2, "Søgningen er tom"),
        (("search", "børn", "--mode", "magisk"), 2, "Ukendt søgetilstand"),
        (("search", "børn", "--kommune", "Atlantis"), 2, "Ukendt kommune"),
        (("eval", "--queries", "/findes/ikke.jsonl"), 2, "Kan ikke læse"),
        (("ingest", "/findes/ikke"), 2, "Findes ikke"),
    ],
)
def test_mistakes_are_one_clear_line_and_an_exit_status(
    args: tuple[str, ...], code: int, message: str, small_index: tuple[Settings, Path], tmp_path: Path
) -> None:
    data = tmp_path / "tom" if args[1] == "børn" and len(args) == 2 else small_index[0].data_dir
    done = broker(*args, data=data)
    assert done.returncode == code, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_ingest_shows_a_progress_bar_on_a_terminal(private_index: tuple[Settings, Path]) -> None:
    settings, corpus = private_index
    (corpus / "ny_fil.txt").write_text(
        "Et nyt notat om familiebehandling i Hjørring Kommune.", encoding="utf-8"
    )
    # The real CLI with its stderr on a pseudo-terminal, so its own terminal check decides.
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a 100-column terminal
    try:
        done = subprocess.run(
            [sys.executable, "-m", "broker.cli", "ingest", str(corpus), "--data", str(settings.data_dir)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=follower,
            timeout=300,
        )
        os.close(follower)
        follower = -1
        shown = b""
        while True:
            try:
                part = os.read(leader, 65536)
            except OSError:  # the terminal is closed once everything is read
                break
            if not part:
                break
            shown += part
    finally:
        if follower >= 0:
            os.close(follower)
        os.close(leader)
    assert done.returncode == 0
    bar = shown.decode("utf-8", "replace")
    assert "Indlæser" in bar and "10/10" in bar


def test_ingest_prints_no_progress_bar_when_stderr_is_not_a_terminal(
    private_index: tuple[Settings, Path],
) -> None:
    settings, corpus = private_index
    done = broker("ingest", str(corpus), data=settings.data_dir)
    assert done.returncode == 0
    assert "10/10" not in done.stderr and "9/9" not in done.stderr
