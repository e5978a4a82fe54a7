"""Hybrid search: lexical (FTS5/BM25) and dense (FAISS) retrieval with filters inside both, fused by RRF."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from broker.errors import IndexMismatch, InvalidQuery
from broker.indexing import rebuild_vectors
from broker.settings import Settings
from broker.types import Hit, SearchFilters, SearchResult
from index.analysis import analyze_query
from index.dense import VectorIndex
from index.embed import Embedder, load_embedder
from index.fts import highlight_terms, match_expression
from index.generations import current_generation, vectors_path
from index.store import ChunkRow, Store

MODES = ("hybrid", "dense", "lexical")
MAX_K = 200
MAX_QUERY_CHARS = 2000  # longer input is cut: no question needs more, and it bounds the work per query


@dataclass(frozen=True)
class Ranked:
    """A chunk id with its score in one ranking."""

    chunk_id: int
    score: float


def fuse_rrf(rankings: list[list[Ranked]], weights: list[float], k: int = 60) -> list[Ranked]:
    """Reciprocal rank fusion: each list adds weight / (k + rank) for the chunks it ranks."""
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item.chunk_id] = scores.get(item.chunk_id, 0.0) + weight / (k + rank)
    return [Ranked(i, s) for i, s in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))]


class Engine:
    """The search engine over one data directory. Loaded once per process; safe to share between threads."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.store = Store(settings.db_path, create=False)
        built_with = self.store.get_meta("embedder_spec")
        if built_with is not None and built_with != settings.embedder:
            raise IndexMismatch(
                f"Indekset er bygget med embedderen '{built_with}', men der søges med '{settings.embedder}'. "
                f"Søg med samme embedder (BROKER_EMBEDDER={built_with}), eller byg indekset forfra."
            )
        self._embedder = embedder
        self._embedder_lock = threading.Lock()
        self._vectors: dict[int, VectorIndex] = {}
        self._vectors_lock = threading.Lock()

    # -- shared resources -----------------------------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            with self._embedder_lock:
                if self._embedder is None:
                    self._embedder = load_embedder(self.settings.embedder, self.settings.threads)
        return self._embedder

    def vectors(self) -> VectorIndex | None:
        """The vector index of the generation the caller's snapshot sees."""
        generation = current_generation(self.store)
        if generation == 0:
            return None
        index = self._vectors.get(generation)
        if index is not None:
            return index
        with self._vectors_lock:
            index = self._vectors.get(generation)
            if index is None:
                try:
                    index = VectorIndex.load(vectors_path(self.settings.data_dir, generation))
                except Exception:  # missing or damaged file: rebuild from the database, no embedding needed
                    dim = int(self.store.get_meta("embedder_dim", "0") or 0)
                    index = rebuild_vectors(self.store, dim, self.settings)
                # Keep the newest two: a reader may still be on the previous generation for a moment.
                self._vectors = {g: v for g, v in self._vectors.items() if g >= generation - 1}
                self._vectors[generation] = index
        return index

    def close(self) -> None:
        self.store.close()

    # -- search ---------------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        k: int = 10,
        mode: str = "hybrid",
        filters: SearchFilters | None = None,
        collapse: bool = False,
        facets: bool = False,
    ) -> SearchResult:
        """Search in one of the three modes; with `collapse`, only the best chunk of each document.

        With `facets`, also count the documents among all candidates per municipality, region, type and year.
        """
        started = time.perf_counter()
        query = validate_query(query)
        if mode not in MODES:
            raise InvalidQuery(f"Ukendt søgetilstand '{mode}'. Vælg en af: {', '.join(MODES)}.")
        if not 1 <= k <= MAX_K:
            raise InvalidQuery(f"Antal resultater (k) skal være mellem 1 og {MAX_K}, ikke {k}.")
        query_vector = self.embedder.embed_queries([query])[0] if mode != "lexical" else None
        with self.store.snapshot():
            ranked = self.rank(query, query_vector, mode=mode, filters=filters, depth=max(k, 1))
            counts = self.store.facet_counts(r.chunk_id for r in ranked) if facets else None
            if collapse:
                ranked = self._best_per_document(ranked)
            ranked = ranked[:k]
            rows = self.store.chunk_rows(r.chunk_id for r in ranked)
        hits = [
            _hit(rank, r, rows[r.chunk_id], query) for rank, r in enumerate(ranked, 1) if r.chunk_id in rows
        ]
        took = (time.perf_counter() - started) * 1000
        return SearchResult(query=query, mode=mode, took_ms=round(took, 2), results=hits, facets=counts)

    def rank(
        self,
        query: str,
        query_vector: np.ndarray | None,
        *,
        mode: str,
        filters: SearchFilters | None,
        depth: int,
    ) -> list[Ranked]:
        """Ranked chunk ids for a query; call inside a snapshot."""
        # Deeper than the hits wanted: fusion and collapsing to documents both need room.
        n = max(self.settings.candidates, depth * 3)
        lexical = self._lexical(query, filters, n) if mode in ("hybrid", "lexical") else []
        dense = self._dense(query_vector, filters, n) if mode in ("hybrid", "dense") else []
        if mode == "lexical":
            return lexical
        if mode == "dense":
            return dense
        return fuse_rrf(
            [lexical, dense], [self.settings.weight_lexical, self.settings.weight_dense], self.settings.rrf_k
        )

    def _lexical(self, query: str, filters: SearchFilters | None, n: int) -> list[Ranked]:
        expression = match_expression(analyze_query(query))
        if expression is None:
            return []
        return [Ranked(i, s) for i, s in self.store.lexical(expression, filters, n)]

    def _dense(self, query_vector: np.ndarray | None, filters: SearchFilters | None, n: int) -> list[Ranked]:
        index = self.vectors()
        if index is None or query_vector is None:
            return []
        allowed = None
        if filters is not None and not filters.is_empty():
            allowed = self.store.chunk_ids(filters)
            if len(allowed) == 0:
                return []
        ids, scores = index.search(query_vector, n, allowed_ids=allowed)
        return [Ranked(int(i), float(s)) for i, s in zip(ids, scores, strict=True)]

    def _best_per_document(self, ranked: list[Ranked]) -> list[Ranked]:
        doc_of = self.store.doc_ids_of(r.chunk_id for r in ranked)
        seen: set[str] = set()
        best: list[Ranked] = []
        for r in ranked:
            doc_id = doc_of.get(r.chunk_id)
            if doc_id is not None and doc_id not in seen:
                seen.add(doc_id)
                best.append(r)
        return best


def validate_query(query: str) -> str:
    """Normalise whitespace and control characters; refuse an empty query with a clear message."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in query or "")
    cleaned = " ".join(cleaned.split())[:MAX_QUERY_CHARS]
    if not cleaned:
        raise InvalidQuery("Søgningen er tom. Skriv et eller flere ord.")
    return cleaned


def _hit(rank: int, ranked: Ranked, row: ChunkRow, query: str) -> Hit:
    return Hit(
        rank=rank,
        score=round(ranked.score, 6),
        doc_id=row.doc_id,
        chunk_id=row.chunk_id,
        title=row.title,
        municipality=row.municipality,
        region=row.region,
        doc_type=row.doc_type,
        year=row.year,
        page=row.page_start,
        page_end=row.page_end,
        section=row.section,
        source=row.source,
        text=row.text,
        snippet=highlight_terms(row.text, query),
    )
