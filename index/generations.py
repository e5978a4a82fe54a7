"""Generations of the derived indexes (FAISS file, Tantivy directory) and the FAISS file's lifecycle: a writer
saves and publishes new ones in its transaction; readers load the committed ones."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from core.settings import Settings
from index.dense import VectorIndex, wants_quantised
from index.store import Store

GENERATION_KEY = "vectors_generation"
LEXICAL_KEY = "lexical_generation"  # the Tantivy directory lexical.<generation>; 0: none (an FTS5-era index)
_FILE = re.compile(r"^vectors\.(\d+)\.faiss$")


def vectors_path(data_dir: Path, generation: int) -> Path:
    return data_dir / f"vectors.{generation}.faiss"


def current_generation(store: Store) -> int:
    """The committed generation as seen by the caller's transaction (0: no vectors yet)."""
    return int(store.get_meta(GENERATION_KEY, "0") or 0)


def next_path(store: Store, data_dir: Path) -> tuple[int, Path]:
    generation = current_generation(store) + 1
    return generation, vectors_path(data_dir, generation)


def commit_generation(store: Store, generation: int) -> None:
    """Record the new generation; call inside the write transaction that changed the chunks."""
    store.set_meta(GENERATION_KEY, str(generation))


def remove_stale(data_dir: Path, current: int, keep: int = 2) -> None:
    """Delete files of old generations (keeping a few for readers still loading them) and of aborted writes."""
    for path in data_dir.glob("vectors.*.faiss"):
        match = _FILE.match(path.name)
        if match is None:
            continue
        generation = int(match.group(1))
        if generation <= current - keep or generation > current:
            with contextlib.suppress(OSError):
                path.unlink()
    for temp in data_dir.glob(".vectors.*.tmp"):  # left by a writer killed mid-save; only one writer runs
        with contextlib.suppress(OSError):
            temp.unlink()


def current_lexical(store: Store) -> int:
    """The committed generation of the lexical index as seen by the caller's transaction (0: none yet)."""
    return int(store.get_meta(LEXICAL_KEY, "0") or 0)


def commit_lexical(store: Store, generation: int) -> None:
    """Record the new lexical generation; call inside the write transaction that changed the chunks."""
    store.set_meta(LEXICAL_KEY, str(generation))


def load_current(store: Store, data_dir: Path, dim: int, settings: Settings) -> VectorIndex:
    """The committed vector index; rebuilt from the stored vectors when its file is missing or unreadable."""
    generation = current_generation(store)
    if generation > 0:
        try:
            return VectorIndex.load(vectors_path(data_dir, generation))
        except Exception:  # a missing or damaged file is rebuilt below from the system of record
            pass
    return rebuild_vectors(store, dim, settings)


def rebuild_vectors(store: Store, dim: int, settings: Settings) -> VectorIndex:
    """Build the FAISS index from the database alone, no embedding needed."""
    ids, vectors = store.chunk_vectors(store.get_meta("embedder_id") or "", dim)
    if len(ids) == 0:
        return VectorIndex.create(dim, kind="flat")
    return VectorIndex.build(
        ids,
        vectors,
        kind=settings.index_kind,
        ann_threshold=settings.ann_threshold,
        quantise_threshold=settings.ann_quantise_threshold,
    )


def save_vectors(
    store: Store,
    index: VectorIndex,
    settings: Settings,
    dim: int,
    removed: Sequence[int],
    added_ids: Sequence[int] = (),
    vectors: np.ndarray | None = None,
) -> int:
    """Apply the chunk changes to the vectors and save them as the next generation's file; call inside the
    write. Returns that generation, which the caller records with `commit_generation` in the same write."""
    if removed:
        index.remove(np.asarray(removed, dtype=np.int64))
    if added_ids and vectors is not None:
        index.add(np.asarray(added_ids, dtype=np.int64), vectors)
    if _wrong_kind(index, settings):
        index = rebuild_vectors(store, dim, settings)
    generation, path = next_path(store, settings.data_dir)
    index.save(path)
    return generation


def _wrong_kind(index: VectorIndex, settings: Settings) -> bool:
    """The index grew past (or shrank well below) the size where the other kind is the better choice."""
    if index.kind == "ivf" and index.quantised != wants_quantised(
        len(index), settings.ann_quantise_threshold, index.quantised
    ):
        return True  # crossed the size where the vectors are kept as 16-bit floats (or well below it)
    if settings.index_kind != "auto":
        return index.kind != settings.index_kind
    if index.kind == "flat":
        return len(index) >= settings.ann_threshold
    return len(index) < settings.ann_threshold // 2
