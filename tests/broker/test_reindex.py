"""The weekly re-index: incremental, deletes propagate, atomic for readers, one at a time, crash-safe."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from broker.reindex import add_source, list_sources, reindex, remove_source
from broker.search import Engine
from core.errors import IndexBusy
from core.settings import Settings
from index.embed import Embedder
from index.lock import WriteLock
from index.store import Store
from index.verify import check_consistency

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def registered(private_index: tuple[Settings, Path]) -> tuple[Settings, Path]:
    settings, corpus = private_index
    add_source(settings, corpus, name="korpus")
    return settings, corpus


def names(paths: list[str]) -> list[str]:
    return sorted(Path(p.split(" -> ")[-1]).name for p in paths)


def documents(settings: Settings) -> dict[str, str]:
    """Source file name -> doc id, as the index holds them now."""
    store = Store(settings.db_path)
    rows = store.conn.execute("SELECT path, doc_id FROM sources").fetchall()
    store.close()
    return {Path(p).name: d for p, d in rows}


def assert_consistent(settings: Settings) -> None:
    store = Store(settings.db_path)
    problems = check_consistency(store, settings.data_dir)
    store.close()
    assert problems == []


def test_add_change_rename_delete_and_a_failing_file_across_runs(
    registered: tuple[Settings, Path], e5: Embedder
) -> None:
    settings, corpus = registered
    first = reindex(settings, e5)
    assert first.failed == [] and first.chunks_embedded == 0 and len(first.unchanged) == 9

    (corpus / "nyt_notat.txt").write_text(
        "Notat om ungdomsklubber\n\nVejen Kommune, 2024.\n\nKlubberne åbner.", "utf-8"
    )
    (corpus / "vejle_vejvedligeholdelse_2023.txt").write_text(
        "Notat\n\nVejle Kommune, 2023.\n\nCykelstier.", "utf-8"
    )
    (corpus / "odense_familiehus_2020.md").rename(corpus / "odense_familiehuset_omdoebt.md")
    (corpus / "greve_kvalitetsstandard_plejefamilier_2022.txt").unlink()
    (corpus / "ødelagt.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <<")
    second = reindex(settings, e5)
    assert names(second.added) == ["nyt_notat.txt"]
    assert names(second.updated) == ["vejle_vejvedligeholdelse_2023.txt"]
    assert names(second.renamed) == ["odense_familiehuset_omdoebt.md"]
    assert names(second.removed) == ["greve_kvalitetsstandard_plejefamilier_2022.txt"]
    assert [Path(f.path).name for f in second.failed] == ["ødelagt.pdf"]
    assert (
        second.chunks_embedded == 2
    )  # only the new and the changed text; the renamed file is not re-embedded

    held = documents(settings)
    assert "greve_kvalitetsstandard_plejefamilier_2022.txt" not in held
    assert "odense_familiehus_2020.md" not in held and "odense_familiehuset_omdoebt.md" in held
    engine = Engine(settings, embedder=e5)
    for mode in ("lexical", "dense", "hybrid"):
        sources = [
            Path(h.source).name for h in engine.search("plejefamilie supervision", k=20, mode=mode).results
        ]
        assert "greve_kvalitetsstandard_plejefamilier_2022.txt" not in sources
    assert (
        engine.search("cykelstier", mode="lexical")
        .results[0]
        .source.endswith("vejle_vejvedligeholdelse_2023.txt")
    )
    engine.close()
    assert_consistent(settings)

    (corpus / "ødelagt.pdf").unlink()
    third = reindex(settings, e5)
    assert third.failed == [] and third.chunks_embedded == 0
    assert len(third.unchanged) == 9


def test_the_last_report_is_kept_for_the_status_view(registered: tuple[Settings, Path], e5: Embedder) -> None:
    settings, _ = registered
    reindex(settings, e5)
    store = Store(settings.db_path)
    last = store.get_json("last_reindex")
    store.close()
    assert last["finished"] > 0 and len(last["unchanged"]) == 9


def test_a_missing_source_folder_is_a_failure_not_a_mass_delete(
    registered: tuple[Settings, Path], e5: Embedder, tmp_path: Path
) -> None:
    settings, corpus = registered
    corpus.rename(tmp_path / "væk")
    report = reindex(settings, e5)
    assert [f.code for f in report.failed] == ["source_missing"]
    assert report.removed == []
    assert len(documents(settings)) == 9


def test_removing_a_source_removes_its_documents(registered: tuple[Settings, Path], e5: Embedder) -> None:
    settings, _ = registered
    report = remove_source(settings, "korpus", e5)
    assert len(report.removed) == 9
    assert list_sources(settings) == [] and documents(settings) == {}
    assert_consistent(settings)


def test_searches_during_a_reindex_see_the_old_or_the_new_state(
    registered: tuple[Settings, Path], e5: Embedder
) -> None:
    settings, corpus = registered
    old = {n for n in documents(settings)}
    for i in range(3):
        (corpus / f"ny_{i}.txt").write_text(
            f"Notat {i}\n\nVejen Kommune, 2024.\n\nFamiliebehandling {i}.", "utf-8"
        )
    (corpus / "hjoerring_kvalitetsstandard_familiebehandling_2019.txt").unlink()
    new = (old - {"hjoerring_kvalitetsstandard_familiebehandling_2019.txt"}) | {
        f"ny_{i}.txt" for i in range(3)
    }
    engine = Engine(settings, embedder=e5)
    errors: list[BaseException] = []
    seen: list[set[str]] = []
    done = threading.Event()

    def searching() -> None:
        while not done.is_set():
            try:
                with engine.store.snapshot():  # one state per round: the documents and the hits
                    result = engine.search("familiebehandling", k=50, mode="hybrid")
                    state = {Path(p).name for (p,) in engine.store.conn.execute("SELECT path FROM sources")}
                seen.append(state)
                assert state in (old, new), state
                assert {Path(h.source).name for h in result.results} <= state
            except BaseException as exc:
                errors.append(exc)
                return

    reader = threading.Thread(target=searching)
    reader.start()
    reindex(settings, e5)
    done.set()
    reader.join()
    assert errors == []
    after = engine.search(
        "familiebehandling", k=50, mode="hybrid"
    )  # the running engine picks up the new state
    engine.close()
    assert {Path(h.source).name for h in after.results} <= new
    assert old in seen or new in seen


def start_driver(settings: Settings, pause_at: str) -> subprocess.Popen[str]:
    # Without the shared vector cache, so the run really embeds and can be killed while it does.
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.broker.reindex_driver", str(settings.data_dir), pause_at],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "BROKER_EMBED_CACHE": ""},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("PAUSED"), line
    return process


def test_a_second_reindex_while_one_runs_exits_at_once(
    registered: tuple[Settings, Path], e5: Embedder
) -> None:
    settings, corpus = registered
    (corpus / "ny.txt").write_text("Notat\n\nVejen Kommune, 2024.\n\nEn ny tekst.", "utf-8")
    first = start_driver(settings, "scanned")
    try:
        with pytest.raises(IndexBusy, match="optaget"):
            reindex(settings, e5)
        cli = subprocess.run(
            [sys.executable, "-m", "broker.cli", "reindex", "--data", str(settings.data_dir)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert cli.returncode == 75
        assert "optaget" in cli.stderr and "Traceback" not in cli.stderr
    finally:
        first.kill()
        first.wait()
        if first.stdout is not None:  # the pipe is closed, not left to the collector
            first.stdout.close()


def test_a_stale_lock_from_a_dead_process_is_taken_over(
    registered: tuple[Settings, Path], e5: Embedder
) -> None:
    settings, _ = registered
    settings.lock_path.write_text(json.dumps({"pid": 999999, "host": "x", "since": 0}))
    dead = start_driver(settings, "scanned")
    dead.send_signal(signal.SIGKILL)
    dead.wait()
    if dead.stdout is not None:  # the pipe is closed, not left to the collector
        dead.stdout.close()
    report = reindex(settings, e5)
    assert len(report.unchanged) == 9
    with WriteLock(settings.lock_path):
        pass


@pytest.mark.parametrize("stage", ["scanned", "embedded-batch", "written", "lexical", "saved", "committed"])
def test_a_reindex_killed_at_any_stage_loses_nothing_and_the_next_run_finishes(
    registered: tuple[Settings, Path], e5: Embedder, stage: str
) -> None:
    settings, corpus = registered
    before = documents(settings)
    (corpus / "ny.txt").write_text(
        "Notat om mentorordning\n\nVejen Kommune, 2024.\n\nMentorer for unge.", "utf-8"
    )
    (corpus / "vejle_vejvedligeholdelse_2023.txt").unlink()
    process = start_driver(settings, stage)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    if process.stdout is not None:  # the pipe is closed, not left to the collector
        process.stdout.close()

    assert_consistent(settings)
    engine = Engine(settings, embedder=e5)
    state = documents(settings)
    assert state == before or ("ny.txt" in state and "vejle_vejvedligeholdelse_2023.txt" not in state)
    assert engine.search("familiebehandling", k=3).results  # the previous state keeps serving
    lexical = {
        Path(h.source).name
        for h in engine.search("mentorer vejvedligeholdelse", k=20, mode="lexical").results
    }
    assert lexical <= set(
        state
    )  # no hit for a chunk the committed state lacks (Tantivy written, not committed)
    engine.close()

    report = reindex(settings, e5)
    after = documents(settings)
    assert "ny.txt" in after and "vejle_vejvedligeholdelse_2023.txt" not in after
    if stage in ("embedded-batch", "written", "lexical", "saved", "committed"):
        assert report.chunks_embedded == 0  # vectors saved before the kill are not embedded again
    assert_consistent(settings)
