"""Cited answers: extractive by default (sentences chosen from the top passages), optionally generative."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

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
# Units embedded per question, chosen by words, kind and passage first: embedding is what an answer costs
# (about 12 ms a sentence on one core), so a handful instead of every sentence of six passages.
EMBEDDED = 8
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
    prior: float = 0.0  # the passage's own similarity to the question
    meaning: float | None = None  # embedding similarity, for the few units that are embedded

    @property
    def text(self) -> str:
        return self.unit.text

    @property
    def first_pass(self) -> float:
        """Ranks units before any is embedded: the question's words, the question's kind, the passage."""
        return self.words + self.fit + 0.5 * self.prior

    @property
    def score(self) -> float:
        """Ranks embedded units within an answer: meaning first, then the question's words and kind."""
        return 0.7 * (self.meaning or 0.0) + 0.3 * self.words + self.fit

    @property
    def relevance(self) -> float:
        """Decides whether there is an answer at all (see Settings.answer_min_relevance for its calibration)."""
        return (self.meaning or 0.0) + 0.05 * self.words


class SentenceVectors:
    """Small LRU of sentence embeddings: popular passages are asked about again and again."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, engine: Engine, sentences: list[str]) -> np.ndarray:
        with self._lock:
            missing = list(dict.fromkeys(s for s in sentences if s not in self._cache))
        if missing:
            vectors = engine.embedder.embed_passages(missing)
            with self._lock:
                for sentence, vector in zip(missing, vectors, strict=True):
                    self._cache[sentence] = vector
                while len(self._cache) > self.size:
                    self._cache.popitem(last=False)
        with self._lock:
            for sentence in sentences:
                if sentence in self._cache:
                    self._cache.move_to_end(sentence)
            return np.vstack([self._cache[s] for s in sentences])


def word_overlap(question_terms: set[str], sentence: str) -> float:
    if not question_terms:
        return 0.0
    return len(question_terms & set(analyze_query(sentence))) / len(question_terms)


def passage_priors(engine: Engine, hits: list[Hit], question_vector: np.ndarray) -> list[float]:
    """Each passage's own similarity to the question, from the vectors stored at ingest (0 when missing)."""
    keys = [hashlib.sha256(hit.text.encode("utf-8")).hexdigest() for hit in hits]
    embedder_id = engine.store.get_meta("embedder_id") or ""
    stored = engine.store.get_vectors(embedder_id, keys, int(question_vector.shape[0]))
    return [float(stored[k] @ question_vector) if k in stored else 0.0 for k in keys]


def candidates(
    engine: Engine,
    question: str,
    hits: list[Hit],
    cache: SentenceVectors,
    *,
    embed: int = EMBEDDED,
    analysis: QueryAnalysis | None = None,
) -> list[Candidate]:
    """The units of the top passages, ranked by the question's words and kind and the passage's own vector;
    only the best `embed` of them are embedded and get a meaning score. `analysis`: the search's own."""
    kind = question_kind(question)
    terms = set(analysis.terms if analysis is not None else analyze_query(question))
    question_vector = engine.embedder.embed_queries([question])[0]
    top = hits[:PASSAGES]
    priors = passage_priors(engine, top, question_vector) if top else []
    found: list[Candidate] = []
    for rank, (hit, prior) in enumerate(zip(top, priors, strict=True)):
        for unit in units(hit.text):
            found.append(
                Candidate(unit, hit, rank, word_overlap(terms, unit.text), kind_fit(kind, unit), prior)
            )
    if not found:
        return []
    shortlist: list[Candidate] = []
    per_passage: dict[int, int] = {}
    for candidate in sorted(found, key=lambda c: (-c.first_pass, c.passage_rank, c.unit.position)):
        if len(shortlist) == embed:
            break
        if per_passage.get(candidate.hit.chunk_id, 0) >= PER_PASSAGE_SHORTLIST:
            continue
        per_passage[candidate.hit.chunk_id] = per_passage.get(candidate.hit.chunk_id, 0) + 1
        shortlist.append(candidate)
    similarities = cache.get(engine, [c.text for c in shortlist]) @ question_vector
    for candidate, similarity in zip(shortlist, similarities, strict=True):
        candidate.meaning = float(similarity)
    return shortlist


def choose(
    found: list[Candidate], min_relevance: float, *, one_per_municipality: bool = False
) -> list[Candidate]:
    """The best sentences that are relevant enough, near-duplicates dropped, at most two per passage (one per
    municipality when the question asks which municipalities do something).

    Empty when no sentence reaches `min_relevance`: then nothing retrieved answers the question.
    """
    found = [c for c in found if c.meaning is not None]
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
    """Answers questions from the index; keeps a sentence-vector cache for the life of the process."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.sentences = SentenceVectors()

    def ask(self, question: str, *, filters: SearchFilters | None = None, k: int = 20) -> Answer:
        started = time.perf_counter()
        analysis = self.engine.analyse(question)  # once, for the search and the sentence choice alike
        result = self.engine.search(question, k=k, filters=filters, analysis=analysis)
        hits = result.results
        groups = by_municipality(hits)
        answer = Answer(question=result.query, answer=None, reason=None, citations=[], by_municipality=groups)
        answer.understood, answer.suggestion = result.understood, result.suggestion
        found = candidates(self.engine, result.query, hits, self.sentences, analysis=analysis)
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
