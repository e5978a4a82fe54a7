"""The layer contract in pyproject.toml holds, and it would catch an import running back up the flow."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "language", "ingest", "index", "broker", "api")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    # lint-imports analyses the packages found from the working directory, so a copy can be checked too.
    script = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    return subprocess.run(
        [sys.executable, "-c", script, "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_the_project_keeps_its_layers() -> None:
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 kept, 0 broken" in done.stdout


def test_an_import_back_up_the_flow_breaks_the_contract(tmp_path: Path) -> None:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "static")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    store = tmp_path / "index" / "store" / "__init__.py"
    store.write_text(store.read_text() + "\nfrom broker import search as _upward  # noqa\n")

    done = lint_imports(tmp_path)

    assert done.returncode != 0
    assert "1 kept, 1 broken" in done.stdout
    assert "index.store -> broker.search" in done.stdout
