"""The aspects a practice comparison covers (broker/data/aspects.toml), and how strongly a passage speaks to one."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from broker.comparison.values import Value, extract
from core.errors import InvalidQuery

VALUE_KINDS = ("varighed", "frist", "hyppighed", "omfang", "sagstal", "beløb", "andel", "paragraf")

# How much each kind of evidence counts; a heading naming the aspect is the surest sign a section is about it.
HEADING_WEIGHT = 2.0
CUE_WEIGHT = 0.5
MAX_CUES = 4
VALUE_WEIGHT = 1.0


def fold(text: str) -> str:
    """Lower case with æøå written out, so "Maalgruppe" and "målgruppe" meet."""
    return text.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")


@lru_cache(maxsize=256)
def _pattern(cues: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    out = []
    for cue in cues:
        folded = re.escape(fold(cue.strip()))
        tail = r"\w*" if cue[-1:].isalnum() else ""
        head = r"(?<!\w)" if cue[:1].isalnum() else ""
        out.append(re.compile(head + folded + tail))
    return tuple(out)


@dataclass(frozen=True)
class Aspect:
    """One row of the matrix: its key, its title, the words that point to it and the values it carries."""

    name: str
    title: str
    headings: tuple[str, ...]
    cues: tuple[str, ...]
    values: tuple[str, ...]

    def heading_match(self, section: str) -> bool:
        """The passage's own heading (the last part of its section path) names the aspect."""
        own = fold(section.rsplit(">", 1)[-1])
        return any(p.search(own) for p in _pattern(self.headings))

    def cue_count(self, text: str) -> int:
        folded = fold(text)
        return sum(1 for p in _pattern(self.cues) if p.search(folded))

    def extract(self, text: str, year: int | None = None) -> list[Value]:
        return extract(text, self.values, year=year) if self.values else []

    def score(self, section: str, text: str, year: int | None = None) -> float:
        """How strongly a passage speaks to this aspect, regardless of topic (0 = not at all)."""
        score = HEADING_WEIGHT if self.heading_match(section) else 0.0
        score += CUE_WEIGHT * min(self.cue_count(text), MAX_CUES)
        if self.values and self.extract(text, year):
            score += VALUE_WEIGHT
        return score


def parse_aspects(text: str, origin: str = "aspects.toml") -> list[Aspect]:
    """Read the aspects file; a missing field or an unknown value kind is a clear error naming the aspect."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidQuery(f"{origin} er ikke gyldig TOML: {exc}") from exc
    aspects = []
    for number, item in enumerate(data.get("aspekt", []), 1):
        try:
            name = str(item["navn"]).strip().lower()
            values = tuple(str(v) for v in item.get("tal", []))
            unknown = [v for v in values if v not in VALUE_KINDS]
            if unknown:
                raise InvalidQuery(
                    f"{origin}: aspektet »{name}« har ukendte tal {unknown}; brug {', '.join(VALUE_KINDS)}."
                )
            aspects.append(
                Aspect(
                    name,
                    str(item.get("titel", name)),
                    tuple(str(h) for h in item.get("overskrift", [])),
                    tuple(str(c) for c in item["ord"] if str(c).strip()),
                    values,
                )
            )
        except (KeyError, TypeError) as exc:
            raise InvalidQuery(f"{origin}: aspekt nr. {number} mangler feltet {exc}.") from exc
    if not aspects:
        raise InvalidQuery(f"{origin} indeholder ingen aspekter.")
    return aspects


def load_aspects(path: Path | None = None) -> list[Aspect]:
    if path is not None:
        return parse_aspects(path.read_text(encoding="utf-8"), str(path))
    return list(_shipped())


@lru_cache(maxsize=1)
def _shipped() -> tuple[Aspect, ...]:
    text = resources.files("broker").joinpath("data/aspects.toml").read_text("utf-8")
    return tuple(parse_aspects(text))


def choose_aspects(names: list[str] | None, aspects: list[Aspect] | None = None) -> list[Aspect]:
    """The aspects asked for, in the file's order; an unknown name is an error listing the known ones."""
    aspects = aspects if aspects is not None else load_aspects()
    if not names:
        return aspects
    by_key = {fold(a.name): a for a in aspects}
    wanted = []
    for name in names:
        for part in name.split(","):
            key = fold(part.strip())
            if not key:
                continue
            if key not in by_key:
                known = ", ".join(a.name for a in aspects)
                raise InvalidQuery(f"Ukendt aspekt »{part.strip()}«. Vælg blandt: {known}.")
            wanted.append(by_key[key])
    return [a for a in aspects if a in wanted] or aspects
