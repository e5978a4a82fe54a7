"""The chunks' documents held in memory: the same facts as the store, for the index state they were read in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from broker.search import Engine
from broker.search.doc_table import DocFields
from core.settings import Settings
from core.types import SearchFilters
from index.embed import Embedder
from tests.broker.test_preload import NEW_FILE, reindexed

QUERIES = ["familiebehandling", "sagstal pr. rådgiver", "åben anonym rådgivning", "underretninger"]
FILTERS = [
    None,
    SearchFilters(kommuner=["Herning"]),
    SearchFilters(types=["kvalitetsstandard"], year_from=2020),
    SearchFilters(exclude_kommuner=["Aarhus"]),
]


@pytest.fixture(scope="module")
def preloaded(demo_index: tuple[Settings, object], e5: Embedder) -> Iterator[Engine]:
    engine = Engine(demo_index[0], embedder=e5)
    engine.preload()
    yield engine
    engine.close()


def test_every_chunk_has_the_document_the_store_gives_it(preloaded: Engine) -> None:
    store = preloaded.store
    with store.snapshot():
        table = preloaded.loaded.doc_table()
        assert table is not None
        ids = [int(i) for i in store.chunk_ids()]
        rows = store.chunk_rows(ids)
        assert len(table) == len(ids)
        assert table.rows(ids) == {
            i: DocFields(r.doc_id, r.municipality, r.region, r.doc_type, r.year) for i, r in rows.items()
        }
        assert table.doc_ids_of(ids) == store.doc_ids_of(ids)


def test_an_id_no_chunk_has_is_left_out_as_the_store_leaves_it_out(preloaded: Engine) -> None:
    with preloaded.store.snapshot():
        table = preloaded.loaded.doc_table()
        assert table is not None
        known = int(preloaded.store.chunk_ids()[0])
        missing = [-1, 0, 10**9]
        assert set(table.rows([*missing, known])) == {known}
        assert table.rows([]) == {}


@pytest.mark.parametrize("filters", FILTERS, ids=["none", "kommune", "type+year", "exclude"])
def test_facets_and_collapsed_results_are_the_same_with_the_table_as_without(
    preloaded: Engine, demo_engine: Engine, filters: SearchFilters | None
) -> None:
    assert demo_engine.loaded.doc_table() is None  # never preloaded: it reads the rows from the store
    for query in QUERIES:
        for collapse in (False, True):
            with_table = preloaded.search(query, k=10, filters=filters, collapse=collapse, facets=True)
            from_rows = demo_engine.search(query, k=10, filters=filters, collapse=collapse, facets=True)
            assert with_table.facets == from_rows.facets
            assert with_table.matched == from_rows.matched
            assert [h.chunk_id for h in with_table.results] == [h.chunk_id for h in from_rows.results]


def test_a_table_of_an_earlier_index_state_is_never_used(
    copied_engine: Engine, e5: Embedder, tmp_path: Path
) -> None:
    engine = copied_engine
    engine.preload()
    with engine.store.snapshot():
        before = engine.loaded.doc_table()
        assert before is not None
    reindexed(tmp_path / "data", tmp_path, e5)
    with engine.store.snapshot():
        assert engine.loaded.doc_table() is None  # the search reads the new rows instead
    found = engine.search("ridefysioterapi på hesteryg", k=3, facets=True)
    assert found.results[0].source.endswith(NEW_FILE)
    assert found.facets is not None and "Viborg" in found.facets["municipality"]
    engine.preload()
    with engine.store.snapshot():
        after = engine.loaded.doc_table()
        assert after is not None and len(after) > len(before)
        new = found.results[0].chunk_id
        assert after.doc_ids_of([new]) == {new: found.results[0].doc_id}
