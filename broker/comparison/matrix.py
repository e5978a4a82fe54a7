"""Practice compared as a matrix: for each aspect and municipality the best passage on a topic, with its values."""

from __future__ import annotations

import dataclasses
import datetime
import re
from dataclasses import dataclass
from typing import Any

from broker.answers.citations import document_url
from broker.comparison.aspects import Aspect, choose_aspects
from broker.search import Engine, validate_query
from core.errors import InvalidQuery
from core.types import SearchFilters
from index.store import ChunkRow
from language.analysis import analyze
from language.filters import resolve_municipality
from language.thesaurus import thesaurus

MIN_COMPARE = 2
MAX_COMPARE = 6
QUOTE_CHARS = 420


@dataclass(frozen=True)
class Floors:
    """What a passage must reach to fill a cell, so a cell is empty rather than weak.

    Calibrated on corpus/compare.jsonl (see the README): `aspect` is the least aspect evidence (a heading
    naming the aspect is 2, each cue word 0.5, a value of the aspect's kind 1); `topic` is how close in
    meaning (e5 cosine) the passage's document must come to the topic at its best passage; `topic_margin` lets
    a passage count for the topic only within this distance of its municipality's best passage. A document
    that uses at most half of the topic's words (or none of its thesaurus phrases) must reach `meaning_only`:
    e5 finds an SSP report "close" to family treatment, but it never says "familiebehandling"."""

    aspect: float = 1.5
    topic: float = 0.82
    topic_margin: float = 0.04
    meaning_only: float = 0.88  # a document that does not use the topic's own words must come this close


TOPIC_WEIGHT = 10.0  # per unit of cosine: 0.05 closer to the topic weighs as one cue word
LEXICAL_BONUS = 0.5  # the passage itself uses the topic's words


@dataclass
class Candidate:
    row: ChunkRow
    dense: float
    lexical: bool
    words: float = 0.0  # share of the topic's words its document uses (1.0 for a thesaurus phrase)


def compare_matrix(
    engine: Engine,
    topic: str,
    kommuner: list[str],
    *,
    aspects: list[str] | None = None,
    filters: SearchFilters | None = None,
    floors: Floors | None = None,
    today: datetime.date | None = None,
) -> dict[str, Any]:
    """The matrix for a topic: rows are aspects, columns municipalities, each cell the best passage or None.

    `filters` are the caller's (their `include_internal` decides whether internal documents count); the
    municipality filter is replaced by each column's municipality."""
    topic = validate_query(topic)
    names = list(dict.fromkeys(resolve_municipality(name) for name in kommuner))
    if not MIN_COMPARE <= len(names) <= MAX_COMPARE:
        raise InvalidQuery(f"Vælg mellem {MIN_COMPARE} og {MAX_COMPARE} forskellige kommuner at sammenligne.")
    rows_wanted = choose_aspects(aspects)
    floors = floors or Floors()
    base = filters if filters is not None else SearchFilters()
    vector = engine.embed_query(topic)
    columns: dict[str, list[Candidate]] = {}
    with engine.store.snapshot():
        plan = engine.plan(topic, base, understanding=False)
        for name in names:
            scoped = dataclasses.replace(base, kommuner=[name])
            parts: dict[str, list[Any]] = {}
            engine.rank(
                plan, vector, mode="hybrid", filters=scoped, depth=engine.settings.candidates, parts=parts
            )
            dense = {r.chunk_id: r.score for r in parts.get("dense", [])}
            lexical = {r.chunk_id for r in parts.get("lexical", [])}
            found = engine.store.chunk_rows([*dense, *lexical])
            columns[name] = [
                Candidate(row, dense.get(cid, 0.0), cid in lexical) for cid, row in found.items()
            ]
            _mark_words(columns[name], plan.terms, thesaurus().expand(topic).terms)
    result_rows = []
    for aspect in rows_wanted:
        cells = [_cell(aspect, name, columns[name], floors) for name in names]
        result_rows.append({"aspect": aspect.name, "title": aspect.title, "values": list(aspect.values),
                            "cells": cells})  # fmt: skip
    return {
        "query": topic,
        "date": (today or engine.today()).isoformat(),
        "municipalities": names,
        "aspects": [{"name": a.name, "title": a.title} for a in rows_wanted],
        "rows": result_rows,
        "floors": dataclasses.asdict(floors),
    }


def _mark_words(candidates: list[Candidate], terms: list[str], expansions: dict[str, float]) -> None:
    """Per document, the share of the topic's own terms its passages use; a thesaurus phrase counts fully."""
    own = set(terms)
    phrases = [set(phrase.split()) for phrase in expansions]
    used: dict[str, set[str]] = {}
    for c in candidates:
        used.setdefault(c.row.doc_id, set()).update(analyze(c.row.text))
    for c in candidates:
        words = used[c.row.doc_id]
        share = len(own & words) / len(own) if own else 0.0
        if any(phrase and phrase <= words for phrase in phrases):
            share = 1.0
        c.words = share


def on_topic(candidates: list[Candidate], floors: Floors) -> list[Candidate]:
    """The passages that may fill a cell: in a document close enough to the topic, and near the best."""
    if not candidates:
        return []
    best_of_doc: dict[str, float] = {}
    for c in candidates:
        best_of_doc[c.row.doc_id] = max(best_of_doc.get(c.row.doc_id, 0.0), c.dense)
    best = max(best_of_doc.values())
    return [
        c
        for c in candidates
        if best_of_doc[c.row.doc_id]
        >= (floors.topic if c.words > 0.5 else max(floors.topic, floors.meaning_only))
        and c.dense >= best - floors.topic_margin
    ]


def cell_score(aspect: Aspect, candidate: Candidate, best_dense: float) -> tuple[float, float]:
    """(aspect evidence, ranking score): the first is held against the floor, the second picks the passage."""
    row = candidate.row
    evidence = aspect.score(row.section, row.text, row.year)
    ranking = evidence + TOPIC_WEIGHT * (candidate.dense - best_dense)
    if candidate.lexical:
        ranking += LEXICAL_BONUS
    return evidence, ranking


def _cell(aspect: Aspect, municipality: str, candidates: list[Candidate], floors: Floors) -> dict[str, Any]:
    eligible = on_topic(candidates, floors)
    best_dense = max((c.dense for c in eligible), default=0.0)
    scored = []
    for c in eligible:
        evidence, ranking = cell_score(aspect, c, best_dense)
        if evidence >= floors.aspect:
            scored.append((ranking, evidence, c))
    if not scored:
        return {"municipality": municipality, "passage": None, "values": []}
    ranking, evidence, chosen = max(scored, key=lambda item: (item[0], -item[2].row.chunk_id))
    row = chosen.row
    values = aspect.extract(row.text, row.year)
    return {
        "municipality": municipality,
        "passage": {
            "doc_id": row.doc_id,
            "chunk_id": row.chunk_id,
            "title": row.title,
            "doc_type": row.doc_type,
            "year": row.year,
            "page": row.page_start,
            "section": row.section,
            "quote": quote(aspect, row.text, row.section),
            "text": row.text,
            "url": document_url(row.doc_id, row.page_start),
            "score": round(ranking, 3),
            "evidence": round(evidence, 3),
        },
        "values": [v.as_dict() for v in values],
    }


_ABBREVIATIONS = "".join(
    rf"(?<!\b{a}\.)" for a in ("jf", "stk", "nr", "fx", "ca", "pr", "kr", "bl.a", "mio", "f.eks")
)
_SENTENCE_RE = re.compile(rf"(?<=[.!?]){_ABBREVIATIONS}\s+(?=[A-ZÆØÅ•])|\s*\n+\s*|\s+(?=• )")


def quote(aspect: Aspect, text: str, section: str = "") -> str:
    """The sentences of a passage that speak to the aspect (cue words or values), kept short; else its start.

    The section's own heading, which chunks repeat as their first line, is left out: it says nothing."""
    heading = section.rsplit(" > ", 1)[-1].strip()
    body = text.strip()
    if heading and body.startswith(heading):
        body = body[len(heading) :]
    sentences = [s.strip() for s in _SENTENCE_RE.split(body) if s and s.strip()]
    chosen = [s for s in sentences if aspect.cue_count(s) or aspect.extract(s)]
    picked = chosen or sentences
    out = ""
    for sentence in picked:
        if out and len(out) + len(sentence) + 1 > QUOTE_CHARS:
            break
        out = f"{out} {sentence}".strip()
    if len(out) > QUOTE_CHARS:
        out = out[: QUOTE_CHARS - 1].rsplit(" ", 1)[0] + " …"
    return out


MAX_NOTE_ITEMS = 60


def note_items(engine: Engine, refs: list[dict[str, Any]], *, include_internal: bool) -> list[dict[str, Any]]:
    """The passages a caller collected for a note, read again from the index (never taken from the caller).

    A reference is {"chunk_id", "aspect"?}; one the caller may not see, or that no longer exists, is left out
    exactly as if it never existed."""
    if len(refs) > MAX_NOTE_ITEMS:
        raise InvalidQuery(f"Et notat kan højst have {MAX_NOTE_ITEMS} tekststykker.")
    titles = {a.name: a for a in choose_aspects(None)}
    wanted: list[tuple[int, str | None]] = []
    for ref in refs:
        try:
            wanted.append((int(ref["chunk_id"]), ref.get("aspect")))
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidQuery("Hvert tekststykke i notatet skal have et chunk_id.") from exc
    with engine.store.snapshot():
        rows = engine.store.chunk_rows(chunk_id for chunk_id, _ in wanted)
        hidden = {
            doc_id
            for doc_id in {row.doc_id for row in rows.values()}
            if not include_internal and (engine.store.document(doc_id) or {}).get("internal")
        }
    items = []
    for chunk_id, aspect_name in wanted:
        row = rows.get(chunk_id)
        if row is None or row.doc_id in hidden:
            continue
        aspect = titles.get(aspect_name or "")
        values = aspect.extract(row.text, row.year) if aspect else []
        items.append(
            {
                "municipality": row.municipality,
                "aspect_title": aspect.title if aspect else None,
                "values": [v.as_dict() for v in values],
                "passage": {
                    "doc_id": row.doc_id,
                    "chunk_id": row.chunk_id,
                    "title": row.title,
                    "year": row.year,
                    "page": row.page_start,
                    "section": row.section,
                    "quote": quote(aspect, row.text, row.section) if aspect else row.text,
                    "url": document_url(row.doc_id, row.page_start),
                },
            }
        )
    return items
