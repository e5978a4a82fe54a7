"""What the lexical index holds per chunk (terms, compound parts, surface words) and the analyzer's version."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from language.analysis import analyze, normalize, word_term
from language.decompound import MAX_WORD, Decompounder

_MAX_CACHE = 500_000

# Bump when the same text would give other terms, parts or words: the next ingest or re-index (or
# `broker reindex --rebuild-lexical`) then recomputes the lexical index from the stored text, no re-embedding.
ANALYZER_VERSION = "2"
ANALYZER_KEY = "analyzer_version"  # the index's meta key
FTS_COLUMNS = ("terms", "parts")  # the searched fields (Tantivy; also an FTS5-era index's columns)
MIN_CORPUS_COUNT = 2  # a word must occur this often in the documents to count as a known compound part

_LETTERS = re.compile(r"[^\W\d_]+")


def surface_words(text: str) -> list[str]:
    """The words of a text as written, lower case, letters only, in order: "Familiehuset's 2 rum" → familiehuset, s,
    rum."""
    return [w for w in _LETTERS.findall(normalize(text).lower()) if len(w) <= MAX_WORD]


@dataclass(frozen=True)
class LexicalRow:
    """One chunk's entry in the lexical index, a value per searched field, and its surface words."""

    terms: str  # analysed terms of the text, in order (they carry term frequency and phrase positions)
    parts: str  # analysed terms of the parts of its compounds ("familiebehandling" → famili behandl)
    words: str  # its surface words, for the vocabulary

    def values(self) -> tuple[str, str, str]:
        """The searched fields' values, then the surface words (see `Store.put_lexical`)."""
        return self.terms, self.parts, self.words


class Lexicon:
    """The analysis that depends on the indexed documents: compounds split with their vocabulary.

    `counts` are surface words with their occurrences in the index (see `Store.vocabulary`); words seen at
    least MIN_CORPUS_COUNT times join the shipped word list as known compound parts. `keep_whole` are words
    never split (place names: "frederikshavn" is not frederik + havn).
    """

    def __init__(self, counts: Mapping[str, int] | None = None, *, keep_whole: Iterable[str] = ()) -> None:
        self.counts: Mapping[str, int] = counts or {}
        known = (w for w, n in self.counts.items() if n >= MIN_CORPUS_COUNT)
        self.splitter = Decompounder(known, keep_whole=keep_whole)
        self._part_terms: dict[str, tuple[str, ...]] = {}

    def part_terms(self, word: str) -> tuple[str, ...]:
        """Analysed terms of the pieces of a lower-case surface word; () when it is not a compound."""
        cached = self._part_terms.get(word)
        if cached is None:
            if len(self._part_terms) > _MAX_CACHE:
                self._part_terms.clear()
            whole = word_term(word)
            terms = (word_term(piece) for piece in self.splitter.pieces(word))
            cached = tuple(dict.fromkeys(t for t in terms if t and t != whole))
            self._part_terms[word] = cached
        return cached

    def row(self, text: str) -> LexicalRow:
        """The lexical index entry for a chunk's text."""
        words = surface_words(text)
        parts = [t for w in words for t in self.part_terms(w)]
        return LexicalRow(" ".join(analyze(text)), " ".join(parts), " ".join(words))
