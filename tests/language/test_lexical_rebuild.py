"""A new analyzer version (or an FTS5-era data directory) rebuilds the lexical index from stored text, in one
transaction, without embedding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from bench.fts5 import make_fts5_era
from broker.cli import app
from broker.indexing import sync
from broker.lexical_sync import lexical_outdated, rebuild_lexical
from broker.search import Engine
from core.settings import Settings
from index.embed import Embedder
from index.generations import current_lexical
from index.lexical import LexicalIndex, lexical_path
from index.lexicon import ANALYZER_KEY, ANALYZER_VERSION
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
    """Turn the index into an FTS5-era one built before compound parts: a single "terms" column, no
    vocabulary, no analyzer version, no Tantivy generation."""
    make_fts5_era(settings.data_dir, columns=("terms",))
    store = Store(settings.db_path)
    with store.write() as conn:
        for table in ("words_vocab", "chunks_words", "chunks_lexical", "vocabulary"):
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.execute("DELETE FROM meta WHERE key = ?", (ANALYZER_KEY,))
    store.close()


def lexical_ids(settings: Settings, store: Store) -> set[int]:
    return LexicalIndex.load(lexical_path(settings.data_dir, current_lexical(store))).ids()


def test_an_index_records_its_analyzer_version(small_index: tuple[Settings, Path]) -> None:
    store = Store(small_index[0].db_path)
    assert store.get_meta(ANALYZER_KEY) == ANALYZER_VERSION
    assert current_lexical(store) > 0 and store.fts_columns() == ()  # Tantivy, no FTS5 index
    assert not lexical_outdated(store)
    store.close()


def test_an_old_index_still_searches_and_the_next_ingest_rebuilds_it_without_embedding(
    private_index: tuple[Settings, Path], e5: Embedder, capsys: pytest.CaptureFixture[str]
) -> None:
    settings, corpus = private_index
    make_old(settings)
    engine = Engine(settings, embedder=e5)
    old = engine.search("familiebehandling", mode="lexical", k=3)
    assert old.results  # the old layout is searched as it is
    engine.close()

    report = sync([corpus], settings, NoEmbedding(e5))
    assert report.chunks_embedded == 0
    assert "flyttet fra SQLite FTS5 til Tantivy" in capsys.readouterr().err
    store = Store(settings.db_path)
    assert store.get_meta(ANALYZER_KEY) == ANALYZER_VERSION
    assert store.fts_columns() == ()  # the FTS5 index is gone: Tantivy replaces it
    chunk_ids = {r[0] for r in store.conn.execute("SELECT id FROM chunks")}
    assert lexical_ids(settings, store) == chunk_ids
    assert store.conn.execute("SELECT count(*) FROM chunks_lexical").fetchone()[0] == len(chunk_ids)
    assert store.has_vocabulary() and "familiebehandling" in store.vocabulary("words")
    store.close()
    engine = Engine(settings, embedder=e5)
    found = engine.search("behandling af familier", mode="lexical", k=1, collapse=True)  # compound parts
    assert Path(found.results[0].source).name == "hjoerring_kvalitetsstandard_familiebehandling_2019.txt"
    engine.close()


def test_an_fts5_era_index_with_parts_migrates_on_a_removal_too(private_index: tuple[Settings, Path]) -> None:
    settings, _corpus = private_index
    make_fts5_era(settings.data_dir)
    from broker.indexing import remove_documents

    store = Store(settings.db_path)
    doc_id = store.conn.execute("SELECT doc_id FROM documents ORDER BY doc_id LIMIT 1").fetchone()[0]
    store.close()
    removed = remove_documents([doc_id], settings)
    store = Store(settings.db_path)
    assert removed and current_lexical(store) > 0 and store.fts_columns() == ()
    assert lexical_ids(settings, store) == {r[0] for r in store.conn.execute("SELECT id FROM chunks")}
    store.close()


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
    generation = current_lexical(store)
    assert lexical_ids(settings, store) == {r[0] for r in store.conn.execute("SELECT id FROM chunks")}
    assert rebuild_lexical(store) == store.counts()["chunks"]
    assert current_lexical(store) == generation + 1
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
    current = current_lexical(store)
    assert store.fts_columns() == () and store.get_meta(ANALYZER_KEY) == ANALYZER_VERSION
    assert lexical_ids(settings, store) == {r[0] for r in store.conn.execute("SELECT id FROM chunks")}
    store.close()
    assert sorted(p.name for p in settings.data_dir.glob("lexical.*"))[-1] == f"lexical.{current}"
