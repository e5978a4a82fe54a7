"""The dense vector index: FAISS inner product over normalised vectors keyed by chunk id, saved atomically."""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.lazy import lazy_import

if TYPE_CHECKING:
    import faiss
else:  # FAISS takes a noticeable share of a command's start-up: it loads on first use (a lexical search never)
    faiss = lazy_import("faiss")

KINDS = ("flat", "ivf", "hnsw")
DEFAULT_NPROBE = 64  # the least an IVF search probes (see `probes_for`)
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 64
_IVF_MIN_POINTS_PER_LIST = 39  # FAISS's own lower bound for training k-means without warnings
_IVF_TRAIN_POINTS_PER_LIST = 64  # training sample per list: plenty for retrieval, fast to train
_IVF_TRAIN_ITER = 12
# From this many vectors an IVF index stores each vector as 16-bit floats: half the memory of float32 (3M
# vectors: 2.3 instead of 4.6 GB) at the same recall@10 (measured at 1M: 0.9515 against 0.955 at nprobe 128;
# 8-bit codes lost 0.03, docs/benchmarks.md). 0 turns it off.
QUANTISE_THRESHOLD = 2_000_000
# One query is searched by one thread: an OpenMP team gains nothing on one query and, on a busy machine
# (2 cores shared with the embedder and other requests), waits at its barriers (measured 7x slower).
SEARCH_THREADS = 1


def set_threads(n: int | None) -> None:
    """Limit the OpenMP threads FAISS uses for search and training (None leaves the default: all cores)."""
    if n:
        faiss.omp_set_num_threads(int(n))


@contextlib.contextmanager
def _search_threads() -> Iterator[None]:
    """FAISS's OpenMP thread count for the calling thread only (the setting is per thread), restored after."""
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(SEARCH_THREADS)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)


def probes_for(nlist: int) -> int:
    """Lists an IVF search probes: the smallest power of two of at least 3·√nlist, and at least DEFAULT_NPROBE.
    Over the same vectors in √n, 2·√n and 4·√n lists at 1M and 3M (bench/ivf_lists.py, docs/benchmarks.md) this
    kept recall@10 at 0.966-0.992 for 3-6 ms a search; a sixteenth of the lists gave 0.92 at 1,000 lists and
    probed twice what 0.975 needs at 6,928 (the service's 3M index)."""
    want = max(1, math.ceil(3 * math.sqrt(nlist)))
    return min(nlist, max(DEFAULT_NPROBE, 1 << (want - 1).bit_length()))


def ivf_nlist(n: int) -> int:
    """Number of inverted lists for n vectors: about 4·√n, with enough points per list to train."""
    return max(1, min(int(4 * math.sqrt(max(n, 1))), n // _IVF_MIN_POINTS_PER_LIST))


def wants_quantised(n: int, threshold: int = QUANTISE_THRESHOLD, quantised: bool | None = None) -> bool:
    """Whether an "ivf" index of n vectors should keep 16-bit floats. Given what an existing index does
    (`quantised`), a quantised one stays so down to half the threshold, so a size near it never flips back and
    forth between rebuilds."""
    if threshold <= 0:
        return False
    if quantised:
        return n >= threshold // 2
    return n >= threshold


def _ids_array(ids: np.ndarray | list[int]) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(ids, dtype=np.int64).reshape(-1))


class VectorIndex:
    """Chunk-id → vector index searched by inner product (= cosine on L2-normalised vectors).

    kinds: "flat" (exact; IndexIDMap2 over IndexFlatIP), "ivf" (approximate; IndexIVFFlat storing the
    chunk ids itself, trained on the first vectors added, supports removal; `quantised`: the vectors kept as
    16-bit floats, IndexIVFScalarQuantizer) and "hnsw" (approximate; removal rebuilds the graph, so prefer
    "ivf"). Not safe for concurrent writes; concurrent searches are.
    """

    def __init__(self, index: faiss.Index, kind: str, dim: int, *, nprobe: int | None = None) -> None:
        self._index: Any = index  # the concrete FAISS class (IndexIDMap2, IndexIVFFlat), beyond faiss's stubs
        self.kind = kind
        self.dim = dim
        self.nprobe = nprobe  # None: chosen by the number of lists when trained (`probes_for`)
        self._pending_nlist: int | None = None  # nlist for an "ivf" index not trained yet
        self._pending_quantised = False  # an "ivf" index not trained yet keeps 16-bit floats once trained

    # ----------------------------------------------------------------- construction

    @classmethod
    def create(
        cls, dim: int, kind: str = "flat", *, nlist: int | None = None, quantised: bool = False
    ) -> VectorIndex:
        """An empty index. An "ivf" index is trained on the first batch added (or give `nlist`); with
        `quantised` it keeps its vectors as 16-bit floats."""
        if kind not in KINDS:
            raise ValueError(f"unknown index kind {kind!r}; expected one of {KINDS}")
        if dim <= 0:
            raise ValueError("dim must be positive")
        if kind == "flat":
            return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dim)), "flat", dim)
        if kind == "hnsw":
            hnsw = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            hnsw.hnsw.efSearch = HNSW_EF_SEARCH
            return cls(faiss.IndexIDMap2(hnsw), "hnsw", dim)
        index = cls(faiss.IndexFlatIP(dim), "ivf", dim)  # placeholder until trained
        index._pending_nlist = nlist
        index._pending_quantised = quantised
        return index

    @classmethod
    def build(
        cls,
        ids: np.ndarray,
        vectors: np.ndarray,
        *,
        kind: str = "auto",
        ann_threshold: int = 160_000,
        nprobe: int | None = None,
        quantise_threshold: int = QUANTISE_THRESHOLD,
    ) -> VectorIndex:
        """An index over the given vectors; "auto" is exact below `ann_threshold` vectors and "ivf" above. An
        "ivf" index over `quantise_threshold` vectors or more keeps them as 16-bit floats (0: never)."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2:
            raise ValueError("vectors must be a 2-D array (n, dim)")
        if kind == "auto":
            kind = "flat" if len(vectors) < ann_threshold else "ivf"
        quantised = kind == "ivf" and wants_quantised(len(vectors), quantise_threshold)
        index = cls.create(vectors.shape[1], kind, quantised=quantised)
        index.nprobe = nprobe
        index.add(ids, vectors)
        return index

    @property
    def quantised(self) -> bool:
        """True when the vectors are kept as 16-bit floats (an "ivf" index over `QUANTISE_THRESHOLD` vectors)."""
        if not self._trained:
            return self._pending_quantised
        return isinstance(self._index, faiss.IndexIVFScalarQuantizer)

    @property
    def _trained(self) -> bool:
        return self.kind != "ivf" or isinstance(self._index, faiss.IndexIVF)

    def _probes(self) -> int:
        """Lists a search of this trained IVF index probes: its own nprobe, else `probes_for` its lists."""
        nlist = int(self._index.nlist)
        return max(1, min(self.nprobe or probes_for(nlist), nlist))

    def _train_ivf(self, vectors: np.ndarray) -> None:
        nlist = self._pending_nlist or ivf_nlist(len(vectors))
        nlist = max(1, min(nlist, len(vectors)))
        quantizer = faiss.IndexFlatIP(self.dim)
        ivf: Any
        if self._pending_quantised:
            qtype = faiss.ScalarQuantizer.QT_fp16
            ivf = faiss.IndexIVFScalarQuantizer(quantizer, self.dim, nlist, qtype, faiss.METRIC_INNER_PRODUCT)
            ivf.by_residual = False  # the vectors themselves, not their offsets from the list's centroid
        else:
            ivf = faiss.IndexIVFFlat(quantizer, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
        ivf.cp.niter = _IVF_TRAIN_ITER
        ivf.cp.max_points_per_centroid = _IVF_TRAIN_POINTS_PER_LIST
        ivf.cp.min_points_per_centroid = 1
        ivf.train(vectors)  # the Python wrapper keeps the quantizer alive with the index
        self._index = ivf
        self.nprobe = ivf.nprobe = self._probes()

    # ----------------------------------------------------------------- changes

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under chunk ids; an id already in the index is replaced (a repeated id is an error)."""
        ids = _ids_array(ids)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim:
            raise ValueError(f"vectors must have shape (n, {self.dim}), got {vectors.shape}")
        if len(ids) != len(vectors):
            raise ValueError("ids and vectors differ in length")
        if len(ids) == 0:
            return
        if len(np.unique(ids)) != len(ids):
            raise ValueError("duplicate chunk ids in one add")
        if len(self):
            present = ids[np.isin(ids, self.ids())]
            if len(present):
                self.remove(present)
        if not self._trained:
            self._train_ivf(vectors)
        self._index.add_with_ids(vectors, ids)

    def remove(self, ids: np.ndarray) -> int:
        """Remove chunk ids (unknown ids are ignored); returns how many vectors were removed."""
        ids = _ids_array(ids)
        if len(ids) == 0 or len(self) == 0:
            return 0
        if self.kind == "hnsw":
            return self._rebuild_without(ids)
        return int(self._index.remove_ids(faiss.IDSelectorBatch(ids)))

    def _rebuild_without(self, ids: np.ndarray) -> int:
        """HNSW graphs cannot drop nodes: rebuild from the remaining stored vectors."""
        current = self.ids()
        keep = current[~np.isin(current, ids)]
        removed = len(current) - len(keep)
        if removed:
            vectors = self._reconstruct(keep)
            fresh = VectorIndex.create(self.dim, "hnsw")
            fresh.add(keep, vectors)
            self._index = fresh._index
        return removed

    def _reconstruct(self, ids: np.ndarray) -> np.ndarray:
        out = np.empty((len(ids), self.dim), dtype=np.float32)
        for i, chunk_id in enumerate(ids):
            out[i] = self._index.reconstruct(int(chunk_id))
        return out

    # ----------------------------------------------------------------- queries

    def __len__(self) -> int:
        return int(self._index.ntotal) if self._trained else 0

    def ids(self) -> np.ndarray:
        """Every chunk id in the index (int64, unordered)."""
        if len(self) == 0:
            return np.zeros(0, dtype=np.int64)
        if self.kind == "ivf":
            invlists = self._index.invlists
            parts = []
            for list_no in range(self._index.nlist):
                size = invlists.list_size(list_no)
                if size:
                    ptr = invlists.get_ids(list_no)
                    parts.append(faiss.rev_swig_ptr(ptr, size).copy())
                    invlists.release_ids(list_no, ptr)
            return np.concatenate(parts).astype(np.int64, copy=False)
        return faiss.vector_to_array(self._index.id_map).astype(np.int64, copy=False)

    def search(
        self, query: np.ndarray, k: int, allowed_ids: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The k nearest chunk ids and their inner-product scores, best first.

        With `allowed_ids` only those chunks are candidates; the filter is applied inside the search, so
        k hits come back whenever k allowed chunks exist (approximate kinds widen the search until they
        do). `query` is one L2-normalised vector of shape (dim,) or (1, dim).
        """
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        if q.shape[1] != self.dim:
            raise ValueError(f"query must have {self.dim} dims, got {q.shape[1]}")
        total = len(self)
        empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
        if k <= 0 or total == 0:
            return empty
        selector = None
        want = min(k, total)
        if allowed_ids is not None:
            allowed = _ids_array(allowed_ids)
            if len(allowed) == 0:
                return empty
            selector = faiss.IDSelectorBatch(allowed)
            want = min(want, len(allowed))
        k = min(k, total)

        if self.kind == "flat":
            params: Any = None
            if selector is not None:
                params = faiss.SearchParameters()
                params.sel = selector
            return self._run(q, k, params)
        if self.kind == "ivf":
            nlist = int(self._index.nlist)
            nprobe = self._probes()
            while True:
                params = faiss.SearchParametersIVF()
                params.nprobe = nprobe
                if selector is not None:
                    params.sel = selector
                ids, scores = self._run(q, k, params)
                if len(ids) >= want or nprobe >= nlist:
                    return ids, scores
                nprobe = min(nlist, nprobe * 8)
        # hnsw
        hnsw_params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
        hnsw_params.efSearch = max(HNSW_EF_SEARCH, 2 * k)
        if selector is not None:
            hnsw_params.sel = selector
        ids, scores = self._run(q, k, hnsw_params)
        if len(ids) >= want:
            return ids, scores
        return self._exact(q, k, allowed_ids)

    def _run(self, q: np.ndarray, k: int, params: Any) -> tuple[np.ndarray, np.ndarray]:
        with _search_threads():
            scores, ids = self._index.search(q, k, params=params)
        ids, scores = ids[0], scores[0]
        keep = ids >= 0
        return ids[keep].astype(np.int64, copy=False), scores[keep].astype(np.float32, copy=False)

    def _exact(self, q: np.ndarray, k: int, allowed_ids: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Brute force over stored vectors (fallback when a graph search under a filter comes up short)."""
        current = self.ids()
        cand = current if allowed_ids is None else current[np.isin(current, _ids_array(allowed_ids))]
        if len(cand) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores = self._reconstruct(cand) @ q[0]
        order = np.argsort(-scores, kind="stable")[:k]
        return cand[order], scores[order].astype(np.float32)

    # ----------------------------------------------------------------- files

    def save(self, path: Path) -> None:
        """Write the index atomically: a temporary file in the same folder, fsync, then rename over `path`."""
        path = Path(path)
        if self.kind == "ivf":
            if not self._trained:
                raise ValueError("an empty ivf index has nothing to save")
            self._index.nprobe = self._probes()
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            faiss.write_index(self._index, tmp_name)
            with open(tmp_name, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        try:
            dir_fd = os.open(path.parent, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(dir_fd)
        except OSError:
            pass
        finally:
            os.close(dir_fd)

    @classmethod
    def load(cls, path: Path, *, mmap: bool = False) -> VectorIndex:
        """Read an index written by `save`. With `mmap` the vectors stay on disk, mapped read-only."""
        path = Path(path)
        with open(path, "rb") as fh:
            fourcc = fh.read(4)
        flags = 0
        if mmap:
            flags = faiss.IO_FLAG_MMAP if fourcc.startswith(b"Iw") else faiss.IO_FLAG_MMAP_IFC
        # read_index returns the concrete class and owns the object (a downcast copy would not).
        index = faiss.read_index(str(path), flags)
        if isinstance(index, faiss.IndexIVF):
            nprobe = int(index.nprobe) or probes_for(int(index.nlist))
            return cls(index, "ivf", int(index.d), nprobe=nprobe)
        if isinstance(index, faiss.IndexIDMap2):
            inner = faiss.downcast_index(index.index)
            kind = "hnsw" if isinstance(inner, faiss.IndexHNSW) else "flat"
            return cls(index, kind, int(index.d))
        raise ValueError(f"{path} is not a vector index written by this program ({type(index).__name__})")
