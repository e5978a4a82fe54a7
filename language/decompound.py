"""Danish compound splitting: "familiebehandling" → familie + behandling, from known words and their frequency."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

from language.analysis import stopwords

MIN_PART = 4  # shortest part, except the few short words below that often start or end a compound
SHORT_PARTS = frozenset({"sag", "tal", "lov", "tid", "hus", "mål", "løn", "job", "liv", "syn"})
# Verb particles and suffix-like letter runs that are words on their own but not compound parts here:
# "sammenhængende" is not sammen + hængende, "anbringelse" is not anbring + else.
NOT_PARTS = frozenset(
    {"sammen", "frem", "gennem", "igennem", "tilbage", "imod", "omkring", "mellem", "hinanden"}
    | {"else", "elser", "elsen", "ende", "ning", "ninger", "heden", "skab", "skabet", "ighed", "ering"}
)
# Letters that may join two parts ("sag-s-behandling", "børn-e-faglig"); tried after no letter at all.
LINKS = ("s", "e", "n")
# A word that is frequent in its own right keeps its meaning whole ("sammenhængende", "rådgiver"): it is only
# split when its parts are this much more frequent (Zipf scale, i.e. 10x per 1.0) than the word itself.
WHOLE_MARGIN = 1.0
CORPUS_ZIPF = 3.0  # the score of a word known only from the indexed documents (the word list's lowest band)
MAX_WORD = 48  # longer letter runs are not words
_MAX_CACHE = 500_000  # words remembered per splitter; a long-running service starts over past this
_MIN_WORD = 2 * MIN_PART - 1
_SHORTEST = min(MIN_PART, *(len(w) for w in SHORT_PARTS))


@lru_cache(maxsize=1)
def wordlist() -> dict[str, float]:
    """The shipped Danish word list: word → Zipf frequency (see language/data/da_words.txt for its source)."""
    text = resources.files("language").joinpath("data/da_words.txt").read_text("utf-8")
    words: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            word, _, zipf = line.partition(" ")
            words[word] = float(zipf)
    return words


class Decompounder:
    """Splits compounds into known parts; keeps a cache per word, so build one per vocabulary.

    A word is known when it is in the shipped word list (with its frequency) or among `corpus_words`
    (words of the indexed documents, scored as the list's rarest band). A split needs every part known,
    at least MIN_PART letters (or one of SHORT_PARTS), and no part a stopword; among the possible splits
    the one with the fewest parts wins, then the one whose parts are most frequent on average.
    """

    def __init__(self, corpus_words: Iterable[str] = (), *, keep_whole: Iterable[str] = ()) -> None:
        self._listed: Mapping[str, float] = wordlist()
        self._corpus = frozenset(w for w in corpus_words if len(w) >= MIN_PART or w in SHORT_PARTS)
        self._stop = stopwords()
        self._keep = frozenset(keep_whole)
        self._best: dict[str, _Reading | None] = {}

    def _score(self, word: str) -> float | None:
        """The frequency score of a word that may be a part, None when it may not."""
        if len(word) < MIN_PART and word not in SHORT_PARTS:
            return None
        if word in self._stop or word in NOT_PARTS:
            return None
        zipf = self._listed.get(word)
        if zipf is not None:
            return zipf
        return CORPUS_ZIPF if word in self._corpus else None

    def _split(self, word: str) -> _Reading | None:
        """The best way to read `word` as one or more known parts, None when there is none.

        A compound right part is split further ("skole" + "socialrådgiver" → "social" + "rådgiver").
        """
        if word in self._best:
            return self._best[word]
        whole = self._score(word)
        best = _Reading(whole, (word,), ()) if whole is not None else None
        best_split: _Reading | None = None
        for cut in range(_SHORTEST, len(word) - _SHORTEST + 1):
            head, tail = word[:cut], word[cut:]
            rest = self._split(tail)
            if rest is None:
                continue
            tails = (tail, *rest.tails) if len(rest.parts) > 1 else rest.tails
            for left in (head, *(head[: -len(link)] for link in LINKS if head.endswith(link))):
                left_score = self._score(left)
                if left_score is None:
                    continue
                parts = (left, *rest.parts)
                score = (left_score + rest.score * len(rest.parts)) / len(parts)
                if best_split is None or (-len(parts), score) > (
                    -len(best_split.parts),
                    best_split.score + 1e-9,
                ):
                    best_split = _Reading(score, parts, tails)
        if best_split is not None:
            listed = self._listed.get(word)
            if listed is None or best_split.score >= listed + WHOLE_MARGIN:
                best = best_split
        self._best[word] = best
        return best

    def split(self, word: str) -> tuple[str, ...]:
        """The parts of a lower-case compound, linking letters dropped; () when it is not one.

        "sagsbehandling" → ("sag", "behandling"); "kommune" → ().
        """
        found = self._reading(word)
        return found.parts if found is not None else ()

    def pieces(self, word: str) -> tuple[str, ...]:
        """The parts of a compound and its compound tails, each a word a reader may search for on its own:
        "skolesocialrådgiver" → skole, social, rådgiver, socialrådgiver."""
        found = self._reading(word)
        return (*found.parts, *found.tails) if found is not None else ()

    def _reading(self, word: str) -> _Reading | None:
        if not (_MIN_WORD <= len(word) <= MAX_WORD) or word in self._keep or not word.isalpha():
            return None
        if len(self._best) > _MAX_CACHE:
            self._best.clear()
        found = self._split(word)
        return found if found is not None and len(found.parts) > 1 else None


class _Reading(NamedTuple):
    """A word read as parts: their mean score, the parts, and the compound tails along the way."""

    score: float
    parts: tuple[str, ...]
    tails: tuple[str, ...]
