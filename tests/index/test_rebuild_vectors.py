"""The vector file is rebuilt from the store alone: every chunk's stored vector, in id order, in one array."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from core.errors import IndexMismatch
from core.settings import Settings
from index.generations import current_generation, load_current, rebuild_vectors, vectors_path
from index.store import Store


@pytest.fixture
def store(private_index: tuple[Settings, Path]) -> Iterator[Store]:
    settings, _ = private_index
    opened = Store(settings.db_path, create=False)
    yield opened
    opened.close()


def embedder_of(store: Store) -> str:
    return store.get_meta("embedder_id") or ""


def ids_and_keys(store: Store) -> tuple[list[int], list[str]]:
    """Every chunk id in order, and each chunk's text hash."""
    ids = sorted(store.chunk_ids().tolist())
    hashes = store.text_hashes_of(ids)
    return ids, [hashes[i] for i in ids]


def test_every_chunk_comes_with_its_own_stored_vector_in_id_order(store: Store) -> None:
    ids, keys = ids_and_keys(store)
    dim = int(store.get_meta("embedder_dim") or 0)
    found_ids, vectors = store.chunk_vectors(embedder_of(store), dim)
    assert found_ids.tolist() == ids
    stored = store.get_vectors(embedder_of(store), keys, dim)
    assert vectors.shape == (len(ids), dim) and vectors.dtype == np.float32
    for row, key in enumerate(keys):
        assert np.array_equal(vectors[row], stored[key])


def test_a_rebuilt_vector_file_finds_what_the_published_one_finds(
    store: Store, private_index: tuple[Settings, Path]
) -> None:
    settings, _ = private_index
    dim = int(store.get_meta("embedder_dim") or 0)
    published = load_current(store, settings.data_dir, dim, settings)
    rebuilt = rebuild_vectors(store, dim, settings)
    assert sorted(rebuilt.ids().tolist()) == sorted(published.ids().tolist())
    _, vectors = store.chunk_vectors(embedder_of(store), dim)
    for query in vectors[:5]:
        assert rebuilt.search(query, 5)[0].tolist() == published.search(query, 5)[0].tolist()


def test_a_missing_vector_file_is_rebuilt_from_the_store(
    store: Store, private_index: tuple[Settings, Path]
) -> None:
    settings, _ = private_index
    vectors_path(settings.data_dir, current_generation(store)).unlink()
    dim = int(store.get_meta("embedder_dim") or 0)
    assert (
        sorted(load_current(store, settings.data_dir, dim, settings).ids().tolist()) == ids_and_keys(store)[0]
    )


@pytest.mark.parametrize("damage", ["delete", "truncate"])
def test_a_chunk_without_a_whole_stored_vector_stops_the_rebuild_with_a_danish_error(
    store: Store, private_index: tuple[Settings, Path], damage: str
) -> None:
    settings, _ = private_index
    _, keys = ids_and_keys(store)
    with store.write() as conn:
        if damage == "delete":
            conn.execute("DELETE FROM vectors WHERE text_hash = ?", (keys[0],))
        else:
            conn.execute("UPDATE vectors SET vector = substr(vector, 1, 8) WHERE text_hash = ?", (keys[0],))
    dim = int(store.get_meta("embedder_dim") or 0)
    with pytest.raises(IndexMismatch) as raised:
        rebuild_vectors(store, dim, settings)
    sharing = keys.count(keys[0])  # chunks of the same text share one stored vector
    assert raised.value.message.startswith(f"Vektorindekset kan ikke genopbygges: {sharing} tekststykker")
