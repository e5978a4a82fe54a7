"""The passages the embedder sees, and embedding those the index holds no vector for yet, in small commits."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

from core.types import Chunk, Document
from index.embed import Embedder
from index.embed_cache import SharedVectorCache
from index.store import Store

EMBED_BATCH_COMMIT = 64  # vectors are saved in small transactions so an interrupted run keeps them


def passage_text(doc: Document, chunk: Chunk) -> str:
    """What the embedder sees for a chunk: its document title and section give the passage its context."""
    head = " – ".join(part for part in (doc.title, chunk.section) if part)
    return f"{head}\n{chunk.text}" if head else chunk.text


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def embed_missing(
    docs: list[Document],
    store: Store,
    embedder: Embedder,
    stage: Callable[[str], None],
    shared_cache: Path | None = None,
) -> tuple[float, int]:
    """Embed chunk texts the cache does not hold yet; saved as they come so a crash loses little.

    Returns the seconds spent embedding and the number of texts new to this index (embedded now or taken
    from the shared cache, `BROKER_EMBED_CACHE`, which is filled as texts are embedded).
    """
    texts = {text_key(t): t for d in docs for t in (passage_text(d, c) for c in d.chunks)}
    cached = store.get_vectors(embedder.id, texts.keys(), embedder.dim)
    missing = [(k, t) for k, t in texts.items() if k not in cached]
    new_here = len(missing)
    shared = SharedVectorCache(shared_cache) if shared_cache and missing else None
    try:
        if shared is not None:
            found = shared.get(embedder.id, (k for k, _ in missing), embedder.dim)
            if found:
                with store.write():
                    store.put_vectors(embedder.id, found)
                missing = [(k, t) for k, t in missing if k not in found]
        seconds = _embed_batches(missing, store, embedder, stage, shared)
    finally:
        if shared is not None:
            shared.close()
    return seconds, new_here


def _embed_batches(
    missing: list[tuple[str, str]],
    store: Store,
    embedder: Embedder,
    stage: Callable[[str], None],
    shared: SharedVectorCache | None,
) -> float:
    seconds = 0.0
    for start in range(0, len(missing), EMBED_BATCH_COMMIT):
        batch = missing[start : start + EMBED_BATCH_COMMIT]
        began = time.perf_counter()
        vectors = embedder.embed_passages([t for _, t in batch])
        seconds += time.perf_counter() - began
        fresh = {k: v for (k, _), v in zip(batch, vectors, strict=True)}
        with store.write():
            store.put_vectors(embedder.id, fresh)
        if shared is not None:
            shared.put(embedder.id, fresh)
        stage("embedded-batch")
    return seconds
