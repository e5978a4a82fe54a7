"""What a question says beyond its topic: municipalities, regions, time and law ("hvordan gør Herning fra 2023")."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from core.types import SearchFilters
from language.analysis import analyze_query
from language.folding import fold
from language.registry import is_ambiguous, municipalities, regions

# Municipality names that are also ordinary words ("vejen" = the road): they count only with a capital.
# A name followed by one of these is a model's or ladder's name, not a place ("Herning modellen").
MODEL_WORDS = ("model", "trappe")
_REGION_WORDS = {
    "nordjylland": "Region Nordjylland",
    "nordjyske": "Region Nordjylland",
    "nordjysk": "Region Nordjylland",
    "midtjylland": "Region Midtjylland",
    "midtjyske": "Region Midtjylland",
    "midtjysk": "Region Midtjylland",
    "syddanmark": "Region Syddanmark",
    "sydjylland": "Region Syddanmark",
    "sydjyske": "Region Syddanmark",
    "fyn": "Region Syddanmark",
    "fynske": "Region Syddanmark",
    "sjalland": "Region Sjælland",
    "sjallandske": "Region Sjælland",
    "hovedstaden": "Region Hovedstaden",
    "hovedstadsomradet": "Region Hovedstaden",
}
# Words that say how a question is asked or where it looks, not what it is about: "hvordan gør andre
# kommuner med …", "i Region Nordjylland de seneste tre år". They are no topic for the boost.
INTENT_WORDS = (
    "hvordan", "hvorfor", "hvilke", "hvilken", "hvem", "gør", "gøre", "gjort", "andre", "anden", "kommune",
    "kommuner", "kommunes", "kommunen", "kommunens", "kommunerne", "region", "regionen", "år", "året",
    "årene", "seneste", "sidste", "siden", "efter", "før", "inden", "mellem", "arbejder",
)  # fmt: skip
# A municipality named after these is a partner or a comparison ("samarbejde med Esbjerg", "inspireret af
# Herning", "som i Hvidovre"), not where the question looks; a list ("med Herning og Holstebro") goes with
# its first name.
NOT_INTENT_BEFORE = ("med", "af", "som", "end", "nabokommune", "nabokommunen", "nabokommunerne")
_REGION_SHORT = {"nord": "Region Nordjylland", "midt": "Region Midtjylland", "syd": "Region Syddanmark"}
_NUMBERS = {"to": 2, "tre": 3, "fire": 4, "fem": 5, "seks": 6, "syv": 7, "otte": 8, "ni": 9, "ti": 10}
_TOKEN_RE = re.compile(r"[^\W_]+(?:-[^\W_]+)*'?")
_YEAR = r"((?:19|20)\d\d)"
_YEAR_TERM_RE = re.compile(r"(?:19|20)\d\d")
_RANGE_RE = re.compile(rf"\b(?:mellem|fra)\s+{_YEAR}\s*(?:-|–|og|til)\s*{_YEAR}\b", re.IGNORECASE)
_FROM_RE = re.compile(rf"\b(fra|siden|efter|nyere end)\s+(?:år(?:et)?\s+)?{_YEAR}\b", re.IGNORECASE)
_TO_RE = re.compile(rf"\b(før|inden|til og med|ældre end)\s+(?:år(?:et)?\s+)?{_YEAR}\b", re.IGNORECASE)
_RECENT_RE = re.compile(
    r"\b(?:(?:i\s+)?de\s+)?(?:seneste|sidste)\s+(\d{1,2}|to|tre|fire|fem|seks|syv|otte|ni|ti)\s+år\b",
    re.IGNORECASE,
)
_LAST_YEAR_RE = re.compile(r"\b(?:det\s+)?(?:seneste|sidste)\s+år\b", re.IGNORECASE)
_THIS_YEAR_RE = re.compile(r"\bi\s+år\b", re.IGNORECASE)
_NEW_LAW_RE = re.compile(r"\b[Bb]arnets\s+[Ll]ovs?\b|\bBARNETS\s+LOV\b|\bBL\b")
_OLD_LAW_RE = re.compile(r"\bservicelov(?:en|ens)?\b|\bSEL\b|\blov\s+om\s+social\s+service\b", re.IGNORECASE)


@dataclass
class Understood:
    """What was recognised in a question, and how it was used (see `applied_as`)."""

    kommuner: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    year_from: int | None = None
    year_to: int | None = None
    law: str | None = None
    applied_as: str | None = None  # "boost" or "filter"; None when nothing narrows the search
    expansions: list[str] = field(default_factory=list)  # readable notes on the words added to the search
    mentions: list[str] = field(
        default_factory=list
    )  # the words recognised, as written ("Hjørrings", "2023")

    def narrows(self) -> bool:
        return bool(self.kommuner or self.regions or self.year_from is not None or self.year_to is not None)

    def is_empty(self) -> bool:
        return not (self.narrows() or self.law or self.expansions)

    def as_dict(self) -> dict[str, Any] | None:
        if self.is_empty():
            return None
        return {
            "kommuner": self.kommuner,
            "regions": self.regions,
            "year_from": self.year_from,
            "year_to": self.year_to,
            "law": self.law,
            "applied_as": self.applied_as if self.narrows() else None,
            "expansions": self.expansions,
        }

    def summary(self) -> str:
        """One Danish line for people: "Herning · Region Nordjylland · fra 2023 · Barnets Lov"."""
        parts: list[str] = [*self.kommuner, *self.regions]
        if self.year_from is not None and self.year_to is not None:
            parts.append(
                str(self.year_from) if self.year_from == self.year_to else f"{self.year_from}-{self.year_to}"
            )
        elif self.year_from is not None:
            parts.append(f"fra {self.year_from}")
        elif self.year_to is not None:
            parts.append(f"til {self.year_to}")
        if self.law:
            parts.append(self.law)
        return " · ".join(parts)


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    """Folded spelling → municipality, with genitives: "hjorring", "hjorrings", "kobenhavns", "aarhus"."""
    names: dict[str, str] = {}
    for name in municipalities():
        key = fold(name)
        names[key] = name
        names.setdefault(key + "s", name)
    return names


def _municipalities(question: str, mentions: list[str] | None = None) -> list[str]:
    tokens = [(m.group(), m.start()) for m in _TOKEN_RE.finditer(question)]
    names = _names()
    found: list[str] = []
    last_end, last_intent = -1, True  # where the previous name ended, and whether it was intent
    i = 0
    while i < len(tokens):
        matched = 0
        for size in (3, 2, 1):  # "Høje Taastrup", "Lyngby-Taarbæk", "Herning"
            window = tokens[i : i + size]
            if len(window) < size:
                continue
            key = fold("".join(t for t, _ in window).rstrip("'"))
            name = names.get(key)
            if name is None:
                continue
            following = tokens[i + size][0].lower() if i + size < len(tokens) else ""
            first = window[0][0]
            if following.startswith(MODEL_WORDS):
                continue  # "Herning modellen" is the model, not the place
            if is_ambiguous(name) and not first[:1].isupper() and following != "kommune":
                continue
            before = [t.lower() for t, _ in tokens[max(0, i - 2) : i]]
            if i - 1 == last_end or (i - 2 == last_end and before[-1:] in (["og"], ["eller"])):
                intent = last_intent  # "Herning, Haderslev og Hvidovre": the list goes with its first name
            else:
                intent = not before or (before[-1] not in NOT_INTENT_BEFORE and before[-2:] != ["som", "i"])
            last_end, last_intent = i + size - 1, intent
            if intent and name not in found:
                found.append(name)
            if intent and mentions is not None:
                mentions.extend(t for t, _ in window)
            matched = size
            break
        i += matched or 1
    return found


def _regions(question: str, mentions: list[str] | None = None) -> list[str]:
    found: list[str] = []
    written = [m.group() for m in _TOKEN_RE.finditer(question)]
    words = [fold(t) for t in written]
    for i, word in enumerate(words):
        region = _REGION_WORDS.get(word)
        if region is None and i > 0 and words[i - 1] == "region":
            region = _REGION_SHORT.get(word)
        if region is not None and region in regions():
            if region not in found:
                found.append(region)
            if mentions is not None:
                mentions.append(written[i])
    return found


def _years(
    question: str, today: datetime.date, mentions: list[str] | None = None
) -> tuple[int | None, int | None]:
    def sane(year: int) -> bool:
        return 1990 <= year <= today.year + 1

    year_from: int | None = None
    year_to: int | None = None
    if mentions is not None:  # the years an expression of time names are where, not what
        for m in (p.search(question) for p in (_RANGE_RE, _FROM_RE, _TO_RE)):
            if m is not None:
                mentions.extend(g for g in m.groups() if g and g.isdigit())
    if m := _RANGE_RE.search(question):
        low, high = sorted((int(m.group(1)), int(m.group(2))))
        if sane(low) and sane(high):
            return low, high
    if m := _FROM_RE.search(question):
        year = int(m.group(2))
        if sane(year):
            year_from = year + 1 if m.group(1).lower() in ("efter", "nyere end") else year
    if m := _TO_RE.search(question):
        year = int(m.group(2))
        if sane(year):
            year_to = year - 1 if m.group(1).lower() in ("før", "inden", "ældre end") else year
    if year_from is None:
        if m := _RECENT_RE.search(question):
            word = m.group(1).lower()
            n = int(word) if word.isdigit() else _NUMBERS[word]
            year_from = today.year - n
        elif _LAST_YEAR_RE.search(question):
            year_from = today.year - 1
        elif _THIS_YEAR_RE.search(question):
            year_from = today.year
    return year_from, year_to


def _law(question: str) -> str | None:
    new = _NEW_LAW_RE.search(question)
    old = _OLD_LAW_RE.search(question)
    if new and old:
        return "Serviceloven og Barnets Lov" if old.start() < new.start() else "Barnets Lov og serviceloven"
    if new:
        return "Barnets Lov"
    return "Serviceloven" if old else None


def understand(question: str, today: datetime.date | None = None) -> Understood:
    """Recognise municipalities (98 names, genitive, without æøå), regions, time ("fra 2023", "de seneste
    tre år", relative to `today`) and the law named in a question."""
    today = today or datetime.date.today()
    mentions: list[str] = []
    year_from, year_to = _years(question, today, mentions)
    return Understood(
        kommuner=_municipalities(question, mentions),
        regions=_regions(question, mentions),
        year_from=year_from,
        year_to=year_to,
        law=_law(question),
        mentions=mentions,
    )


@lru_cache(maxsize=1)
def _intent_terms() -> frozenset[str]:
    return frozenset(analyze_query(" ".join(INTENT_WORDS)))


def topic_terms(terms: list[str], understood: Understood) -> list[str]:
    """The query's terms that say what it is about: without the places and years it names and the wording
    of intent ("hvordan gør … kommune"), so a mention of a place or a year alone never counts as a match."""
    aside = _intent_terms() | set(analyze_query(" ".join(understood.mentions)))
    return [t for t in terms if t not in aside and not _YEAR_TERM_RE.fullmatch(t)]


def preferred(understood: Understood, filters: SearchFilters) -> SearchFilters | None:
    """The caller's filters narrowed by what the question says, on the points the caller left open.

    None when the question adds nothing the filters do not already say."""
    changes: dict[str, Any] = {}
    if understood.kommuner and not filters.kommuner and not filters.regions:
        changes["kommuner"] = understood.kommuner
    if understood.regions and not filters.regions and not filters.kommuner and not understood.kommuner:
        changes["regions"] = understood.regions
    if understood.year_from is not None and filters.year_from is None:
        changes["year_from"] = understood.year_from
    if understood.year_to is not None and filters.year_to is None:
        changes["year_to"] = understood.year_to
    if not changes:
        return None
    return SearchFilters(**{**filters.__dict__, **changes})
