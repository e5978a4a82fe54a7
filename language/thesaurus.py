"""The field's vocabulary (language/data/thesaurus.toml): abbreviations, model names, synonyms and moved paragraphs."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from language.analysis import analyze

_OLD_LAW = ("servicelov", "sel")  # terms that name Serviceloven in a query
_NEW_LAW = (("barn", "lov"), ("bl",))  # term sequences that name Barnets Lov


@dataclass(frozen=True)
class Group:
    """Expressions meaning (nearly) the same, with where that is stated."""

    expressions: tuple[str, ...]
    kind: str
    source: str
    caps: bool = False  # an abbreviation counts only written in capitals
    one_way: bool = False  # only the first expression brings in the others, not the other way round
    terms: tuple[tuple[str, ...], ...] = ()  # analysed term sequence of each expression


@dataclass(frozen=True)
class MovedParagraph:
    """A paragraph of Serviceloven that Barnets Lov took over on 1 January 2024 under another number."""

    old: str  # "§ 52, stk. 3"
    new: str  # "§ 32"
    topic: str
    source: str
    old_keys: tuple[str, ...] = ()  # query terms that mean the old paragraph ("p52stk3", "p52")
    new_keys: tuple[str, ...] = ()


@dataclass
class Expansion:
    """What the thesaurus adds to a query: terms or phrases (space-separated terms) and readable notes."""

    terms: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _contains(haystack: list[str], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    return n > 0 and any(tuple(haystack[i : i + n]) == needle for i in range(len(haystack) - n + 1))


def _phrase(terms: tuple[str, ...]) -> str:
    return " ".join(terms)


def _keys(paragraph: str) -> tuple[str, ...]:
    """Query terms that name a paragraph: "§ 52, stk. 3" → ("p52stk3", "p52"); "§ 20" → ("p20",)."""
    terms = analyze(paragraph)
    with_stk = [t for t in terms if re.fullmatch(r"p\d+[a-h]?stk\d+", t)]
    plain = [t for t in terms if re.fullmatch(r"p\d+[a-h]?", t)]
    return tuple(with_stk + plain)


class Thesaurus:
    """Groups of equivalent expressions and moved paragraphs, matched on analysed terms."""

    def __init__(self, groups: list[Group], paragraphs: list[MovedParagraph]) -> None:
        self.groups = groups
        self.paragraphs = paragraphs

    @classmethod
    def parse(cls, text: str) -> Thesaurus:
        data: dict[str, Any] = tomllib.loads(text)
        groups = []
        for item in data.get("gruppe", []):
            expressions = tuple(str(e) for e in item["udtryk"])
            terms = tuple(tuple(analyze(e)) for e in expressions)
            groups.append(
                Group(
                    expressions,
                    str(item["type"]),
                    str(item["kilde"]),
                    bool(item.get("versaler")),
                    bool(item.get("envejs")),
                    terms,
                )
            )
        paragraphs = [
            MovedParagraph(
                str(item["serviceloven"]),
                str(item["barnets_lov"]),
                str(item.get("emne", "")),
                str(item["kilde"]),
                _keys(str(item["serviceloven"])),
                _keys(str(item["barnets_lov"])),
            )
            for item in data.get("paragraf", [])
        ]
        return cls(groups, paragraphs)

    @classmethod
    def load(cls, path: Path | None = None) -> Thesaurus:
        if path is not None:
            return cls.parse(path.read_text(encoding="utf-8"))
        return cls.parse(resources.files("language").joinpath("data/thesaurus.toml").read_text("utf-8"))

    def expand(self, query: str, weight: float = 0.5, *, terms: list[str] | None = None) -> Expansion:
        """Terms and phrases to add to a query at `weight`, with a readable note per match.

        `terms` is the query's `analyze` output when the caller has analysed it already."""
        terms = analyze(query) if terms is None else terms
        out = Expansion()
        if not terms:
            return out
        present = set(terms)
        for group in self.groups:
            triggers = group.terms[:1] if group.one_way else group.terms
            found = [
                i
                for i, seq in enumerate(triggers)
                if seq
                and seq[0] in present  # the cheap test first: most groups share no term with a query
                and _contains(terms, seq)
                and (not group.caps or _written_in_capitals(query, group.expressions[i]))
            ]
            if not found:
                continue
            for i, seq in enumerate(group.terms):
                if i not in found and seq:
                    out.terms.setdefault(_phrase(seq), weight)
            shown = group.expressions[found[0]]
            others = [e for i, e in enumerate(group.expressions) if i not in found]
            out.notes.append(f"{shown} = {' / '.join(others)}")
        self._paragraphs(query, terms, present, out, weight)
        return out

    def _paragraphs(
        self, query: str, terms: list[str], present: set[str], out: Expansion, weight: float
    ) -> None:
        names_old = any(t in _OLD_LAW for t in terms)
        names_new = any(_contains(terms, seq) for seq in _NEW_LAW if seq != ("bl",)) or bool(
            re.search(r"\bBL\b", query)
        )
        for moved in self.paragraphs:
            # A paragraph number is read as the old law's unless only Barnets Lov is named, and vice versa.
            if present.intersection(moved.old_keys) and not (names_new and not names_old):
                out.terms.setdefault(moved.new_keys[0], weight)
                out.notes.append(f"serviceloven {moved.old} = Barnets Lov {moved.new} ({moved.topic})")
            if present.intersection(moved.new_keys) and not (names_old and not names_new):
                out.terms.setdefault(moved.old_keys[0], weight)
                out.notes.append(f"Barnets Lov {moved.new} = serviceloven {moved.old} ({moved.topic})")


def _written_in_capitals(query: str, expression: str) -> bool:
    """For abbreviations that are also ordinary words: the query writes it in capitals ("KL", not "kl.")."""
    if not expression.isupper():
        return True
    return re.search(rf"(?<![\w]){re.escape(expression)}(?![\w])", query) is not None


@lru_cache(maxsize=1)
def thesaurus() -> Thesaurus:
    """The shipped thesaurus, parsed once per process."""
    return Thesaurus.load()
