"""A new analyzer version rebuilds the lexical index from stored text, in one transaction, without embedding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from broker.cli import app
from broker.indexing import lexical_outdated, rebuild_lexical, sync
from broker.search import Engine
from core.settings import Settings
from index.embed import Embedder
from index.lexicon import ANALYZER_KEY, ANALYZER_VERSION, FTS_COLUMNS
from index.store import Store

pytestmark = pytest.mark.slow


class NoEmbedding:
    """An embedder that must not be asked for vectors: everything needed is in the cache."""

    def __init__(self, real: Embedder) -> None:
        self.id, self.dim = real.id, real.dim
        self.count_tokens = real.count_tokens

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        raise AssertionError(f"embedded {len(texts)} passages")

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        raise AssertionError("embedded a query")


def make_old(settings: Settings) -> None:
    """Turn the index into one built before compound parts: a single "terms" column, no analyzer version."""
    store = Store(settings.db_path)
    with store.write() as conn:
        rows = [(cid, text) for cid, text in conn.execute("SELECT rowid, terms FROM chunks_fts")]
        store.reset_lexical(("terms",))
        conn.execute("DROP TABLE IF EXISTS words_vocab")
        conn.execute("DROP TABLE IF EXISTS chunks_words")
        store.put_lexical(rows)
        conn.execute("DELETE FROM meta WHERE key = ?", (ANALYZER_KEY,))
    store.close()


def test_an_index_records_its_analyzer_version(small_index: tuple[Settings, Path]) -> None:
    store = Store(small_index[0].db_path)
    assert store.get_meta(ANALYZER_KEY) == ANALYZER_VERSION
    assert store.fts_columns() == FTS_COLUMNS
    assert not lexical_outdated(store)
    store.close()


def test_an_old_index_still_searches_and_the_next_ingest_rebuilds_it_without_embedding(
    private_index: tuple[Settings, Path], e5: Embedder
) -> None:
    settings, corpus = private_index
    make_old(settings)
    engine = Engine(settings, embedder=e5)
    old = engine.search("familiebehandling", mode="lexical", k=3)
    assert old.results  # the old layout is searched as it is
    engine.close()

    report = sync([corpus], settings, NoEmbedding(e5))
    assert report.chunks_embedded == 0
    store = Store(settings.db_path)
    assert store.get_meta(ANALYZER_KEY) == ANALYZER_VERSION
    assert store.fts_columns() == FTS_COLUMNS
    chunks = store.counts()["chunks"]
    assert store.conn.execute("SELECT count(*) FROM chunks_fts").fetchone()[0] == chunks
    assert store.conn.execute("SELECT count(*) FROM chunks_words").fetchone()[0] == chunks
    assert store.vocabulary("parts")  # compound parts are there now
    store.close()
    engine = Engine(settings, embedder=e5)
    found = engine.search("behandling af familier", mode="lexical", k=1, collapse=True)
    assert Path(found.results[0].source).name == "hjoerring_kvalitetsstandard_familiebehandling_2019.txt"
    engine.close()


def test_rebuild_lexical_is_one_transaction_and_a_running_engine_sees_it(
    private_index: tuple[Settings, Path], e5: Embedder
) -> None:
    settings, _corpus = private_index
    engine = Engine(settings, embedder=e5)
    before = engine.search("behandling af familier", mode="lexical", k=5).results
    store = Store(settings.db_path)
    with pytest.raises(RuntimeError), store.write():  # a failure half-way leaves the old index in place
        rebuild_lexical(store)
        raise RuntimeError("afbrudt")
    assert store.fts_columns() == FTS_COLUMNS
    assert store.conn.execute("SELECT count(*) FROM chunks_fts").fetchone()[0] == store.counts()["chunks"]
    assert rebuild_lexical(store) == store.counts()["chunks"]
    store.close()
    after = engine.search("behandling af familier", mode="lexical", k=5).results
    assert [h.chunk_id for h in after] == [h.chunk_id for h in before]
    engine.close()


def test_broker_reindex_rebuild_lexical(private_index: tuple[Settings, Path]) -> None:
    settings, _corpus = private_index
    make_old(settings)
    result = CliRunner().invoke(app, ["reindex", "--rebuild-lexical", "--data", str(settings.data_dir)])
    assert result.exit_code == 0, result.output
    assert "Ordindekset er genopbygget" in result.output
    store = Store(settings.db_path)
    assert store.fts_columns() == FTS_COLUMNS and store.get_meta(ANALYZER_KEY) == ANALYZER_VERSION
    store.close()
