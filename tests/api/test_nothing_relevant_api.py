"""The API and the command line say so when nothing relevant is found."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from core.settings import Settings

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def test_the_api_answers_nonsense_with_no_results_and_a_reason(client: httpx.Client) -> None:
    body = client.get("/api/search", params={"q": "xyzzyqwerty"}).json()
    assert body["results"] == []
    assert body["no_results_reason"].startswith("Intet relevant")
    found = client.get("/api/search", params={"q": "familiebehandling"}).json()
    assert found["results"] and found["no_results_reason"] is None


def test_the_command_line_says_nothing_relevant_in_danish(small_index: tuple[Settings, Path]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "broker.cli", "search", "xyzzyqwerty", "--data", str(small_index[0].data_dir)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0
    assert "Ingen resultater for »xyzzyqwerty«." in done.stdout and "Intet relevant" in done.stdout
