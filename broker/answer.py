"""Cited answers: extractive by default (sentences chosen from the top passages), optionally generative."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from broker.search import Engine
from broker.viewer_links import paged, viewer_url
from core.settings import Settings
from core.types import Answer, Citation, Hit, SearchFilters
from ingest.chunking import split_sentences
from language.analysis import analyze_query

PASSAGES = 6  # top passages the answer is drawn from
MAX_SENTENCES = 4
# A sentence joins the answer only when it is nearly as relevant as the best one.
RELEVANCE_SPREAD = 0.03
NO_ANSWER = "Ingen af de fundne tekster svarer godt nok på spørgsmålet. Prøv andre ord, eller fjern filtre."


@dataclass
class Candidate:
    """A sentence from a retrieved passage, scored against the question."""

    text: str
    hit: Hit
    passage_rank: int
    meaning: float = 0.0
    words: float = 0.0

    @property
    def score(self) -> float:
        """Ranks sentences within an answer: meaning first, the question's own words second."""
        return 0.7 * self.meaning + 0.3 * self.words

    @property
    def relevance(self) -> float:
        """Decides whether there is an answer at all (see Settings.answer_min_relevance for its calibration)."""
        return self.meaning + 0.05 * self.words


class SentenceVectors:
    """Small LRU of sentence embeddings: popular passages are asked about again and again."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def get(self, engine: Engine, sentences: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(s for s in sentences if s not in self._cache))
        if missing:
            for sentence, vector in zip(missing, engine.embedder.embed_passages(missing), strict=True):
                self._cache[sentence] = vector
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        for sentence in sentences:
            self._cache.move_to_end(sentence)
        return np.vstack([self._cache[s] for s in sentences])


def document_url(doc_id: str, page: int | None = None) -> str:
    return f"/api/documents/{doc_id}/file" + (f"#page={page}" if page else "")


def citation(n: int, hit: Hit, quote: str) -> Citation:
    """Citation number `n`: where the passage of `hit` stands, with the quoted text."""
    return Citation(
        n=n,
        doc_id=hit.doc_id,
        chunk_id=hit.chunk_id,
        title=hit.title,
        municipality=hit.municipality,
        year=hit.year,
        page=hit.page,
        section=hit.section,
        quote=quote,
        url=document_url(hit.doc_id, hit.page),
        viewer_url=viewer_url(hit.doc_id, hit.page, quote, is_paged=paged(hit.source)),
        paged=paged(hit.source),
    )


def word_overlap(question_terms: set[str], sentence: str) -> float:
    if not question_terms:
        return 0.0
    return len(question_terms & set(analyze_query(sentence))) / len(question_terms)


def candidates(engine: Engine, question: str, hits: list[Hit], cache: SentenceVectors) -> list[Candidate]:
    """Every sentence of the top passages, scored by meaning (embedding) and by words (analysed terms)."""
    found: list[Candidate] = []
    for rank, hit in enumerate(hits[:PASSAGES]):
        for sentence in split_sentences(hit.text):
            sentence = sentence.strip()
            if 6 <= len(sentence.split()) <= 80:
                found.append(Candidate(sentence, hit, rank))
    if not found:
        return []
    question_vector = engine.embedder.embed_queries([question])[0]
    similarities = cache.get(engine, [c.text for c in found]) @ question_vector
    terms = set(analyze_query(question))
    for candidate, similarity in zip(found, similarities, strict=True):
        candidate.meaning = float(similarity)
        candidate.words = word_overlap(terms, candidate.text)
    return found


def choose(found: list[Candidate], min_relevance: float) -> list[Candidate]:
    """The best sentences that are relevant enough, near-duplicates dropped, at most two per passage.

    Empty when no sentence reaches `min_relevance`: then nothing retrieved answers the question.
    """
    if not found or max(c.relevance for c in found) < min_relevance:
        return []
    floor = max(min_relevance, max(c.relevance for c in found)) - RELEVANCE_SPREAD
    chosen: list[Candidate] = []
    for candidate in sorted(found, key=lambda c: -c.score):
        if len(chosen) == MAX_SENTENCES:
            break
        if candidate.relevance < floor:
            continue
        words = set(candidate.text.lower().split())
        if any(len(words & set(c.text.lower().split())) / max(len(words), 1) > 0.7 for c in chosen):
            continue
        if sum(c.hit.chunk_id == candidate.hit.chunk_id for c in chosen) >= 2:
            continue
        chosen.append(candidate)
    return chosen


def cite(chosen: list[Candidate]) -> tuple[str, list[Citation]]:
    """Join the sentences into a short answer with [n] markers; one citation per passage.

    Sentences of one municipality stay together, so the answer reads as "who does what".
    """
    first_seen: dict[str, int] = {}
    for candidate in chosen:
        first_seen.setdefault(candidate.hit.municipality, len(first_seen))
    chosen = sorted(chosen, key=lambda c: first_seen[c.hit.municipality])
    numbers: dict[int, Citation] = {}
    parts: list[str] = []
    previous = None
    for candidate in chosen:
        hit = candidate.hit
        if hit.chunk_id not in numbers:
            numbers[hit.chunk_id] = citation(len(numbers) + 1, hit, candidate.text)
        else:
            numbers[hit.chunk_id].quote += " " + candidate.text
        who = f"{hit.municipality} Kommune" if hit.municipality != "ukendt" else hit.title
        sentence = candidate.text if candidate.text[-1:] in ".!?" else candidate.text + "."
        lead = f"{who}: " if who != previous else ""
        previous = who
        parts.append(f"{lead}{sentence} [{numbers[hit.chunk_id].n}]")
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
        result = self.engine.search(question, k=k, filters=filters)
        hits = result.results
        groups = by_municipality(hits)
        answer = Answer(question=result.query, answer=None, reason=None, citations=[], by_municipality=groups)
        answer.understood, answer.suggestion = result.understood, result.suggestion
        found = candidates(self.engine, result.query, hits, self.sentences)
        chosen = choose(found, self.settings.answer_min_relevance)
        if not chosen:
            answer.reason = (
                NO_ANSWER if hits else "Der er ingen dokumenter, der matcher søgningen og filtrene."
            )
            answer.by_municipality = []
        else:
            answer.answer, answer.citations = cite(chosen)
            if self.settings.llm_url:
                from broker.generate import generate_answer

                generate_answer(answer, question, hits[:PASSAGES], self.settings)
        answer.took_ms = round((time.perf_counter() - started) * 1000, 2)
        return answer
