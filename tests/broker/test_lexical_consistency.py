"""Tantivy and SQLite in agreement: broker check sees a disagreement, a lost directory is rebuilt from SQLite,
and a document marked internal leaves lexical results at once, with no new generation."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from broker.indexing import sync
from broker.search import Engine
from core.errors import IndexMissing
from core.settings import Settings
from core.types import SearchFilters
from index.embed import Embedder
from index.generations import current_lexical
from index.lexical import lexical_path, write_generation
from index.store import Store
from index.verify import check_consistency

pytestmark = pytest.mark.slow


def problems(settings: Settings) -> list[str]:
    store = Store(settings.db_path)
    try:
        return check_consistency(store, settings.data_dir)
    finally:
        store.close()


def generation(settings: Settings) -> int:
    store = Store(settings.db_path)
    try:
        return current_lexical(store)
    finally:
        store.close()


def test_broker_check_sees_a_lexical_index_that_disagrees_with_sqlite(
    private_index: tuple[Settings, Path],
) -> None:
    settings, _ = private_index
    assert problems(settings) == []
    current = generation(settings)
    store = Store(settings.db_path)
    some_chunk = store.conn.execute("SELECT min(id) FROM chunks").fetchone()[0]
    store.close()
    write_generation(settings.data_dir, current + 1, base=current, remove=[some_chunk])
    store = Store(settings.db_path)
    with store.write():
        store.set_meta("lexical_generation", str(current + 1))
    store.close()
    assert any("leksikalske indeks afviger" in p and "(1 id'er)" in p for p in problems(settings))


def test_broker_check_sees_a_chunk_without_its_stored_lexical_entry(
    private_index: tuple[Settings, Path],
) -> None:
    """The vocabulary per visibility is counted from the stored entries: a missing one is a problem."""
    settings, _ = private_index
    store = Store(settings.db_path)
    with store.write() as conn:
        conn.execute("DELETE FROM chunks_lexical WHERE id = (SELECT min(id) FROM chunks)")
    store.close()
    assert any("gemte ordindgange afviger" in p and "(1 id'er)" in p for p in problems(settings))


def test_a_lost_lexical_directory_is_reported_and_the_next_write_rebuilds_it_from_sqlite(
    private_index: tuple[Settings, Path], e5: Embedder
) -> None:
    settings, corpus = private_index
    shutil.rmtree(lexical_path(settings.data_dir, generation(settings)))
    assert any("Ordindekset" in p and "kan ikke læses" in p for p in problems(settings))
    engine = Engine(settings, embedder=e5)
    with pytest.raises(IndexMissing, match="reindex --rebuild-lexical"):
        engine.search("familiebehandling", mode="lexical")
    engine.close()

    (corpus / "nyt.txt").write_text("Notat\n\nVejen Kommune, 2024.\n\nMentorordning for unge.", "utf-8")
    report = sync([corpus], settings, e5)
    assert report.chunks_embedded <= 1 and problems(settings) == []
    engine = Engine(settings, embedder=e5)
    assert engine.search("mentorordning", mode="lexical").results[0].source.endswith("nyt.txt")
    assert engine.search("familiebehandling", mode="lexical").results
    engine.close()


def test_a_document_marked_internal_leaves_lexical_results_without_a_new_generation(
    private_index: tuple[Settings, Path], e5: Embedder
) -> None:
    settings, _ = private_index
    engine = Engine(settings, embedder=e5)
    hit = engine.search("snerydning", mode="lexical").results[0]
    before = generation(settings)
    store = Store(settings.db_path)
    with store.write():
        store.set_internal([hit.doc_id], True)
    store.close()
    for filters in (None, SearchFilters(kommuner=[hit.municipality])):
        found = engine.search("snerydning", mode="lexical", k=50, filters=filters).results
        assert hit.doc_id not in {h.doc_id for h in found}
    allowed = SearchFilters(include_internal=True)
    assert hit.doc_id in {
        h.doc_id for h in engine.search("snerydning", mode="lexical", filters=allowed).results
    }
    engine.close()
    assert generation(settings) == before
