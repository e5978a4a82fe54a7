"""The search engine: lexical (Tantivy/BM25) and dense (FAISS) retrieval with filters inside both, fused."""

from __future__ import annotations

import dataclasses
import datetime
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from broker.search.facets import (
    Described,
    by_its_text,
    count_facets,
    facet_candidates,
    has_facet_filters,
    passes,
    points_to,
    without_facet_filters,
)
from broker.search.fusion import Ranked, fuse_convex, fuse_rrf
from broker.search.hits import COMMON_TERM_SHARE, Marking, make_hit
from broker.search.loaded import Loaded
from broker.search.plan import (
    LexicalState,
    QueryAnalysis,
    QueryPlan,
    analyse,
    build_plan,
    validate_query,
)
from core.errors import IndexMismatch, InvalidQuery
from core.settings import Settings
from core.types import SearchFilters, SearchResult
from index.dense import VectorIndex
from index.embed import Embedder
from index.embedder_record import refuse_other_embedder
from index.fts import match_expression
from index.lexical import LexicalIndex, build_query
from index.lexicon import FTS_COLUMNS
from index.store import Store
from language.spelling import suggest

MODES = ("hybrid", "dense", "lexical")
# A query's vector, or its embedding still under way (a hybrid search's words are searched meanwhile).
QueryVector = np.ndarray | Future[np.ndarray] | None
MAX_K = 200
NOTHING_RELEVANT = (
    "Intet relevant: ingen dokumenter indeholder søgningens ord, og ingen ligner den nok i betydning."
)


class Engine:
    """The search engine over one data directory. Loaded once per process; safe to share between threads."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.store = Store(settings.db_path, create=False)
        try:
            refuse_other_embedder(self.store, settings.embedder)
        except IndexMismatch:
            self.store.close()  # no engine comes of it, so its connection is not left to the collector
            raise
        self.loaded = Loaded(self.store, settings, embedder)
        self.today: Callable[[], datetime.date] = datetime.date.today  # replaceable in tests
        # Query embeddings of hybrid searches; the embedder itself runs one batch at a time.
        self._embedding = ThreadPoolExecutor(max_workers=4, thread_name_prefix="query-embedding")

    # -- shared resources, loaded once per generation (see `Loaded`) ------------------------------

    @property
    def embedder(self) -> Embedder:
        return self.loaded.embedder

    def vectors(self) -> VectorIndex | None:
        """The vector index of the generation the caller's snapshot sees."""
        return self.loaded.vectors()

    def lexical_index(self) -> LexicalIndex | None:
        """The Tantivy index of the generation the caller's snapshot sees; None for an FTS5-era index."""
        return self.loaded.lexical_index()

    def lexical_state(self) -> LexicalState:
        """The index's lexical layout and vocabulary, reloaded when the index changed; call inside a snapshot."""
        return self.loaded.lexical_state()

    def preload(self) -> None:
        """Load the committed generation's vectors, lexical index and vocabulary now (see `Loaded.preload`)."""
        self.loaded.preload()

    def close(self) -> None:
        self._embedding.shutdown(wait=False)
        self.store.close()

    def scope(self, filters: SearchFilters | None) -> SearchFilters:
        """The filters as applied, call inside a snapshot: no filters means public documents only.

        While no document is marked internal, leaving them out changes nothing, so the selector is dropped
        and an unfiltered search keeps its fast path (no allowed-id list for the vector index)."""
        filters = filters if filters is not None else SearchFilters()
        if not filters.include_internal and not self.store.has_internal():
            filters = dataclasses.replace(filters, include_internal=True)
        return filters

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
        analysis: QueryAnalysis | None = None,
    ) -> SearchResult:
        """Search in one of the three modes; with `collapse`, only the best chunk of each document.

        With `facets`, also count the documents among the candidates per municipality, region, type and year:
        the candidates that score close to the best of their retriever (see `facet_candidates`).
        `analysis` is the query's analysis when the caller made it already (`analyse`, as answering does).
        """
        started = time.perf_counter()
        query = validate_query(query)
        if analysis is None or analysis.text != query:
            analysis = analyse(query)
        if mode not in MODES:
            raise InvalidQuery(f"Ukendt søgetilstand '{mode}'. Vælg en af: {', '.join(MODES)}.")
        if not 1 <= k <= MAX_K:
            raise InvalidQuery(f"Antal resultater (k) skal være mellem 1 og {MAX_K}, ikke {k}.")
        query_vector: QueryVector = None
        if mode == "hybrid":  # embedded on the other core while the words are searched: both leave the GIL
            query_vector = self._embedding.submit(self.embed_query, query)
        elif mode == "dense":
            query_vector = self.embed_query(query)
        with self.store.snapshot():
            plan = self.plan(query, filters, analysis=analysis)
            if plan.prefer is not None and plan.understood.applied_as == "filter":
                filters = plan.prefer
            retrieved: dict[str, list[Ranked]] = {}
            ranked = self.rank(
                plan, query_vector, mode=mode, filters=filters, depth=max(k, 1), parts=retrieved
            )
            no_results_reason = self._nothing_relevant(plan, filters, retrieved, mode)
            if no_results_reason is not None:
                ranked = []
            if collapse:
                ranked = self._best_per_document(ranked)
            found: tuple[Mapping[int, Described], list[Ranked]] | None = None
            if facets:  # nothing relevant: every facet is empty, as the results are
                found = (
                    self._facets(plan, query_vector, mode, filters, k, collapse, retrieved, ranked)
                    if no_results_reason is None
                    else ({}, [])
                )
            if found is not None:
                ranked = found[1]
            ranked = ranked[:k]
            rows = self.store.chunk_rows(r.chunk_id for r in ranked)
            marking = self._marking(analysis, include_internal=bool(filters and filters.include_internal))
            counted = (
                count_facets(
                    found[0].values(),
                    filters or SearchFilters(),
                    [rows[r.chunk_id] for r in ranked if r.chunk_id in rows],
                )
                if found is not None
                else None
            )
        hits = [
            make_hit(rank, r, rows[r.chunk_id], analysis.words, marking)
            for rank, r in enumerate(ranked, 1)
            if r.chunk_id in rows
        ]
        took = (time.perf_counter() - started) * 1000
        return SearchResult(
            query=query,
            mode=mode,
            took_ms=round(took, 2),
            results=hits,
            facets=counted.counts if counted is not None else None,
            matched=len(counted.matched) if counted is not None else None,
            understood=plan.understood.as_dict(),
            suggestion=suggest(query, plan.corrections),
            no_results_reason=no_results_reason,
        )

    def embed_query(self, query: str) -> np.ndarray:
        """The query's vector; a query embedded recently comes from the embedder's query cache."""
        vector: np.ndarray = self.embedder.embed_queries([query])[0]
        return vector

    def _nothing_relevant(
        self, plan: QueryPlan, filters: SearchFilters | None, retrieved: dict[str, list[Ranked]], mode: str
    ) -> str | None:
        """Why nothing is shown, when no document has a word of the query and none is close in meaning
        (`relevance_floor`); None when there is something relevant. Call inside a snapshot."""
        dense = retrieved.get("dense") or []
        if dense and dense[0].score >= self.settings.relevance_floor:
            return None
        # A dense search asks the lexical index only now, when the meaning alone is not close enough.
        lexical = retrieved.get("lexical") if mode != "dense" else self._lexical(plan, self.scope(filters), 1)
        return None if lexical else NOTHING_RELEVANT

    def rank(
        self,
        query: str | QueryPlan,
        query_vector: QueryVector,
        *,
        mode: str,
        filters: SearchFilters | None,
        depth: int,
        parts: dict[str, list[Ranked]] | None = None,
    ) -> list[Ranked]:
        """Ranked chunk ids for a query (or its plan); call inside a snapshot.

        `parts`, when given, receives each retriever's own ranking ("lexical", "dense") before fusion.

        `query_vector` may be a pending embedding (`QueryVector`): it is awaited after the lexical search.

        With a plan whose question narrows the search as a boost, the topical candidates it points to are
        ranked again on their own and fused in, so they rise without the others disappearing (`_boosts`)."""
        plan = query if isinstance(query, QueryPlan) else self.plan(query, filters, understanding=False)
        filters = self.scope(filters)
        # Deeper than the hits wanted: fusion and collapsing to documents both need room.
        n = max(self.settings.candidates, depth * 3)
        lexical = self._lexical(plan, filters, n) if mode in ("hybrid", "lexical") else []
        vector = query_vector.result() if isinstance(query_vector, Future) else query_vector
        dense = self._dense(vector, filters, n) if mode in ("hybrid", "dense") else []
        if parts is not None:
            parts.update(lexical=lexical, dense=dense)
        rankings: list[list[Ranked]] = []
        weights: list[float] = []
        settings = self.settings
        if settings.fusion == "convex":
            w_lexical, w_dense = 1 - settings.convex_dense_weight, settings.convex_dense_weight
        else:
            w_lexical, w_dense = settings.weight_lexical, settings.weight_dense
        if mode in ("hybrid", "lexical"):
            rankings.append(lexical)
            weights.append(w_lexical)
        if mode in ("hybrid", "dense"):
            rankings.append(dense)
            weights.append(w_dense)
        if plan.prefer is not None and plan.understood.applied_as == "boost":
            share = self.settings.weight_understood / len(rankings)
            for ranking, weight in zip(
                self._boosts(plan, filters, mode, lexical, dense, n), (w_lexical, w_dense), strict=True
            ):
                if ranking is not None:
                    rankings.append(ranking)
                    weights.append(share * weight)
        if len(rankings) == 1:
            return rankings[0]
        if self.settings.fusion == "convex":
            # Lexical and dense scores live on different scales: each ranking is normalised, then weighed.
            return [Ranked(i, s) for i, s in fuse_convex(rankings, weights)]
        return fuse_rrf(rankings, weights, self.settings.rrf_k)

    def _boosts(
        self,
        plan: QueryPlan,
        filters: SearchFilters,
        mode: str,
        lexical: list[Ranked],
        dense: list[Ranked],
        n: int,
    ) -> tuple[list[Ranked] | None, list[Ranked] | None]:
        """The lexical and dense rankings of the topical candidates the question points to; call inside a
        snapshot. None for a retriever the mode leaves out.

        Topical candidates match the question on their own: close to the best match, as the facets count
        them (`facet_candidates`), on the topic terms alone (by meaning only when the mode has no words).
        So a place, a year or the wording of intent ("hvordan gør … kommune") never makes a match by itself,
        and a text that merely mentions the place or the year is not pulled up (see `points_to` for years)."""
        assert plan.prefer is not None
        topical_lexical = lexical
        if mode != "dense" and plan.topic != plan.terms:
            aside = set(plan.terms) - set(plan.topic)
            topical = dataclasses.replace(
                plan,
                terms=plan.topic,
                expansions={t: w for t, w in plan.expansions.items() if not aside.intersection(t.split())},
            )
            has_topic = bool(topical.terms or topical.expansions)
            topical_lexical = self._lexical(topical, filters, n) if has_topic else []
        # The query's vector holds the place's name too, so where words are searched they decide what is
        # topical; a dense search alone has only its own closeness.
        close = facet_candidates(
            {"lexical": topical_lexical} if mode != "dense" else {"dense": dense}, self.settings
        )
        # The documents' fields decide for most chunks; the text is read only where its years may.
        prefer = plan.prefer
        documents = self._documents(close)
        pointed = {chunk_id for chunk_id, doc in documents.items() if passes(doc, prefer)}
        by_text = [c for c, doc in documents.items() if c not in pointed and by_its_text(doc, prefer)]
        pointed.update(c for c, row in self.store.chunk_rows(by_text).items() if points_to(row, prefer))
        boost_lexical = [r for r in topical_lexical if r.chunk_id in pointed] if mode != "dense" else None
        boost_dense = [r for r in dense if r.chunk_id in pointed] if mode != "lexical" else None
        return boost_lexical, boost_dense

    # -- query understanding and lexical expansion ------------------------------------------------

    def analyse(self, query: str) -> QueryAnalysis:
        """A query's analysis, to hand to `search` when the caller needs the analysis too (answering)."""
        return analyse(validate_query(query))

    def plan(
        self,
        query: str,
        filters: SearchFilters | None = None,
        *,
        understanding: bool = True,
        analysis: QueryAnalysis | None = None,
    ) -> QueryPlan:
        """Read a query: its terms, compound parts, the thesaurus, spelling, and (with `understanding`) the
        municipalities, regions, years and law it names (see `plan.build_plan`). Call inside a snapshot."""
        if analysis is None or analysis.text != query:
            analysis = analyse(query)
        state = self.lexical_state()
        return build_plan(
            analysis,
            state,
            state.view(self.scope(filters).include_internal),
            self.settings,
            filters=filters,
            understanding=understanding,
            today=self.today(),
        )

    def _lexical(self, plan: QueryPlan, filters: SearchFilters | None, n: int) -> list[Ranked]:
        index = self.lexical_index()
        if index is None:
            return self._lexical_fts5(plan, filters, n)
        filters = self.scope(filters)  # no filters: public documents only, as everywhere
        hidden = () if filters.include_internal else self.store.internal_doc_ids()
        # Compound parts weigh index.lexical.PARTS_WEIGHT, set when indexing; `weight_parts` is FTS5's.
        query = build_query(plan.terms, expansions=plan.expansions, filters=filters, exclude_doc_ids=hidden)
        return [Ranked(i, s) for i, s in index.search(query, n)]

    def _lexical_fts5(self, plan: QueryPlan, filters: SearchFilters | None, n: int) -> list[Ranked]:
        """An FTS5-era data directory is searched as it is until its first write moves it to Tantivy."""
        current = self.lexical_state().current
        parts = self.settings.weight_parts
        columns = (FTS_COLUMNS if parts > 0 else FTS_COLUMNS[:1]) if current else ()
        expression = match_expression(plan.terms, expansions=plan.expansions, columns=columns)
        if expression is None:
            return []
        weights = (1.0, parts) if current else ()
        return [Ranked(i, s) for i, s in self.store.lexical(expression, filters, n, weights)]

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

    def _facets(
        self,
        plan: QueryPlan,
        query_vector: QueryVector,
        mode: str,
        filters: SearchFilters | None,
        k: int,
        collapse: bool,
        retrieved: dict[str, list[Ranked]],
        ranked: list[Ranked],
    ) -> tuple[Mapping[int, Described], list[Ranked]]:
        """The close matches facets count, and the ranking narrowed to them; call inside a snapshot.

        "Close" is measured against the best match without the facet filters, so a filter only takes
        documents away: the documents a value counts are the ones its click shows (a filtered search would
        otherwise fill its k hits with whatever that municipality has). When a filter leaves no close match
        (a municipality picked from the full list), the ranking stays as it is: its nearest hits."""
        if has_facet_filters(filters):
            assert filters is not None
            base: dict[str, list[Ranked]] = {}
            unfiltered = self.rank(
                plan,
                query_vector,
                mode=mode,
                filters=without_facet_filters(filters),
                depth=max(k, 1),
                parts=base,
            )
            if collapse:
                unfiltered = self._best_per_document(unfiltered)
            pool_ids = [*facet_candidates(base, self.settings), *(r.chunk_id for r in unfiltered[:k])]
        else:
            pool_ids = [*facet_candidates(retrieved, self.settings), *(r.chunk_id for r in ranked[:k])]
        pool = self._documents(dict.fromkeys(pool_ids))
        if not has_facet_filters(filters):
            return pool, ranked
        assert filters is not None
        close = count_facets(pool.values(), filters).matched
        if not close:
            return pool, ranked
        doc_of = self._doc_ids_of(r.chunk_id for r in ranked)
        return pool, [r for r in ranked if doc_of.get(r.chunk_id) in close]

    def _documents(self, chunk_ids: Iterable[int]) -> Mapping[int, Described]:
        """Each chunk's document fields: from memory once the index state is preloaded (`Loaded.doc_table`),
        else from the store; call inside a snapshot."""
        table = self.loaded.doc_table()
        return table.rows(chunk_ids) if table is not None else self.store.chunk_rows(chunk_ids)

    def _doc_ids_of(self, chunk_ids: Iterable[int]) -> dict[int, str]:
        table = self.loaded.doc_table()
        return table.doc_ids_of(chunk_ids) if table is not None else self.store.doc_ids_of(chunk_ids)

    def _marking(self, analysis: QueryAnalysis, *, include_internal: bool) -> Marking:
        """What a snippet leaves unmarked for this query (see index.fts.highlight_terms); inside a snapshot.
        Words are looked up in the caller's own vocabulary, so internal words never change a reader's marks."""
        view = self.lexical_state().view(include_internal)
        # Only terms the caller's documents have are looked up, so an internal-only word costs a reader
        # exactly what a word no document has.
        visible = [t for t in analysis.terms if view.visible(t)]
        index = self.lexical_index()
        shares = index.chunk_shares(visible) if index is not None else self.store.chunk_shares(visible)
        common = frozenset(t for t, share in shares.items() if share > COMMON_TERM_SHARE)
        counts = view.speller.counts
        as_typed = frozenset(w for w in analysis.surface if w in counts)
        return Marking(common, as_typed)

    def _best_per_document(self, ranked: list[Ranked]) -> list[Ranked]:
        doc_of = self._doc_ids_of(r.chunk_id for r in ranked)
        seen: set[str] = set()
        best: list[Ranked] = []
        for r in ranked:
            doc_id = doc_of.get(r.chunk_id)
            if doc_id is not None and doc_id not in seen:
                seen.add(doc_id)
                best.append(r)
        return best
