"""Spelling help from the index's own vocabulary: "Mente du: familiebehandling?" and close words for typos."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from language.analysis import word_term
from language.folding import fold

MIN_WORD = 4  # shorter words are left alone: too many neighbours, too little to go on
_ALPHABET = "abcdefghijklmnopqrstuvwxyz"
_ASKED_MAX = 50_000  # corrections remembered per speller
_UNASKED = object()


def edits1(word: str) -> set[str]:
    """Every string one edit from `word` (delete, swap neighbours, replace, insert) over a-z."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in _ALPHABET}
    inserts = {a + c + b for a, b in splits for c in _ALPHABET}
    return deletes | swaps | replaces | inserts


@dataclass(frozen=True)
class Correction:
    """A query word unknown to the index and the indexed word most likely meant."""

    word: str  # as typed, lower case
    suggestion: str  # a surface word of the index
    term: str  # its analysed term


class Speller:
    """Corrects query words against the index's vocabulary (surface words with their occurrences).

    A word is left alone when the index knows its term or when it is a word of the shipped Danish word list
    (spelled right, just not in these documents). Otherwise the most frequent indexed word one edit away,
    compared without æøå and case, is its correction.
    """

    def __init__(
        self, counts: Mapping[str, int], known_terms: Collection[str], dictionary: Collection[str] = ()
    ) -> None:
        self.counts = counts
        self.known_terms = known_terms
        self.dictionary = dictionary
        self._folded: dict[str, tuple[str, int]] | None = None
        # Corrections asked before: words recur across queries, and an unknown word costs a lookup of each of
        # its several hundred one-edit neighbours. Bounded; a speller lives as long as its vocabulary.
        self._asked: dict[str, object] = {}

    def _index(self) -> dict[str, tuple[str, int]]:
        """Folded spelling → (most frequent surface word with it, its occurrences); built on first use."""
        if self._folded is None:
            folded: dict[str, tuple[str, int]] = {}
            for word, count in self.counts.items():
                if len(word) < MIN_WORD:
                    continue
                key = fold(word)
                best = folded.get(key)
                if best is None or count > best[1]:
                    folded[key] = (word, count)
            self._folded = folded
        return self._folded

    def correct(self, word: str) -> Correction | None:
        """The correction of one lower-case query word, None when it needs none or none is close."""
        if len(word) < MIN_WORD or not word.isalpha() or word in self.dictionary:
            return None
        asked = self._asked.get(word, _UNASKED)  # one read: another thread may clear the dict meanwhile
        if asked is not _UNASKED:
            return asked if isinstance(asked, Correction) else None
        if len(self._asked) >= _ASKED_MAX:
            self._asked.clear()
        correction = self._asked[word] = self._correct(word)
        return correction

    def _correct(self, word: str) -> Correction | None:
        term = word_term(word)
        if not term or term in self.known_terms:
            return None
        index = self._index()
        key = fold(word)
        candidates = [index[c] for c in edits1(key) if c in index]
        if not candidates:
            return None
        surface, _count = max(candidates, key=lambda wc: (wc[1], wc[0]))
        corrected = word_term(surface)
        return Correction(word, surface, corrected) if corrected else None


def suggest(query: str, corrections: list[Correction]) -> str | None:
    """The query with each corrected word replaced, keeping a leading capital; None without corrections."""
    if not corrections:
        return None
    text = query
    for c in corrections:

        def replace(m: re.Match[str], c: Correction = c) -> str:
            return c.suggestion.capitalize() if m.group()[:1].isupper() else c.suggestion

        text = re.sub(rf"(?<!\w){re.escape(c.word)}(?!\w)", replace, text, flags=re.IGNORECASE)
    return text if text != query else None
