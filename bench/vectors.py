"""Real vectors from embedded indexes, resampled vectors for larger scales, and an embedder that replays them."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from bench.common import normalised
from index.embed import Embedder
from index.store import Store

# Resampling: a random mix of two real vectors plus Gaussian noise (per-dimension sigma), then normalised.
NOISE_SIGMA = 0.01


def stored_vectors(data_dirs: Iterable[Path]) -> dict[str, np.ndarray]:
    """Every vector in the embedding caches of the given data directories, by text hash."""
    found: dict[str, np.ndarray] = {}
    for data_dir in data_dirs:
        db = data_dir / "broker.sqlite3"
        if not db.is_file():
            continue
        store = Store(db, create=False)
        try:
            for text_hash, blob in store.conn.execute("SELECT text_hash, vector FROM vectors"):
                found[text_hash] = np.frombuffer(blob, dtype=np.float32).copy()
        finally:
            store.close()
    return found


def resample(pool: np.ndarray, n: int, rng: np.random.Generator, sigma: float = NOISE_SIGMA) -> np.ndarray:
    """n vectors that look like the pool: a·x_i + (1-a)·x_j + noise, a ~ U(0.5, 1), L2-normalised."""
    pool = np.asarray(pool, dtype=np.float32)
    out = np.empty((n, pool.shape[1]), dtype=np.float32)
    step = 100_000
    for start in range(0, n, step):
        m = min(step, n - start)
        i = rng.integers(len(pool), size=m)
        j = rng.integers(len(pool), size=m)
        a = rng.uniform(0.5, 1.0, size=(m, 1)).astype(np.float32)
        mixed = a * pool[i] + (1 - a) * pool[j]
        mixed += rng.standard_normal(mixed.shape, dtype=np.float32) * sigma
        out[start : start + m] = normalised(mixed)
    return out


def similarity_profile(vectors: np.ndarray, queries: np.ndarray, k: int = 10) -> dict[str, float]:
    """Mean top-1 and top-k query similarity: resampled vectors should score like real ones."""
    scores = queries @ vectors.T
    top = -np.sort(-scores, axis=1)[:, :k]
    return {
        "top1_mean": round(float(top[:, 0].mean()), 4),
        f"top{k}_mean": round(float(top[:, -1].mean()), 4),
    }


class ReplayEmbedder:
    """Presents as the real embedder (id, dim, token counts, query vectors) but never embeds a passage:
    known texts get their real vector back, others a vector resampled from the real ones."""

    def __init__(self, real: Embedder, known: dict[str, np.ndarray], seed: int = 7) -> None:
        self.real = real
        self.id = real.id
        self.dim = real.dim
        self.known = known
        self.pool = np.vstack(list(known.values())) if known else None
        self.seed = seed
        self.replayed = 0
        self.resampled = 0

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            key = hashlib.sha256(text.encode("utf-8")).hexdigest()
            vec = self.known.get(key)
            if vec is not None:
                out[i] = vec
                self.replayed += 1
                continue
            if self.pool is None:
                raise RuntimeError("no real vectors to resample from")
            rng = np.random.default_rng(int(key[:12], 16) ^ self.seed)
            out[i] = resample(self.pool, 1, rng)[0]
            self.resampled += 1
        return out

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.real.embed_queries(texts)

    def count_tokens(self, text: str) -> int:
        return self.real.count_tokens(text)


class CountingEmbedder:
    """Wraps an embedder and records passages embedded, time embedding and time counting tokens."""

    def __init__(self, real: Embedder) -> None:
        self.real = real
        self.id = real.id
        self.dim = real.dim
        self.passages = 0
        self.embed_s = 0.0
        self.token_calls = 0
        self.token_s = 0.0

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        started = time.perf_counter()
        out = self.real.embed_passages(texts)
        self.embed_s += time.perf_counter() - started
        self.passages += len(texts)
        return out

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.real.embed_queries(texts)

    def count_tokens(self, text: str) -> int:
        started = time.perf_counter()
        n = self.real.count_tokens(text)
        self.token_s += time.perf_counter() - started
        self.token_calls += 1
        return n
