"""The FAISS vector index: add, remove, filtered search, approximate recall and atomic save/load."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from index.dense import DEFAULT_NPROBE, VectorIndex, ivf_nlist, probes_for, set_threads, wants_quantised

DIM = 32


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def clustered(n: int, dim: int = DIM, seed: int = 0) -> np.ndarray:
    """Random vectors in clusters, shaped more like text embeddings than uniform noise."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(1, n // 40), dim))
    return unit(centres[rng.integers(0, len(centres), n)] + 0.35 * rng.standard_normal((n, dim)))


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    vectors = clustered(3000)
    ids = np.arange(3000, dtype=np.int64) * 7 + 1000  # chunk ids are not positions
    return ids, vectors


@pytest.mark.parametrize("kind", ["flat", "ivf", "hnsw"])
def test_search_finds_the_vector_itself(kind: str, data: tuple[np.ndarray, np.ndarray]) -> None:
    ids, vectors = data
    index = VectorIndex.build(ids, vectors, kind=kind)
    assert index.kind == kind and index.dim == DIM and len(index) == len(ids)
    found, scores = index.search(vectors[10], 5)
    assert found[0] == ids[10] and scores[0] == pytest.approx(1.0, abs=1e-4)
    assert found.dtype == np.int64 and scores.dtype == np.float32
    assert np.all(np.diff(scores) <= 1e-6)
    assert sorted(index.ids().tolist()) == sorted(ids.tolist())


@pytest.mark.parametrize("kind", ["flat", "ivf", "hnsw"])
def test_filtered_search_returns_k_hits_when_k_exist(kind: str, data: tuple[np.ndarray, np.ndarray]) -> None:
    ids, vectors = data
    index = VectorIndex.build(ids, vectors, kind=kind)
    allowed = ids[::300]  # 10 chunks spread over the whole space, far from most queries
    found, _ = index.search(vectors[1], 10, allowed_ids=allowed)
    assert sorted(found.tolist()) == sorted(allowed.tolist())
    found, _ = index.search(vectors[1], 3, allowed_ids=allowed)
    assert len(found) == 3 and set(found) <= set(allowed)
    exact, _ = VectorIndex.build(ids, vectors, kind="flat").search(vectors[1], 3, allowed_ids=allowed)
    assert found.tolist() == exact.tolist()
    assert len(index.search(vectors[1], 5, allowed_ids=np.array([], dtype=np.int64))[0]) == 0
    assert len(index.search(vectors[1], 5, allowed_ids=np.array([123456789]))[0]) == 0


@pytest.mark.parametrize("kind", ["flat", "ivf", "hnsw"])
def test_remove_then_add(kind: str, data: tuple[np.ndarray, np.ndarray]) -> None:
    ids, vectors = data
    index = VectorIndex.build(ids[:500], vectors[:500], kind=kind)
    assert index.remove(ids[:100]) == 100
    assert index.remove(np.array([999_999_999])) == 0
    assert len(index) == 400
    found, _ = index.search(vectors[0], 5)
    assert ids[0] not in found
    assert not set(index.ids().tolist()) & set(ids[:100].tolist())
    index.add(ids[:100], vectors[:100])  # removed ids can come back
    assert len(index) == 500 and index.search(vectors[0], 1)[0][0] == ids[0]


@pytest.mark.parametrize("kind", ["flat", "ivf", "hnsw"])
def test_adding_an_id_again_replaces_its_vector(kind: str, data: tuple[np.ndarray, np.ndarray]) -> None:
    ids, vectors = data
    index = VectorIndex.build(ids[:500], vectors[:500], kind=kind)
    index.add(ids[:3], vectors[600:603])  # ids 0..2 now carry other vectors
    assert len(index) == 500 and len(np.unique(index.ids())) == 500
    found, scores = index.search(vectors[600], 1)
    assert found[0] == ids[0] and scores[0] == pytest.approx(1.0, abs=1e-4)
    assert ids[0] not in index.search(vectors[0], 1)[0]


def test_k_larger_than_the_index_and_empty_index() -> None:
    index = VectorIndex.create(DIM)
    query = clustered(1)[0]
    assert len(index) == 0 and len(index.search(query, 10)[0]) == 0 and len(index.ids()) == 0
    index.add(np.array([5, 6]), clustered(2, seed=1))
    found, scores = index.search(query, 100)
    assert sorted(found.tolist()) == [5, 6] and len(scores) == 2
    assert len(index.search(query, 0)[0]) == 0


def test_ivf_filtered_search_widens_past_nprobe(data: tuple[np.ndarray, np.ndarray]) -> None:
    ids, vectors = data
    index = VectorIndex.build(ids, vectors, kind="ivf", nprobe=1)
    allowed = ids[::150]
    found, _ = index.search(vectors[0], 20, allowed_ids=allowed)
    assert sorted(found.tolist()) == sorted(allowed.tolist())


def test_ivf_created_empty_trains_on_first_add(data: tuple[np.ndarray, np.ndarray]) -> None:
    ids, vectors = data
    index = VectorIndex.create(DIM, "ivf")
    assert len(index) == 0 and len(index.search(vectors[0], 3)[0]) == 0
    index.add(ids[:1000], vectors[:1000])
    index.add(ids[1000:], vectors[1000:])
    assert len(index) == len(ids) and index.search(vectors[2000], 1)[0][0] == ids[2000]


def test_bad_input_is_refused(data: tuple[np.ndarray, np.ndarray]) -> None:
    ids, vectors = data
    index = VectorIndex.build(ids[:10], vectors[:10], kind="flat")
    with pytest.raises(ValueError, match="duplicate"):
        index.add(np.array([1, 1]), vectors[:2])
    with pytest.raises(ValueError):
        index.add(np.array([1]), np.zeros((1, DIM + 1), dtype=np.float32))
    with pytest.raises(ValueError):
        index.search(np.zeros(DIM + 1, dtype=np.float32), 3)
    with pytest.raises(ValueError):
        VectorIndex.create(DIM, "annoy")


def test_ivf_recall_against_flat(data: tuple[np.ndarray, np.ndarray]) -> None:
    ids, vectors = data
    flat = VectorIndex.build(ids, vectors, kind="flat")
    ivf = VectorIndex.build(ids, vectors, kind="ivf")
    assert ivf._index.nlist == ivf_nlist(len(ids))
    rng = np.random.default_rng(7)
    queries = unit(vectors[rng.integers(0, len(ids), 50)] + 0.2 * rng.standard_normal((50, DIM)))
    recall = np.mean([len(set(ivf.search(q, 10)[0]) & set(flat.search(q, 10)[0])) / 10 for q in queries])
    assert recall >= 0.9, recall


def test_auto_kind_follows_the_threshold(data: tuple[np.ndarray, np.ndarray]) -> None:
    ids, vectors = data
    assert VectorIndex.build(ids, vectors, kind="auto", ann_threshold=10_000).kind == "flat"
    assert VectorIndex.build(ids, vectors, kind="auto", ann_threshold=1_000).kind == "ivf"


@pytest.mark.parametrize("kind", ["flat", "ivf", "hnsw"])
@pytest.mark.parametrize("mmap", [False, True])
def test_save_load_roundtrip(
    kind: str, mmap: bool, tmp_path: Path, data: tuple[np.ndarray, np.ndarray]
) -> None:
    ids, vectors = data
    index = VectorIndex.build(ids, vectors, kind=kind, nprobe=8)
    path = tmp_path / "vectors.1.faiss"
    index.save(path)
    loaded = VectorIndex.load(path, mmap=mmap)
    assert (loaded.kind, loaded.dim, len(loaded)) == (kind, DIM, len(ids))
    if kind == "ivf":
        assert loaded.nprobe == 8
    assert sorted(loaded.ids().tolist()) == sorted(ids.tolist())
    for q in vectors[:5]:
        a, sa = index.search(q, 5, allowed_ids=ids[::2])
        b, sb = loaded.search(q, 5, allowed_ids=ids[::2])
        assert a.tolist() == b.tolist() and np.allclose(sa, sb)


def test_save_replaces_atomically_and_leaves_no_temp_files(
    tmp_path: Path, data: tuple[np.ndarray, np.ndarray]
) -> None:
    ids, vectors = data
    path = tmp_path / "vectors.faiss"
    VectorIndex.build(ids[:10], vectors[:10], kind="flat").save(path)
    VectorIndex.build(ids[:20], vectors[:20], kind="flat").save(path)
    assert len(VectorIndex.load(path)) == 20
    assert [p.name for p in tmp_path.iterdir()] == ["vectors.faiss"]


def test_failed_save_keeps_the_old_file(tmp_path: Path, data: tuple[np.ndarray, np.ndarray]) -> None:
    ids, vectors = data
    path = tmp_path / "vectors.faiss"
    VectorIndex.build(ids[:10], vectors[:10], kind="flat").save(path)
    with pytest.raises(ValueError):
        VectorIndex.create(DIM, "ivf").save(path)  # untrained: nothing to write
    assert len(VectorIndex.load(path)) == 10
    assert [p.name for p in tmp_path.iterdir()] == ["vectors.faiss"]


def test_load_refuses_other_files(tmp_path: Path) -> None:
    path = tmp_path / "x.faiss"
    path.write_bytes(b"not an index")
    with pytest.raises((RuntimeError, ValueError)):
        VectorIndex.load(path)


def test_set_threads() -> None:
    before = faiss.omp_get_max_threads()
    try:
        set_threads(1)
        assert faiss.omp_get_max_threads() == 1
        set_threads(None)  # None leaves the count as it is
        assert faiss.omp_get_max_threads() == 1
    finally:
        faiss.omp_set_num_threads(before)  # FAISS's thread count is process-wide: later tests get it back
    assert faiss.omp_get_max_threads() == before


def test_an_ivf_index_past_the_quantise_threshold_keeps_16_bit_floats(
    tmp_path: Path, data: tuple[np.ndarray, np.ndarray]
) -> None:
    ids, vectors = data
    plain = VectorIndex.build(ids, vectors, kind="ivf", quantise_threshold=len(ids) + 1)
    coded = VectorIndex.build(ids, vectors, kind="ivf", quantise_threshold=len(ids))
    assert (plain.quantised, coded.quantised) == (False, True)
    assert not VectorIndex.build(ids, vectors, kind="flat", quantise_threshold=1).quantised
    # Half the bytes per vector on disk, as in memory.
    plain.save(tmp_path / "plain.faiss")
    coded.save(tmp_path / "coded.faiss")
    assert (tmp_path / "coded.faiss").stat().st_size < 0.6 * (tmp_path / "plain.faiss").stat().st_size
    loaded = VectorIndex.load(tmp_path / "coded.faiss")
    assert (loaded.kind, loaded.quantised, len(loaded)) == ("ivf", True, len(ids))
    flat = VectorIndex.build(ids, vectors, kind="flat")
    rng = np.random.default_rng(7)
    queries = unit(vectors[rng.integers(0, len(ids), 50)] + 0.2 * rng.standard_normal((50, DIM)))
    recall = np.mean([len(set(loaded.search(q, 10)[0]) & set(flat.search(q, 10)[0])) / 10 for q in queries])
    assert recall >= 0.9, recall
    # Removal and filtered search work on the halves as on the full vectors.
    assert loaded.remove(ids[:10]) == 10
    hits, _ = loaded.search(vectors[20], 5, allowed_ids=ids[20:25])
    assert set(hits.tolist()) == set(ids[20:25].tolist())


def test_quantisation_has_slack_below_its_threshold() -> None:
    assert not wants_quantised(1_999, 2_000)
    assert wants_quantised(2_000, 2_000)
    assert wants_quantised(1_200, 2_000, quantised=True)  # an index near the threshold is not rebuilt
    assert not wants_quantised(999, 2_000, quantised=True)
    assert not wants_quantised(10**9, 0)


@pytest.mark.parametrize(
    ("nlist", "probes"),
    [
        (1, 1),
        (40, 40),
        (256, 64),
        (1000, 128),
        (1264, 128),
        (1732, 128),
        (3464, 256),
        (4000, 256),
        (6928, 256),
    ],
)
def test_an_ivf_search_probes_about_three_square_roots_of_its_lists_and_at_least_the_default(
    nlist: int, probes: int
) -> None:
    """The measured configurations (docs/benchmarks.md, "How many IVF lists"): each reached recall@10 >= 0.95
    there with these probes, and half as many fell short at 1,000, 4,000 and 6,928 lists."""
    assert probes_for(nlist) == probes
    assert probes_for(nlist) >= min(nlist, DEFAULT_NPROBE)


def test_an_ivf_index_built_without_nprobe_takes_it_from_its_lists_and_keeps_it_saved(
    data: tuple[np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    ids, vectors = data
    index = VectorIndex.build(ids, vectors, kind="ivf")
    nlist = int(index._index.nlist)
    assert index.nprobe == probes_for(nlist)
    index.save(tmp_path / "v.faiss")
    assert VectorIndex.load(tmp_path / "v.faiss").nprobe == probes_for(nlist)
