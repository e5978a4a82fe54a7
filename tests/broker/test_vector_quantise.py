"""An IVF index keeps its vectors as 16-bit floats from `ann_quantise_threshold` vectors, and follows the setting."""

from __future__ import annotations

from pathlib import Path

from broker.indexing import sync
from broker.search import Engine
from core.settings import Settings
from index.dense import VectorIndex
from index.embed import Embedder
from index.generations import current_generation, vectors_path
from index.store import Store
from tests.conftest import SMALL_CORPUS, write_corpus


def published(settings: Settings) -> VectorIndex:
    store = Store(settings.db_path, create=False)
    try:
        return VectorIndex.load(vectors_path(settings.data_dir, current_generation(store)))
    finally:
        store.close()


def test_an_index_past_the_threshold_is_quantised_and_rebuilt_when_the_setting_changes(
    tmp_path: Path, e5: Embedder
) -> None:
    corpus = write_corpus(tmp_path / "corpus", dict(list(SMALL_CORPUS.items())[:3]))
    coded = Settings(data_dir=tmp_path / "data", index_kind="ivf", ann_quantise_threshold=1)
    assert not sync([corpus], coded, e5).failed
    index = published(coded)
    assert (index.kind, index.quantised) == ("ivf", True)
    engine = Engine(coded, embedder=e5)
    try:  # the halves answer searches like the full vectors
        hits = engine.search("familiebehandling i hjemmet", k=3, mode="dense").results
        assert hits
    finally:
        engine.close()

    (corpus / "ny.txt").write_text(
        "Aflastning i weekenden for familier med handicappede børn.", encoding="utf-8"
    )
    plain = Settings(data_dir=tmp_path / "data", index_kind="ivf", ann_quantise_threshold=0)
    assert not sync([corpus], plain, e5).failed
    index = published(plain)
    assert (index.kind, index.quantised) == ("ivf", False)
    store = Store(plain.db_path, create=False)
    try:  # rebuilt from the stored vectors: every chunk, the new file's too
        assert sorted(index.ids().tolist()) == sorted(store.chunk_ids().tolist())
    finally:
        store.close()
