"""The demo corpus is what its sources build: scripts/build_corpus.py gives corpus/ byte for byte."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CORPUS

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
FONTS = Path("/usr/share/fonts/truetype/dejavu")


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_building_the_sources_gives_the_corpus_byte_for_byte(tmp_path: Path) -> None:
    if not (FONTS / "DejaVuSans.ttf").exists():
        pytest.skip("DejaVu-skrifterne mangler: apt-get install fonts-dejavu-core")
    out = tmp_path / "corpus"
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build_corpus.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    built, kept = files(out), files(CORPUS)
    assert sorted(built) == sorted(kept)
    assert [name for name in built if built[name] != kept[name]] == []
    # The judged files stay out of the index, so a rebuilt corpus indexes the same documents.
    assert (out / ".brokerignore").read_text("utf-8").split() == [
        "queries.jsonl",
        "manifest.json",
        "compare.jsonl",
        "answers.jsonl",
    ]
