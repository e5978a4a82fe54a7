"""Answer quality against a question set: facts cited from the right page, verbatim quotes, off-topic refusals."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from broker.answers.extractive import Answerer
from broker.evaluate import matches, percentile, read_judged
from core.errors import InvalidQuery
from core.types import Answer, Citation
from index.store import Store

OFF_TOPIC = "off-topic"


@dataclass
class SourcePage:
    """A document (path suffix or export record id) and the page a fact stands on."""

    doc: str
    page: int


@dataclass
class AnswerCase:
    """One line of an answer set: a question, the facts a good answer holds and where they stand.

    `facts` is a list of facts, each a list of acceptable wordings; `need` is how many facts must be there
    (all by default; "hvilke kommuner" questions ask for some of many). Off-topic questions have no facts
    and must be refused.
    """

    question: str
    kind: str
    facts: list[list[str]] = field(default_factory=list)
    sources: list[SourcePage] = field(default_factory=list)
    need: int | None = None

    @property
    def off_topic(self) -> bool:
        return self.kind == OFF_TOPIC


def _answer_case(item: dict[str, Any]) -> AnswerCase:
    return AnswerCase(
        question=str(item["question"]),
        kind=str(item.get("kind", "")),
        facts=[[str(a) for a in alternatives] for alternatives in item.get("facts", [])],
        sources=[SourcePage(str(s["doc"]), int(s["page"])) for s in item.get("sources", [])],
        need=int(item["need"]) if item.get("need") is not None else None,
    )


def load_answer_cases(path: Path) -> list[AnswerCase]:
    """Read a JSON Lines answer set; a malformed line is an error naming the line."""
    judged = read_judged(
        path, _answer_case, file="spørgsmålsfilen", invalid="ugyldigt spørgsmål", none="spørgsmål"
    )
    for number, case in judged:
        if not case.off_topic and (not case.facts or not case.sources):
            raise InvalidQuery(f"{path}, linje {number}: et spørgsmål skal have fakta og kilder.")
    return [case for _, case in judged]


def normalise(text: str) -> str:
    """Lower case, one kind of dash and space: how facts and quotes are compared."""
    text = text.replace("\u2013", "-").replace("\u2014", "-").replace("\u00a0", " ")
    return " ".join(text.lower().split())


class PageTexts:
    """The text of each page of each document, and where each citation's passage stands."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._pages: dict[str, dict[int, str]] = {}

    def pages(self, doc_id: str) -> dict[int, str]:
        if doc_id not in self._pages:
            pages: dict[int, list[str]] = {}
            for chunk in self.store.chunks_of(doc_id):
                for page in range(chunk.page_start, chunk.page_end + 1):
                    pages.setdefault(page, []).append(normalise(chunk.text))
            self._pages[doc_id] = {p: "\n".join(texts) for p, texts in pages.items()}
        return self._pages[doc_id]

    def span(self, citation: Citation) -> range:
        row = self.store.chunk_rows([citation.chunk_id]).get(citation.chunk_id)
        return range(row.page_start, row.page_end + 1) if row else range(citation.page, citation.page + 1)

    def is_source(self, citation: Citation, sources: list[SourcePage]) -> bool:
        known = self.store.sources_of(citation.doc_id)
        span = self.span(citation)
        return any(s.page in span and any(matches(s.doc, k) for k in known) for s in sources)

    def verbatim(self, citation: Citation) -> bool:
        """Every quoted sentence stands word for word on the cited passage's pages."""
        text = "\n".join(self.pages(citation.doc_id).get(p, "") for p in self.span(citation))
        parts = [normalise(p) for p in citation.quote.split(" \u2026 ")]
        return all(part and part in text for part in parts)


def score_case(case: AnswerCase, answer: Answer, texts: PageTexts) -> dict[str, Any]:
    """One question's scores: facts in the answer and in a quote cited from the right page."""
    if case.off_topic:
        return {"question": case.question, "kind": case.kind, "refused": answer.answer is None}
    said = normalise(answer.answer or "")
    right = [c for c in answer.citations if texts.is_source(c, case.sources)]
    quotes = [normalise(c.quote) for c in right]
    found = [
        any(normalise(a) in said and any(normalise(a) in q for q in quotes) for a in alternatives)
        for alternatives in case.facts
    ]
    need = case.need or len(case.facts)
    return {
        "question": case.question,
        "kind": case.kind,
        "answered": sum(found) >= need,
        "facts": sum(found),
        "need": need,
        "cited_right_page": bool(right),
        "refused": answer.answer is None,
        "answer": answer.answer,
    }


def evaluate_answers(answerer: Answerer, cases: list[AnswerCase]) -> dict[str, Any]:
    """Ask every question; report the shares that say whether answers answer, and how fast."""
    texts = PageTexts(answerer.engine.store)
    per_question: list[dict[str, Any]] = []
    citations = verbatim = 0
    latencies: list[float] = []
    for case in cases:
        answer = answerer.ask(case.question)
        latencies.append(answer.took_ms)
        per_question.append(score_case(case, answer, texts))
        if not case.off_topic:
            for c in answer.citations:
                citations += 1
                verbatim += texts.verbatim(c)
    on = [q for q in per_question if q["kind"] != OFF_TOPIC]
    off = [q for q in per_question if q["kind"] == OFF_TOPIC]
    return {
        "questions": len(on),
        "off_topic": len(off),
        "answered": round(sum(q["answered"] for q in on) / max(len(on), 1), 4),
        "cited_right_page": round(sum(q["cited_right_page"] for q in on) / max(len(on), 1), 4),
        "wrongly_refused": round(sum(q["refused"] for q in on) / max(len(on), 1), 4),
        "verbatim_citations": round(verbatim / citations, 4) if citations else 0.0,
        "citations": citations,
        "off_topic_refused": round(sum(q["refused"] for q in off) / max(len(off), 1), 4),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
        "per_question": per_question,
    }
