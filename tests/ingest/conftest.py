"""Shared fixtures for the ingest tests: real files built on the fly (see ingest_files.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from core.settings import Settings
from tests.ingest.ingest_files import build_docx, build_kvalitetsstandard_pdf, build_scanned_pdf


@pytest.fixture(scope="session")
def kvalitetsstandard_pdf() -> bytes:
    return build_kvalitetsstandard_pdf()


@pytest.fixture(scope="session")
def scanned_pdf() -> bytes:
    return build_scanned_pdf(
        [
            "Kvalitetsstandard for aflastning",
            "",
            "Hjørring Kommune tilbyder aflastning til familier",
            "med børn og unge med særlige behov.",
            "Formålet er at støtte forældrene og give barnet",
            "gode oplevelser i trygge rammer.",
        ]
    )


@pytest.fixture(scope="session")
def docx_bytes() -> bytes:
    return build_docx()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", parse_timeout_s=30)


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, bytes], Path]:
    """Write bytes to a file (name with æøå welcome) in a fresh folder and return its path."""

    def _write(name: str, data: bytes) -> Path:
        path = tmp_path / "filer" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    return _write
