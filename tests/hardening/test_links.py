"""Sources never leave their root: links are not followed (unless a source opts in, and then only inside it),
special files are skipped with a reason, originals are served only through their real path, and a bad
.brokerignore line is reported and ignored."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from broker.indexing import sync
from broker.reindex import add_source, list_sources, reindex
from core.settings import Settings
from index.embed import Embedder
from index.store import Store
from tests.api.conftest import serve

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
OUTSIDE_TEXT = (
    "Fortroligt notat\n\nViborg Kommune, 2024.\n\nSkjulestedet for nøglerne er Brummelundeskabet i kælderen, "
    "og det må aldrig stå i et offentligt dokument."
)
INSIDE_TEXT = (
    "Notat om familiebehandling\n\nSkive Kommune, 2023.\n\nFamiliebehandlingen i Skive foregår i hjemmet, "
    "og forløbet følges op hver tredje måned af familiens rådgiver."
)


def indexed_paths(settings: Settings) -> set[str]:
    store = Store(settings.db_path)
    try:
        return {row[0] for row in store.conn.execute("SELECT path FROM sources")}
    finally:
        store.close()


def chunk_text(settings: Settings) -> str:
    store = Store(settings.db_path)
    try:
        return "\n".join(row[0] for row in store.conn.execute("SELECT text FROM chunks"))
    finally:
        store.close()


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Path, Path]:
    """A source folder with one real document, and a folder outside it with a secret and a subfolder."""
    source = tmp_path / "kilde"
    (source / "arkiv").mkdir(parents=True)
    (source / "arkiv" / "skive_notat_2023.txt").write_text(INSIDE_TEXT, encoding="utf-8")
    outside = tmp_path / "udenfor"
    (outside / "mappe").mkdir(parents=True)
    (outside / "hemmelig.txt").write_text(OUTSIDE_TEXT, encoding="utf-8")
    (outside / "mappe" / "hemmelig2.txt").write_text(OUTSIDE_TEXT, encoding="utf-8")
    return source, outside


def test_links_in_a_source_are_not_followed_and_are_reported(
    layout: tuple[Path, Path], tmp_path: Path, e5: Embedder
) -> None:
    source, outside = layout
    (source / "passwd.txt").symlink_to("/etc/passwd")
    (source / "hemmelig.txt").symlink_to(outside / "hemmelig.txt")
    (source / "genvej").symlink_to(outside / "mappe", target_is_directory=True)
    (source / "kopi.txt").symlink_to(source / "arkiv" / "skive_notat_2023.txt")  # inside, still a link
    settings = Settings(data_dir=tmp_path / "data")
    add_source(settings, source, "kilde")

    report = reindex(settings, e5)

    assert not report.failed
    assert indexed_paths(settings) == {str((source / "arkiv" / "skive_notat_2023.txt").resolve())}
    assert "Brummelundeskabet" not in chunk_text(settings) and "root:" not in chunk_text(settings)
    skipped = {Path(s.path).name: s for s in report.skipped}
    assert set(skipped) == {"passwd.txt", "hemmelig.txt", "genvej", "kopi.txt"}
    assert all(s.code == "symlink" and "--follow-links" in s.reason for s in skipped.values())


def test_a_source_that_opts_in_follows_links_only_inside_its_root(
    layout: tuple[Path, Path], tmp_path: Path, e5: Embedder
) -> None:
    source, outside = layout
    (source / "aktuelt").mkdir()
    (source / "aktuelt" / "notat.txt").symlink_to(source / "arkiv" / "skive_notat_2023.txt")
    (source / "arkivet").symlink_to(source / "arkiv", target_is_directory=True)
    (source / "rundt").symlink_to(source, target_is_directory=True)  # a loop back to the root
    (source / "hemmelig.txt").symlink_to(outside / "hemmelig.txt")
    (source / "smutvej.txt").symlink_to(Path("..") / "udenfor" / "hemmelig.txt")  # relative, still outside
    (source / "genvej").symlink_to(outside / "mappe", target_is_directory=True)
    settings = Settings(data_dir=tmp_path / "data")
    added = add_source(settings, source, "kilde", follow_links=True)
    assert added["follow_links"] and list_sources(settings)[0]["follow_links"]

    report = reindex(settings, e5)

    assert not report.failed
    # Every link inside the root leads to the one real file: it is indexed once, under its real path.
    assert indexed_paths(settings) == {str((source / "arkiv" / "skive_notat_2023.txt").resolve())}
    assert "Brummelundeskabet" not in chunk_text(settings)
    outside_links = {Path(s.path).name for s in report.skipped if s.code == "outside_source"}
    assert outside_links == {"hemmelig.txt", "smutvej.txt", "genvej"}


def test_special_files_are_skipped_with_a_reason_and_do_not_stop_the_run(
    layout: tuple[Path, Path], tmp_path: Path, e5: Embedder
) -> None:
    source, _ = layout
    os.mkfifo(source / "ventende.txt")  # reading a fifo would block the job for ever
    settings = Settings(data_dir=tmp_path / "data")
    report = sync([source], settings, e5)

    assert not report.failed and len(report.added) == 1
    assert [(Path(s.path).name, s.code) for s in report.skipped] == [("ventende.txt", "special_file")]
    assert "fifo" in report.skipped[0].reason


def test_a_bad_brokerignore_line_is_reported_and_the_others_still_apply(
    layout: tuple[Path, Path], tmp_path: Path, e5: Embedder
) -> None:
    source, _ = layout
    (source / "kladde.tmp").write_text("Kladde om ingenting.", encoding="utf-8")
    (source / ".brokerignore").write_text("# mønstre\n[z-a]\n*.tmp\n", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data")

    report = sync([source], settings, e5)

    assert not report.failed
    assert [Path(p).name for p in report.added] == ["skive_notat_2023.txt"]  # *.tmp still ignored
    [problem] = report.skipped
    assert Path(problem.path) == source / ".brokerignore" and problem.code == "ignore_pattern"
    assert "Linje 2" in problem.reason and "[z-a]" in problem.reason and "ignoreres" in problem.reason

    done = subprocess.run(
        [sys.executable, "-m", "broker.cli", "ingest", str(source), "--data", str(tmp_path / "cli")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "Linje 2" in done.stdout and "[z-a]" in done.stdout


def test_a_file_replaced_by_a_link_after_indexing_is_not_served(
    private_index: tuple[Settings, Path], tmp_path: Path, e5: Embedder
) -> None:
    settings, corpus = private_index
    secret = tmp_path / "hemmelig.txt"
    secret.write_text(OUTSIDE_TEXT, encoding="utf-8")
    store = Store(settings.db_path)
    try:
        doc_id, path = store.conn.execute(
            "SELECT doc_id, path FROM sources WHERE path LIKE '%.txt' ORDER BY path LIMIT 1"
        ).fetchone()
        other_id, other = store.conn.execute(
            "SELECT doc_id, path FROM sources WHERE path LIKE '%.md' ORDER BY path LIMIT 1"
        ).fetchone()
    finally:
        store.close()

    with serve(settings, e5) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        assert http.get(f"/api/documents/{doc_id}/file").status_code == 200
        Path(path).unlink()
        Path(path).symlink_to(secret)  # the file itself becomes a link
        served = http.get(f"/api/documents/{doc_id}/file")
        assert served.status_code == 404 and "Brummelundeskabet" not in served.text

        assert http.get(f"/api/documents/{other_id}/file").status_code == 200
        real = corpus.with_name("corpus-real")
        corpus.rename(real)  # a folder on the way becomes a link to somewhere else
        decoy = tmp_path / "decoy"
        decoy.mkdir()
        shutil.copy(secret, decoy / Path(other).name)
        corpus.symlink_to(decoy, target_is_directory=True)
        served = http.get(f"/api/documents/{other_id}/file")
        assert served.status_code == 404 and "Brummelundeskabet" not in served.text


def test_a_registered_source_swapped_for_a_link_is_not_read(
    layout: tuple[Path, Path], tmp_path: Path, e5: Embedder
) -> None:
    source, outside = layout
    settings = Settings(data_dir=tmp_path / "data")
    add_source(settings, source, "kilde")
    assert len(reindex(settings, e5).added) == 1
    source.rename(tmp_path / "kilde-gammel")
    source.symlink_to(outside, target_is_directory=True)

    report = reindex(settings, e5)

    assert [f.code for f in report.failed] == ["source_link"]
    assert "Brummelundeskabet" not in chunk_text(settings) and len(indexed_paths(settings)) == 1


def test_a_symlink_served_through_a_live_server_never_reaches_etc_passwd(
    layout: tuple[Path, Path], tmp_path: Path, e5: Embedder
) -> None:
    source, _ = layout
    (source / "passwd.txt").symlink_to("/etc/passwd")
    settings = Settings(data_dir=tmp_path / "data")
    add_source(settings, source, "kilde")
    reindex(settings, e5)
    with serve(settings, e5) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        docs = http.get("/api/documents", params={"per_page": 200}).json()["documents"]
        assert len(docs) == 1
        for doc in docs:
            served = http.get(f"/api/documents/{doc['doc_id']}/file")
            assert served.status_code == 200 and "root:" not in served.text
        found = http.get("/api/search", params={"q": "root bin bash nologin", "mode": "lexical"}).json()
        assert found["results"] == [] or all("root:" not in h["text"] for h in found["results"])
