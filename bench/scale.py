"""Indexes of any size from real-looking data: real chunk texts resampled, vectors resampled from real ones.

Rows go straight into the SQLite store (documents, sources, chunks, vocabulary, vectors) with executemany in
large transactions; the Tantivy generation and the FAISS file are written directly, bypassing the embedder.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import log
from bench.fts5 import fts5_rows
from bench.vectors import resample
from core.settings import Settings
from index.dense import VectorIndex
from index.generations import commit_generation, commit_lexical, vectors_path
from index.lexical import LexicalDoc, write_generation
from index.lexicon import ANALYZER_KEY, ANALYZER_VERSION
from index.store import Store
from language.registry import municipalities

CHUNKS_PER_DOC = 3
BATCH = 50_000


@dataclass
class TextPool:
    """Real chunks to resample: text, section, document title, type and committee, and the chunk's entries in
    the lexical index (one value per column, as the real analysis wrote them)."""

    rows: list[tuple[str, str, str, str, str | None, tuple[str, ...]]]

    @classmethod
    def from_indexes(cls, data_dirs: Iterable[Path]) -> TextPool:
        rows: list[tuple[str, str, str, str, str | None, tuple[str, ...]]] = []
        for data_dir in data_dirs:
            db = data_dir / "broker.sqlite3"
            if not db.is_file():
                continue
            store = Store(db, create=False)
            try:
                lexical = dict(fts5_rows(store))
                for row in store.conn.execute(
                    "SELECT c.id, c.text, c.section, d.title, d.doc_type, d.committee FROM chunks c "
                    "JOIN documents d ON d.doc_id = c.doc_id"
                ):
                    rows.append((*row[1:], lexical[row[0]]))
            finally:
                store.close()
        if not rows:
            raise RuntimeError("no chunk texts to resample")
        return cls(rows)


def build(
    data_dir: Path,
    n: int,
    pool: TextPool,
    vectors: np.ndarray,
    *,
    embedder_id: str,
    settings: Settings,
    seed: int = 11,
) -> dict[str, Any]:
    """A fresh index of `n` chunks in `data_dir`; returns how long the parts took."""
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    places = sorted(municipalities().items())
    started = time.perf_counter()
    store = Store(data_dir / "broker.sqlite3")
    conn = store.conn
    conn.execute("PRAGMA cache_size=-262144")  # 256 MiB while building
    picks = rng.integers(len(pool.rows), size=n)
    years = rng.integers(2015, 2026, size=n // CHUNKS_PER_DOC + 1)
    where = rng.integers(len(places), size=n // CHUNKS_PER_DOC + 1)
    now = time.time()
    tantivy_docs: list[LexicalDoc] = []
    with store.write():
        store.set_meta("embedder_spec", settings.embedder)
        store.set_meta("embedder_id", embedder_id)
        store.set_meta("embedder_dim", str(vectors.shape[1]))
        for start in range(0, n, BATCH):
            stop = min(n, start + BATCH)
            docs: list[tuple[Any, ...]] = []
            sources: list[tuple[Any, ...]] = []
            chunks: list[tuple[Any, ...]] = []
            terms: list[tuple[int, tuple[str, ...]]] = []
            vecs: list[tuple[str, str, bytes]] = []
            for i in range(start, stop):
                text, section, title, doc_type, committee, lexical = pool.rows[picks[i]]
                d = i // CHUNKS_PER_DOC
                doc_id = f"s{d:015x}"
                key = hashlib.sha256(f"bench-{i}".encode()).hexdigest()
                if i % CHUNKS_PER_DOC == 0:
                    municipality, region = places[where[d]]
                    year = int(years[d])
                    docs.append(
                        (
                            *(doc_id, title, municipality, region, doc_type, year, "da", 1, key, None, None),
                            committee,
                            f"{year}-01-01",
                            0,
                            now,
                        )
                    )
                    sources.append((doc_id, f"/bench/syntetisk/{doc_id}.txt", "", key, 1000, now))
                chunks.append((i + 1, doc_id, i % CHUNKS_PER_DOC, text, 1, 1, section, key))
                terms.append((i + 1, lexical))
                tantivy_docs.append(
                    LexicalDoc(
                        i + 1, lexical[0], lexical[1], doc_id, municipality, region, doc_type, "da", year
                    )
                )
                vecs.append((embedder_id, key, vectors[i].tobytes()))
            conn.executemany(
                "INSERT INTO documents(doc_id, title, municipality, region, doc_type, year, language, "
                "page_count, content_hash, author, created, committee, date, internal, added_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                docs,
            )
            conn.executemany(
                "INSERT INTO sources(doc_id, path, record_id, file_hash, size, mtime) VALUES (?,?,?,?,?,?)",
                sources,
            )
            conn.executemany(
                "INSERT INTO chunks(id, doc_id, ord, text, page_start, page_end, section, text_hash) "
                "VALUES (?,?,?,?,?,?,?,?)",
                chunks,
            )
            store.put_lexical(terms)
            conn.executemany("INSERT INTO vectors(embedder, text_hash, vector) VALUES (?, ?, ?)", vecs)
            if stop % 200_000 == 0 or stop == n:
                log(f"  {stop:,} chunks written")
        write_generation(data_dir, 1, add=tantivy_docs)
        commit_lexical(store, 1)
        store.set_meta(ANALYZER_KEY, ANALYZER_VERSION)
    del tantivy_docs
    sqlite_s = time.perf_counter() - started
    started = time.perf_counter()
    ids = np.arange(1, n + 1, dtype=np.int64)
    index = VectorIndex.build(ids, vectors, kind=settings.index_kind, ann_threshold=settings.ann_threshold)
    index.save(vectors_path(data_dir, 1))
    with store.write():
        commit_generation(store, 1)
    faiss_s = time.perf_counter() - started
    store.close()
    return {"sqlite_s": round(sqlite_s, 1), "faiss_s": round(faiss_s, 1), "kind": index.kind}


def synthetic_vectors(pool: np.ndarray, n: int, seed: int = 5) -> np.ndarray:
    return resample(pool, n, np.random.default_rng(seed))
