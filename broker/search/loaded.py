"""What a searcher keeps loaded: the embedder, and per index generation the vectors, Tantivy and vocabulary."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from broker.lexical_sync import LEXICAL_STAMP_KEY, keep_whole
from broker.search.plan import LexicalState, VocabularyView
from core.errors import IndexMissing
from core.settings import Settings
from index.dense import VectorIndex
from index.embed import Embedder, load_embedder
from index.generations import current_generation, current_lexical, load_current
from index.lexical import LexicalIndex, lexical_path
from index.lexicon import ANALYZER_KEY, FTS_COLUMNS, Lexicon
from index.store import Store
from index.vocabulary import STAMP_KEY as VOCABULARY_STAMP_KEY
from language.decompound import wordlist
from language.spelling import Speller

T = TypeVar("T")


class PerGeneration(Generic[T]):
    """One object per index generation, loaded once under a lock. The newest two are kept: a reader may
    still be on the previous generation for a moment."""

    def __init__(self, load: Callable[[int], T]) -> None:
        self._load = load
        self._items: dict[int, T] = {}
        self._lock = threading.Lock()

    def get(self, generation: int) -> T:
        item = self._items.get(generation)
        if item is not None:
            return item
        with self._lock:
            item = self._items.get(generation)
            if item is None:
                item = self._load(generation)
                self._items = {g: v for g, v in self._items.items() if g >= generation - 1}
                self._items[generation] = item
        return item


class Loaded:
    """The loaded parts of one index, shared by the threads of a process; each reloads when its generation
    changes, and the previous one is kept a moment for readers still on it."""

    def __init__(self, store: Store, settings: Settings, embedder: Embedder | None = None) -> None:
        self.store = store
        self.settings = settings
        self._embedder = embedder
        self._embedder_lock = threading.Lock()
        self._vectors = PerGeneration(self._load_vectors)
        self._lexical_indexes = PerGeneration(self._load_lexical)
        self._lexical_state: LexicalState | None = None
        self._lexical_lock = threading.Lock()

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
        return self._vectors.get(generation) if generation else None

    def _load_vectors(self, generation: int) -> VectorIndex:
        dim = int(self.store.get_meta("embedder_dim", "0") or 0)
        return load_current(self.store, self.settings.data_dir, dim, self.settings)

    def lexical_index(self) -> LexicalIndex | None:
        """The Tantivy index of the generation the caller's snapshot sees; None for an FTS5-era index."""
        generation = current_lexical(self.store)
        return self._lexical_indexes.get(generation) if generation else None

    def _load_lexical(self, generation: int) -> LexicalIndex:
        try:
            return LexicalIndex.load(lexical_path(self.settings.data_dir, generation))
        except Exception as exc:  # the committed directory must be there; say how to recover
            raise IndexMissing(
                f"Ordindekset (generation {generation}) mangler eller kan ikke læses. Kør: "
                f"broker reindex --rebuild-lexical --data {self.settings.data_dir}"
            ) from exc

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
