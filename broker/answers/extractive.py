"""Cited answers: extractive by default (sentences chosen from the top passages), optionally generative."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from broker.answers.citations import citation, document_url
from broker.answers.intent import WHICH, kind_fit, question_kind
from broker.answers.sentences import Unit, units
from broker.search import Engine, QueryAnalysis
from broker.viewer_links import paged, viewer_url
from core.settings import Settings
from core.types import Answer, Citation, Hit, SearchFilters
from language.analysis import analyze_query
from language.registry import official_name

PASSAGES = 6  # top passages the answer is drawn from
MAX_SENTENCES = 4
# Units an answer is chosen from, at most three per passage, picked by the question's words, its kind and the
# passage's similarity. Nothing is embedded: embedding even eight sentences cost more than the search itself,
# and on corpus/answers.jsonl it chose no better than the passage's stored vector (docs/benchmarks.md).
SHORTLIST = 8
PER_PASSAGE_SHORTLIST = 3
QUOTE_GAP = " … "  # between quoted pieces of one passage that do not follow each other
# A sentence joins the answer only when it is nearly as relevant as the best one.
RELEVANCE_SPREAD = 0.03
NO_ANSWER = "Ingen af de fundne tekster svarer godt nok på spørgsmålet. Prøv andre ord, eller fjern filtre."


@dataclass
class Candidate:
    """A unit of answer material from a retrieved passage, scored against the question."""

    unit: Unit
    hit: Hit
    passage_rank: int
    words: float = 0.0  # share of the question's analysed terms the unit holds
    fit: float = 0.0  # how well the unit's kind fits the question's kind (practice, number, deadline)
    similarity: float = 0.0  # the passage's own similarity to the question, from its vector stored at ingest

    @property
    def text(self) -> str:
        return self.unit.text

    @property
    def first_pass(self) -> float:
        """Picks the shortlist: the question's words and kind first, the passage's similarity second."""
        return self.words + self.fit + 0.5 * self.similarity

    @property
    def score(self) -> float:
        """Ranks the shortlist: the passage's similarity, then the question's words and kind."""
        return 0.7 * self.similarity + 0.3 * self.words + self.fit

    @property
    def relevance(self) -> float:
        """Decides whether there is an answer at all (see Settings.answer_min_relevance for its calibration)."""
        return self.similarity + 0.05 * self.words


@lru_cache(maxsize=4096)
def material(text: str) -> tuple[tuple[Unit, frozenset[str]], ...]:
    """A passage's units, each with its analysed terms: split once per passage, since popular passages are
    asked about again and again."""
    return tuple((unit, frozenset(analyze_query(unit.text))) for unit in units(text))


def word_overlap(question_terms: set[str], unit_terms: frozenset[str]) -> float:
    if not question_terms:
        return 0.0
    return len(question_terms & unit_terms) / len(question_terms)


def passage_similarities(engine: Engine, hits: list[Hit], question_vector: np.ndarray) -> list[float]:
    """Each passage's similarity to the question, from the vector stored at ingest under its chunk's text hash
    (the hash of title, section and text, as they were embedded). A passage whose vector is missing, e.g. one
    deleted by a re-index since the search, is embedded here."""
    keys = engine.store.text_hashes_of(hit.chunk_id for hit in hits)
    embedder_id = engine.store.get_meta("embedder_id") or ""
    stored = engine.store.get_vectors(embedder_id, set(keys.values()), int(question_vector.shape[0]))
    found = [stored.get(keys.get(hit.chunk_id, "")) for hit in hits]
    missing = [i for i, vector in enumerate(found) if vector is None]
    embedded: dict[int, np.ndarray] = {}
    if missing:
        texts = []
        for i in missing:
            head = " – ".join(part for part in (hits[i].title, hits[i].section) if part)
            texts.append(f"{head}\n{hits[i].text}" if head else hits[i].text)
        embedded = dict(zip(missing, engine.embedder.embed_passages(texts), strict=True))
    return [float((v if v is not None else embedded[i]) @ question_vector) for i, v in enumerate(found)]


def candidates(
    engine: Engine, question: str, hits: list[Hit], *, analysis: QueryAnalysis | None = None
) -> list[Candidate]:
    """The shortlist of units of the top passages, ranked by the question's words and kind and the passage's
    similarity to the question. `analysis`: the search's own, so the question is not analysed again."""
    top = hits[:PASSAGES]
    if not top:
        return []
    kind = question_kind(question)
    terms = set(analysis.terms if analysis is not None else analyze_query(question))
    question_vector = engine.embed_query(question)  # cached: the search embedded it
    similarities = passage_similarities(engine, top, question_vector)
    found = [
        Candidate(unit, hit, rank, word_overlap(terms, unit_terms), kind_fit(kind, unit), similarity)
        for rank, (hit, similarity) in enumerate(zip(top, similarities, strict=True))
        for unit, unit_terms in material(hit.text)
    ]
    shortlist: list[Candidate] = []
    per_passage: dict[int, int] = {}
    for candidate in sorted(found, key=lambda c: (-c.first_pass, c.passage_rank, c.unit.position)):
        if len(shortlist) == SHORTLIST:
            break
        if per_passage.get(candidate.hit.chunk_id, 0) >= PER_PASSAGE_SHORTLIST:
            continue
        per_passage[candidate.hit.chunk_id] = per_passage.get(candidate.hit.chunk_id, 0) + 1
        shortlist.append(candidate)
    return shortlist


def choose(
    found: list[Candidate], min_relevance: float, *, one_per_municipality: bool = False
) -> list[Candidate]:
    """The best sentences that are relevant enough, near-duplicates dropped, at most two per passage (one per
    municipality when the question asks which municipalities do something).

    Empty when no sentence reaches `min_relevance`: then nothing retrieved answers the question.
    """
    if not found or max(c.relevance for c in found) < min_relevance:
        return []
    floor = max(min_relevance, max(c.relevance for c in found)) - RELEVANCE_SPREAD
    chosen: list[Candidate] = []
    for candidate in sorted(found, key=lambda c: -c.score):
        if len(chosen) == MAX_SENTENCES:
            break
        # A sentence of the kind asked for (the number, the deadline, the practice) may sit a little lower.
        if candidate.relevance + max(candidate.fit, 0.0) < floor:
            continue
        words = set(candidate.text.lower().split())
        if any(len(words & set(c.text.lower().split())) / max(len(words), 1) > 0.7 for c in chosen):
            continue
        if sum(c.hit.chunk_id == candidate.hit.chunk_id for c in chosen) >= 2:
            continue
        if one_per_municipality and any(c.hit.municipality == candidate.hit.municipality for c in chosen):
            continue
        chosen.append(candidate)
    return chosen


def who(hit: Hit) -> str:
    """Who an answer sentence speaks for: the municipality's Danish name, or the document's title."""
    return official_name(hit.municipality) if hit.municipality != "ukendt" else hit.title


def cite(chosen: list[Candidate]) -> tuple[str, list[Citation]]:
    """Join the sentences into a short answer with [n] markers: one citation per passage page, shared by
    the sentences drawn from it, which stand in the passage's order.

    Sentences of one municipality stay together, so the answer reads as "who does what".
    """
    first_seen: dict[str, int] = {}
    for candidate in chosen:
        first_seen.setdefault(candidate.hit.municipality, len(first_seen))
    chosen = sorted(
        chosen,
        key=lambda c: (first_seen[c.hit.municipality], c.passage_rank, c.hit.chunk_id, c.unit.position),
    )
    numbers: dict[tuple[str, int], Citation] = {}
    parts: list[str] = []
    previous = None
    for candidate in chosen:
        hit = candidate.hit
        key = (hit.doc_id, hit.page)
        if key not in numbers:
            numbers[key] = citation(len(numbers) + 1, hit, candidate.unit.quote)
        elif candidate.unit.quote not in numbers[key].quote:
            numbers[key].quote += QUOTE_GAP + candidate.unit.quote
        speaker = who(hit)
        sentence = candidate.text if candidate.text[-1:] in ".!?«" else candidate.text + "."
        lead = f"{speaker}: " if speaker != previous else ""
        previous = speaker
        marker = f" [{numbers[key].n}]"
        if parts and parts[-1].endswith(marker) and not lead:
            parts[-1] = parts[-1][: -len(marker)]  # two sentences of one passage share one marker
        parts.append(f"{lead}{sentence}{marker}")
    return " ".join(parts), list(numbers.values())


def by_municipality(hits: list[Hit], per_municipality: int = 3) -> list[dict[str, object]]:
    """The best passages grouped per municipality, groups in order of their best passage."""
    groups: dict[str, dict[str, object]] = {}
    for hit in hits:
        group = groups.setdefault(
            hit.municipality,
            {"municipality": hit.municipality, "region": hit.region, "best_rank": hit.rank, "passages": []},
        )
        passages = group["passages"]
        assert isinstance(passages, list)
        if len(passages) < per_municipality:
            passages.append(
                {
                    "doc_id": hit.doc_id,
                    "chunk_id": hit.chunk_id,
                    "title": hit.title,
                    "doc_type": hit.doc_type,
                    "year": hit.year,
                    "page": hit.page,
                    "section": hit.section,
                    "snippet": hit.snippet,
                    "text": hit.text,
                    "url": document_url(hit.doc_id, hit.page),
                    "viewer_url": viewer_url(hit.doc_id, hit.page, hit.text, is_paged=paged(hit.source)),
                    "paged": paged(hit.source),
                }
            )
    return list(groups.values())


class Answerer:
    """Answers questions from the index with cited sentences of the best passages."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings

    def ask(self, question: str, *, filters: SearchFilters | None = None, k: int = 20) -> Answer:
        started = time.perf_counter()
        analysis = self.engine.analyse(question)  # once, for the search and the sentence choice alike
        result = self.engine.search(question, k=k, filters=filters, analysis=analysis)
        hits = result.results
        groups = by_municipality(hits)
        answer = Answer(question=result.query, answer=None, reason=None, citations=[], by_municipality=groups)
        answer.understood, answer.suggestion = result.understood, result.suggestion
        found = candidates(self.engine, result.query, hits, analysis=analysis)
        chosen = choose(
            found, self.settings.answer_min_relevance, one_per_municipality=question_kind(question) == WHICH
        )
        if not chosen:
            answer.reason = (
                NO_ANSWER if hits else "Der er ingen dokumenter, der matcher søgningen og filtrene."
            )
            answer.by_municipality = []
        else:
            answer.answer, answer.citations = cite(chosen)
            if self.settings.llm_url:
                from broker.answers.generative import generate_answer

                generate_answer(answer, question, hits[:PASSAGES], self.settings)
        answer.took_ms = round((time.perf_counter() - started) * 1000, 2)
        return answer
