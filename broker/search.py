"""Hybrid search: lexical (Tantivy/BM25) and dense (FAISS) retrieval with filters inside both, fused by RRF."""

from __future__ import annotations

import dataclasses
import datetime
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from broker.facets import count_facets, facet_candidates, has_facet_filters, without_facet_filters
from broker.fusion import fuse_convex
from broker.lexical_sync import LEXICAL_STAMP_KEY, keep_whole
from core.errors import IndexMismatch, IndexMissing, InvalidQuery
from core.settings import Settings
from core.types import Hit, SearchFilters, SearchResult
from index.dense import VectorIndex
from index.embed import Embedder, load_embedder
from index.fts import highlight_terms, match_expression, without_heading
from index.generations import current_generation, current_lexical, load_current
from index.lexical import LexicalIndex, build_query, lexical_path
from index.lexicon import ANALYZER_KEY, FTS_COLUMNS, Lexicon, surface_words
from index.store import ChunkRow, Store
from index.vocabulary import STAMP_KEY as VOCABULARY_STAMP_KEY
from language.analysis import analyze_query
from language.decompound import wordlist
from language.spelling import Correction, Speller, suggest
from language.thesaurus import thesaurus
from language.understand import Understood, preferred, understand

MODES = ("hybrid", "dense", "lexical")
MAX_K = 200
COMMON_TERM_SHARE = 0.5  # a term in more chunks than this is not marked in snippets beside rarer ones
MAX_QUERY_CHARS = 2000  # longer input is cut: no question needs more, and it bounds the work per query


@dataclass(frozen=True)
class Ranked:
    """A chunk id with its score in one ranking."""

    chunk_id: int
    score: float


@dataclass
class QueryPlan:
    """A query as the lexical search reads it: own terms, added terms with weights, what it says besides."""

    query: str
    terms: list[str]
    expansions: dict[str, float] = field(default_factory=dict)
    understood: Understood = field(default_factory=Understood)
    prefer: SearchFilters | None = None  # the filters narrowed by the question (a boost, or the filters)
    corrections: list[Correction] = field(default_factory=list)


@dataclass(frozen=True)
class VocabularyView:
    """The vocabulary of the documents one kind of caller may see, and what is drawn from it."""

    lexicon: Lexicon
    speller: Speller
    tokens: frozenset[str]  # terms and compound parts found in those documents

    def visible(self, term: str) -> bool:
        """True when a term (or every term of a phrase) occurs in these documents, so it can match."""
        return all(t in self.tokens for t in term.split())


@dataclass(frozen=True)
class Marking:
    """Query terms a snippet does not mark: words in most chunks, and words typed as found without æøå."""

    common: frozenset[str] = frozenset()
    as_typed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class LexicalState:
    """What the lexical search needs from the index as built: its layout and its vocabulary per visibility.

    Callers without internal rights get the public view only: the words of internal documents never reach
    their suggestions, compound splits or lexical queries, so an internal-only word is handled exactly like
    a word no document has."""

    key: tuple[object, ...]
    current: bool  # built by this code's analyzer (compound parts and vocabulary present)
    public: VocabularyView
    everything: VocabularyView

    def view(self, include_internal: bool) -> VocabularyView:
        return self.everything if include_internal else self.public


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
            self.store.close()  # no engine comes of it, so its connection is not left to the collector
            raise IndexMismatch(
                f"Indekset er bygget med embedderen '{built_with}', men der søges med '{settings.embedder}'. "
                f"Søg med samme embedder (BROKER_EMBEDDER={built_with}), eller byg indekset forfra."
            )
        self._embedder = embedder
        self._embedder_lock = threading.Lock()
        self._vectors: dict[int, VectorIndex] = {}
        self._vectors_lock = threading.Lock()
        self._lexical_state: LexicalState | None = None
        self._lexical_indexes: dict[int, LexicalIndex] = {}
        self._lexical_lock = threading.Lock()
        self.today: Callable[[], datetime.date] = datetime.date.today  # replaceable in tests

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
                dim = int(self.store.get_meta("embedder_dim", "0") or 0)
                index = load_current(self.store, self.settings.data_dir, dim, self.settings)
                # Keep the newest two: a reader may still be on the previous generation for a moment.
                self._vectors = {g: v for g, v in self._vectors.items() if g >= generation - 1}
                self._vectors[generation] = index
        return index

    def lexical_index(self) -> LexicalIndex | None:
        """The Tantivy index of the generation the caller's snapshot sees; None for an FTS5-era index."""
        generation = current_lexical(self.store)
        if generation == 0:
            return None
        index = self._lexical_indexes.get(generation)
        if index is not None:
            return index
        with self._lexical_lock:
            index = self._lexical_indexes.get(generation)
            if index is None:
                try:
                    index = LexicalIndex.load(lexical_path(self.settings.data_dir, generation))
                except Exception as exc:  # the committed directory must be there; say how to recover
                    raise IndexMissing(
                        f"Ordindekset (generation {generation}) mangler eller kan ikke læses. Kør: "
                        f"broker reindex --rebuild-lexical --data {self.settings.data_dir}"
                    ) from exc
                self._lexical_indexes = {
                    g: i for g, i in self._lexical_indexes.items() if g >= generation - 1
                }
                self._lexical_indexes[generation] = index
        return index

    def close(self) -> None:
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
    ) -> SearchResult:
        """Search in one of the three modes; with `collapse`, only the best chunk of each document.

        With `facets`, also count the documents among the candidates per municipality, region, type and year:
        the candidates that score close to the best of their retriever (see `facet_candidates`).
        """
        started = time.perf_counter()
        query = validate_query(query)
        if mode not in MODES:
            raise InvalidQuery(f"Ukendt søgetilstand '{mode}'. Vælg en af: {', '.join(MODES)}.")
        if not 1 <= k <= MAX_K:
            raise InvalidQuery(f"Antal resultater (k) skal være mellem 1 og {MAX_K}, ikke {k}.")
        query_vector = self.embedder.embed_queries([query])[0] if mode != "lexical" else None
        with self.store.snapshot():
            plan = self.plan(query, filters)
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
            found: tuple[dict[int, ChunkRow], list[Ranked]] | None = None
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
            marking = self._marking(query, include_internal=bool(filters and filters.include_internal))
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
            _hit(rank, r, rows[r.chunk_id], query, marking)
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
        query_vector: np.ndarray | None,
        *,
        mode: str,
        filters: SearchFilters | None,
        depth: int,
        parts: dict[str, list[Ranked]] | None = None,
    ) -> list[Ranked]:
        """Ranked chunk ids for a query (or its plan); call inside a snapshot.

        `parts`, when given, receives each retriever's own ranking ("lexical", "dense") before fusion.

        With a plan whose question narrows the search as a boost, the documents it points to are searched
        again on their own and that ranking is fused in, so they rise without the others disappearing."""
        plan = query if isinstance(query, QueryPlan) else self.plan(query, filters, understanding=False)
        filters = self.scope(filters)
        # Deeper than the hits wanted: fusion and collapsing to documents both need room.
        n = max(self.settings.candidates, depth * 3)
        lexical = self._lexical(plan, filters, n) if mode in ("hybrid", "lexical") else []
        dense = self._dense(query_vector, filters, n) if mode in ("hybrid", "dense") else []
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
            prefer = self.scope(plan.prefer)
            share = self.settings.weight_understood / len(rankings)
            if mode in ("hybrid", "lexical"):
                rankings.append(self._lexical(plan, prefer, n))
                weights.append(share * w_lexical)
            if mode in ("hybrid", "dense"):
                rankings.append(self._dense(query_vector, prefer, n))
                weights.append(share * w_dense)
        if len(rankings) == 1:
            return rankings[0]
        if self.settings.fusion == "convex":
            # Lexical and dense scores live on different scales: each ranking is normalised, then weighed.
            return [Ranked(i, s) for i, s in fuse_convex(rankings, weights)]
        return fuse_rrf(rankings, weights, self.settings.rrf_k)

    # -- query understanding and lexical expansion ------------------------------------------------

    def lexical_state(self) -> LexicalState:
        """The index's lexical layout and vocabulary, reloaded when the index changed; call inside a snapshot."""
        store = self.store
        key = (
            current_generation(store),
            current_lexical(store),
            store.get_meta(LEXICAL_STAMP_KEY),
            store.get_meta(ANALYZER_KEY),
            store.get_meta(VOCABULARY_STAMP_KEY),  # a document marked internal or public moves its words
        )
        state = self._lexical_state
        if state is not None and state.key == key:
            return state
        index = self.lexical_index()
        with self._lexical_lock:
            # Known words, terms and parts come from the vocabulary kept per visibility in SQLite, never from
            # Tantivy's term dictionary, which holds the internal documents' words too.
            current = index is not None or store.fts_columns() == FTS_COLUMNS
            everything = self._vocabulary_view(current, include_internal=True)
            public = (
                self._vocabulary_view(current, include_internal=False) if store.has_internal() else everything
            )
            state = LexicalState(key, current, public, everything)
            self._lexical_state = state
        return state

    def _vocabulary_view(self, current: bool, *, include_internal: bool) -> VocabularyView:
        store = self.store
        words = store.vocabulary("words", include_internal) if current else {}
        terms = store.vocabulary("terms", include_internal) if current else {}
        parts = store.vocabulary("parts", include_internal) if current else {}
        return VocabularyView(
            Lexicon(words, keep_whole=keep_whole()),
            Speller(words, terms, wordlist()),
            frozenset(terms) | frozenset(parts),
        )

    def plan(
        self, query: str, filters: SearchFilters | None = None, *, understanding: bool = True
    ) -> QueryPlan:
        """Read a query: its terms, compound parts, the thesaurus, spelling, and (with `understanding`) the
        municipalities, regions, years and law it names. Call inside a snapshot."""
        settings = self.settings
        state = self.lexical_state()
        view = state.view(self.scope(filters).include_internal)
        plan = QueryPlan(query, analyze_query(query))
        added: dict[str, float] = {}
        if state.current:
            for word in dict.fromkeys(surface_words(query)):
                correction = view.speller.correct(word)
                if correction is not None:
                    plan.corrections.append(correction)
                    if settings.fuzzy:
                        added.setdefault(correction.term, settings.weight_fuzzy)
                if settings.weight_query_parts > 0:
                    for term in view.lexicon.part_terms(word):
                        added.setdefault(term, settings.weight_query_parts)
        expansion = thesaurus().expand(query, settings.weight_thesaurus)
        if settings.weight_thesaurus <= 0:
            expansion.terms.clear()
        for term, w in expansion.terms.items():
            added[term] = max(w, added.get(term, 0.0))
        plan.expansions = added
        if state.current:  # a term no visible document has cannot match: it never reaches the lexical index
            plan.terms = [t for t in plan.terms if view.visible(t)]
            plan.expansions = {t: w for t, w in added.items() if view.visible(t)}
        if understanding and settings.understand != "off":
            plan.understood = understand(query, self.today())
            plan.understood.expansions = expansion.notes
            if plan.understood.narrows():
                plan.prefer = preferred(plan.understood, filters or SearchFilters())
                if plan.prefer is not None:
                    plan.understood.applied_as = settings.understand
        return plan

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
        query_vector: np.ndarray | None,
        mode: str,
        filters: SearchFilters | None,
        k: int,
        collapse: bool,
        retrieved: dict[str, list[Ranked]],
        ranked: list[Ranked],
    ) -> tuple[dict[int, ChunkRow], list[Ranked]]:
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
        pool = self.store.chunk_rows(dict.fromkeys(pool_ids))
        if not has_facet_filters(filters):
            return pool, ranked
        assert filters is not None
        close = count_facets(pool.values(), filters).matched
        if not close:
            return pool, ranked
        doc_of = self.store.doc_ids_of(r.chunk_id for r in ranked)
        return pool, [r for r in ranked if doc_of.get(r.chunk_id) in close]

    def _marking(self, query: str, *, include_internal: bool) -> Marking:
        """What a snippet leaves unmarked for this query (see index.fts.highlight_terms); inside a snapshot.
        Words are looked up in the caller's own vocabulary, so internal words never change a reader's marks."""
        view = self.lexical_state().view(include_internal)
        # Only terms the caller's documents have are looked up, so an internal-only word costs a reader
        # exactly what a word no document has.
        visible = [t for t in analyze_query(query) if view.visible(t)]
        index = self.lexical_index()
        shares = index.chunk_shares(visible) if index is not None else self.store.chunk_shares(visible)
        common = frozenset(t for t, share in shares.items() if share > COMMON_TERM_SHARE)
        counts = view.speller.counts
        as_typed = frozenset(w for w in (w.lower() for w in surface_words(query)) if w in counts)
        return Marking(common, as_typed)

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


NOTHING_RELEVANT = (
    "Intet relevant: ingen dokumenter indeholder søgningens ord, og ingen ligner den nok i betydning."
)


def validate_query(query: str) -> str:
    """Normalise whitespace and control characters; refuse an empty query with a clear message."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in query or "")
    cleaned = " ".join(cleaned.split())[:MAX_QUERY_CHARS]
    if not cleaned:
        raise InvalidQuery("Søgningen er tom. Skriv et eller flere ord.")
    return cleaned


def _hit(rank: int, ranked: Ranked, row: ChunkRow, query: str, marking: Marking | None = None) -> Hit:
    marking = marking or Marking()
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
        snippet=highlight_terms(
            without_heading(row.text, row.section),
            query,
            common=marking.common,
            as_typed=marking.as_typed,
        ),
    )
