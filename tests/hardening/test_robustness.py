"""One bad record, one huge text, one read-only disk or one bug of ours never costs more than its own file."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import logging
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest

from broker.indexing import sync
from core.errors import BadFile, UnsupportedFile
from core.settings import Settings
from index.embed import Embedder
from ingest import pipeline
from ingest.pipeline import read_documents
from tests.ingest.ingest_files import build_kvalitetsstandard_pdf

ROOT = Path(__file__).resolve().parents[2]
TEXT = (
    "Viborg Kommune tilbyder familiebehandling i hjemmet efter Barnets Lov, og forløbet følges op hver måned."
)

# The project's own packages, as the layer contract lists them.
OWN_PACKAGES = tuple(
    tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8"))[
        "tool"
    ]["importlinter"]["root_packages"]
)


def bad_read(path: Path, settings: Settings, **kwargs: Any) -> BadFile:
    with pytest.raises(BadFile) as caught:
        read_documents(path, settings, **kwargs)
    return caught.value


# -- 8: a NUL byte costs one record, "%PDF-" inside an HTML page is no PDF -------------------------------


def test_a_json_lines_record_with_a_raw_nul_byte_is_dropped_with_a_reason_and_the_rest_kept(
    tmp_path: Path,
) -> None:
    lines = [
        json.dumps({"id": f"punkt-{n}", "titel": f"Dagsordenspunkt {n}", "tekst": TEXT}, ensure_ascii=False)
        for n in range(1, 5)
    ]
    raw = [line.encode("utf-8") for line in lines]
    raw[2] = raw[2].replace(b"hjemmet", b"hjem\x00met")
    path = tmp_path / "udvalg.jsonl"
    path.write_bytes(b"\n".join(raw) + b"\n")
    warnings: list[str] = []
    documents = read_documents(path, Settings(data_dir=tmp_path), warnings=warnings)
    assert sorted(d.sources[0].record_id or "" for d in documents) == ["punkt-1", "punkt-2", "punkt-4"]
    assert warnings == ["Linje 3: posten indeholder binære tegn (NUL-byte) og er sprunget over"]


def test_a_file_of_binary_lines_that_starts_like_json_is_still_refused_as_binary(tmp_path: Path) -> None:
    path = tmp_path / "ikke_eksport.jsonl"
    path.write_bytes(b'{"id": 1}\n' + (bytes(range(256)) * 4 + b"\n") * 5)
    with pytest.raises(UnsupportedFile, match="binær"):
        read_documents(path, Settings(data_dir=tmp_path))


def test_an_html_page_that_mentions_the_pdf_signature_early_is_read_as_html(tmp_path: Path) -> None:
    page = (
        "<!doctype html><html><head><title>Sådan gemmes afgørelser</title></head><body><main>"
        "<h1>Sådan gemmes afgørelser</h1><p>En PDF-fil begynder altid med %PDF-1.7. " + TEXT + "</p>"
        "</main></body></html>"
    )
    path = tmp_path / "vejledning.html"
    path.write_text(page, encoding="utf-8")
    (doc,) = read_documents(path, Settings(data_dir=tmp_path))
    assert doc.title == "Sådan gemmes afgørelser"
    assert "familiebehandling" in " ".join(c.text for c in doc.chunks)


def test_a_pdf_with_junk_before_its_signature_is_still_a_pdf(tmp_path: Path) -> None:
    path = tmp_path / "fra_mailgateway.pdf"
    path.write_bytes(b"X-Scanned-By: gateway\r\n\r\n" + build_kvalitetsstandard_pdf())
    (doc,) = read_documents(path, Settings(data_dir=tmp_path))
    assert doc.page_count > 1


# -- 9: a huge text is bounded, in time and in chunks ------------------------------------------------


def tiny_lines(count: int) -> bytes:
    return "".join(f"linje {n} om børn\n" for n in range(count)).encode("utf-8")


def test_chunking_a_huge_text_runs_inside_the_parse_time_limit(tmp_path: Path, e5: Embedder) -> None:
    """Parsing the file is quick; chunking it is slow (a slow tokenizer here, a million lines in the field)."""

    def slow_count(text: str) -> int:
        time.sleep(0.05)
        return e5.count_tokens(text)

    path = tmp_path / "mange_linjer.txt"
    path.write_bytes(tiny_lines(3_000))
    settings = Settings(data_dir=tmp_path, parse_timeout_s=2.0, max_chunks_per_document=100_000)
    error = bad_read(path, settings, count_tokens=slow_count)
    assert error.code == "timeout" and "for lang tid" in error.message


def test_a_document_over_the_chunk_cap_fails_with_a_danish_reason_and_the_batch_goes_on(
    tmp_path: Path, e5: Embedder
) -> None:
    folder = tmp_path / "kilde"
    folder.mkdir()
    (folder / "kæmpe.txt").write_bytes(tiny_lines(20_000))
    (folder / "notat.txt").write_text("Notat om familiebehandling\n\n" + TEXT, encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", max_chunks_per_document=20)
    report = sync([folder], settings, e5)
    assert [Path(p).name for p in report.added] == ["notat.txt"]
    (failure,) = report.failed
    assert Path(failure.path).name == "kæmpe.txt" and failure.code == "too_many_chunks"
    assert "over 20 tekststykker" in failure.reason and "BROKER_MAX_CHUNKS_PER_DOCUMENT" in failure.reason


def test_an_export_record_over_the_chunk_cap_is_dropped_alone(tmp_path: Path) -> None:
    huge = "\n\n".join(f"Afsnit {n}: " + TEXT for n in range(400))
    lines = [
        {"id": "kort", "titel": "Kort punkt", "tekst": TEXT},
        {"id": "langt", "titel": "Langt punkt", "tekst": huge},
    ]
    path = tmp_path / "eksport.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    warnings: list[str] = []
    (doc,) = read_documents(path, Settings(data_dir=tmp_path, max_chunks_per_document=10), warnings=warnings)
    assert doc.sources[0].record_id == "kort"
    assert len(warnings) == 1 and warnings[0].startswith("Post langt: Dokumentet er for langt")


# -- 10: a read-only data directory --------------------------------------------------------------------


def test_reindex_and_sources_add_on_a_read_only_data_directory_give_exit_74(
    private_index: tuple[Settings, Path], tmp_path: Path
) -> None:
    if shutil.which("unshare") is None:
        pytest.skip("unshare findes ikke")
    extra = tmp_path / "ekstra"
    extra.mkdir()
    (extra / "notat.txt").write_text(TEXT, encoding="utf-8")
    settings, corpus = private_index
    done = subprocess.run(
        [
            *("unshare", "-m", "--propagation", "private"),
            *(sys.executable, "-m", "tests.hardening.readonly_driver"),
            *(str(settings.data_dir), str(corpus), str(extra)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode == 77 or (done.returncode != 0 and "unshare" in done.stderr):
        pytest.skip(f"en lille tmpfs kan ikke monteres her: {done.stdout.strip() or done.stderr.strip()}")
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["register"]["code"] == 0, result["register"]
    for command in ("reindex", "sources_add"):
        outcome = result[command]
        assert outcome["code"] == 74, (command, outcome)
        assert "kan ikke skrives" in outcome["stderr"] and "Traceback" not in outcome["stderr"], command


# -- 11: our bugs are ours, and every library we import is declared ---------------------------------------


def _failing_html_parser(data: bytes) -> object:
    raise ImportError("lxml.html.clean module is now a separate project lxml_html_clean")


def test_an_unexpected_error_inside_a_parser_is_an_internal_failure_not_a_broken_file(
    tmp_path: Path, e5: Embedder, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "kilde"
    folder.mkdir()
    (folder / "side.html").write_text(
        "<!doctype html><html><head><title>Side</title></head><body><p>" + TEXT + "</p></body></html>",
        encoding="utf-8",
    )
    (folder / "notat.txt").write_text("Notat om familiebehandling\n\n" + TEXT, encoding="utf-8")
    monkeypatch.setitem(pipeline.PARSERS, "html", _failing_html_parser)
    with caplog.at_level(logging.ERROR, logger="ingest.pipeline"):
        report = sync([folder], Settings(data_dir=tmp_path / "data"), e5)
    (failure,) = report.failed
    assert Path(failure.path).name == "side.html" and failure.code == "internal"
    assert "Intern fejl" in failure.reason and "ImportError" not in failure.reason  # the class is for the log
    assert [Path(p).name for p in report.added] == ["notat.txt"]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Traceback" in logged and "lxml_html_clean" in logged and "side.html" in logged


# Imported only where an optional extra is installed, and brought in by that extra's package.
OPTIONAL = {"sentence_transformers": "sentence-transformers", "torch": "sentence-transformers"}
# Not imported by our code, but by a library we use, through an optional part of it.
NEEDED_THROUGH = {"lxml_html_clean": "trafilatura imports lxml.html.clean"}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared(requirements: list[str]) -> set[str]:
    return {_normal(re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0]) for r in requirements}


def _imported_modules() -> set[str]:
    names: set[str] = set()
    for package in OWN_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
    names |= {m.split(".")[0] for ms in pipeline._PARSER_IMPORTS.values() for m in ms}  # imported by name
    return names - {*OWN_PACKAGES, "__future__"} - set(sys.stdlib_module_names)


def test_every_third_party_import_is_a_declared_direct_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = _declared(project["dependencies"])
    extras = {name: _declared(reqs) for name, reqs in project["optional-dependencies"].items()}
    distributions = importlib.metadata.packages_distributions()
    missing = []
    for module in sorted(_imported_modules()):
        if module in OPTIONAL:
            assert any(_normal(OPTIONAL[module]) in reqs for reqs in extras.values()), module
            continue
        owners = {_normal(d) for d in distributions.get(module, [module])}
        if not owners & declared:
            missing.append(module)
    assert missing == []
    for distribution, why in NEEDED_THROUGH.items():
        assert _normal(distribution) in declared, why
