"""What a searcher keeps loaded: the embedder, and per index generation the vectors, Tantivy, vocabulary and
the chunks' documents."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from broker.lexical_sync import LEXICAL_STAMP_KEY, keep_whole
from broker.search.doc_table import DocTable
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
log = logging.getLogger(__name__)


class PerGeneration(Generic[T]):
    """One object per index generation, loaded once under a lock. The newest two are kept: a reader may
    still be on the previous generation for a moment."""

    def __init__(self, load: Callable[[int], T]) -> None:
        self._load = load
        self._items: dict[int, T] = {}
        self._lock = threading.Lock()

    def has(self, generation: int) -> bool:
        return generation in self._items

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
        self._doc_table: DocTable | None = None
        self._doc_table_lock = threading.Lock()

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

    def _state_key(self) -> tuple[object, ...]:
        store = self.store
        return (
            current_generation(store),
            current_lexical(store),
            store.get_meta(LEXICAL_STAMP_KEY),
            store.get_meta(ANALYZER_KEY),
            store.get_meta(VOCABULARY_STAMP_KEY),  # a document marked internal or public moves its words
        )

    def ready(self) -> bool:
        """Whether everything the committed generation needs is loaded: a search now loads nothing."""
        with self.store.snapshot():
            generation, lexical = current_generation(self.store), current_lexical(self.store)
            state, table, key = self._lexical_state, self._doc_table, self._state_key()
            return (
                (not generation or self._vectors.has(generation))
                and (not lexical or self._lexical_indexes.has(lexical))
                and state is not None
                and state.key == key
                and table is not None
                and table.key == key
            )

    def preload(self) -> None:
        """Load what the committed generation needs (vectors, Tantivy, vocabulary, the chunks' documents)
        before a search asks for it, so the first search after start-up or after a re-index finds them loaded.
        Readers still on the previous generation keep theirs (see `PerGeneration`)."""
        with self.store.snapshot():
            self.vectors()
            self.lexical_index()
            self.lexical_state()
            self._load_doc_table()

    def doc_table(self) -> DocTable | None:
        """The chunks' documents as the caller's snapshot sees them, once `preload` has read them; None before
        (the caller then reads the rows from the store). A search never waits for the table: it takes 1.6 s
        to read at 1M chunks (docs/benchmarks.md)."""
        table = self._doc_table
        return table if table is not None and table.key == self._state_key() else None

    def _load_doc_table(self) -> None:
        key = self._state_key()
        with self._doc_table_lock:
            table = self._doc_table
            if table is None or table.key != key:
                self._doc_table = DocTable.read(self.store, key)

    def lexical_state(self) -> LexicalState:
        """The index's lexical layout and vocabulary, reloaded when the index changed; call inside a snapshot."""
        store = self.store
        key = self._state_key()
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


class Preloader:
    """A daemon thread that looks for a new index generation every `interval` seconds and preloads it: a
    re-index runs in another process, so without it the first search after one would pay for the loading."""

    def __init__(self, loaded: Loaded, interval: float) -> None:
        self.loaded = loaded
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="preload", daemon=True)

    def start(self) -> None:
        if self.interval > 0:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.loaded.preload()
            except Exception:  # a half-written or damaged index is the next search's to report, in Danish
                log.debug("Forudindlæsning mislykkedes; næste søgning indlæser selv.", exc_info=True)
