"""A query read once: its analysis, and the plan the retrievers follow (terms, expansions, understanding)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from core.errors import InvalidQuery
from core.settings import Settings
from core.types import SearchFilters
from index.fts import QueryWords
from index.lexicon import Lexicon, surface_words
from language.analysis import analyze, analyze_query
from language.spelling import Correction, Speller
from language.thesaurus import thesaurus
from language.understand import Understood, preferred, topic_terms, understand

MAX_QUERY_CHARS = 2000  # longer input is cut: no question needs more, and it bounds the work per query


def validate_query(query: str) -> str:
    """Normalise whitespace and control characters; refuse an empty query with a clear message."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in query or "")
    cleaned = " ".join(cleaned.split())[:MAX_QUERY_CHARS]
    if not cleaned:
        raise InvalidQuery("Søgningen er tom. Skriv et eller flere ord.")
    return cleaned


@dataclass(frozen=True)
class QueryAnalysis:
    """One query's analysis, made once per search and handed to retrieval, highlighting and answering."""

    text: str
    terms: tuple[str, ...]  # the query's terms (language.analysis.analyze_query)
    sequence: tuple[str, ...]  # its terms in order, as the thesaurus matches its phrases (analyze)
    surface: tuple[str, ...]  # its words as written, lower case (spelling, compound parts, marking)
    words: QueryWords  # its terms per written word (highlighting's æøå rules)


def analyse(query: str) -> QueryAnalysis:
    """Analyse a validated query; the only place a search analyses its query text."""
    terms = tuple(analyze_query(query))
    return QueryAnalysis(
        query, terms, tuple(analyze(query)), tuple(surface_words(query)), QueryWords.of(query, terms)
    )


@dataclass(frozen=True)
class VocabularyView:
    """The vocabulary of the documents one kind of caller may see, and what is drawn from it."""

    lexicon: Lexicon
    speller: Speller
    tokens: frozenset[str]  # terms and compound parts found in those documents

    def visible(self, term: str) -> bool:
        """True when a term (or every term of a phrase) occurs in these documents, so it can match."""
        return all(t in self.tokens for t in term.split())


@dataclass(frozen=True)
class LexicalState:
    """What the lexical search needs from the index as built: its layout and its vocabulary per visibility.

    Callers without internal rights get the public view only: the words of internal documents never reach
    their suggestions, compound splits or lexical queries, so an internal-only word is handled exactly like
    a word no document has."""

    key: tuple[object, ...]
    current: bool  # built by this code's analyzer (compound parts and vocabulary present)
    public: VocabularyView
    everything: VocabularyView

    def view(self, include_internal: bool) -> VocabularyView:
        return self.everything if include_internal else self.public


@dataclass
class QueryPlan:
    """A query as the lexical search reads it: own terms, added terms with weights, what it says besides."""

    query: str
    terms: list[str]
    expansions: dict[str, float] = field(default_factory=dict)
    understood: Understood = field(default_factory=Understood)
    prefer: SearchFilters | None = None  # the filters narrowed by the question (a boost, or the filters)
    corrections: list[Correction] = field(default_factory=list)
    analysis: QueryAnalysis | None = None
    # The terms that say what the question is about: its own terms without the places, years and intent
    # wording understanding recognised. A boost counts only documents that match one of them.
    topic: list[str] = field(default_factory=list)


def build_plan(
    analysis: QueryAnalysis,
    state: LexicalState,
    view: VocabularyView,
    settings: Settings,
    *,
    filters: SearchFilters | None,
    understanding: bool,
    today: datetime.date,
) -> QueryPlan:
    """Read an analysed query: its terms, compound parts, the thesaurus, spelling, and (with `understanding`)
    the municipalities, regions, years and law it names."""
    query = analysis.text
    plan = QueryPlan(query, list(analysis.terms), analysis=analysis)
    added: dict[str, float] = {}
    if state.current:
        for word in dict.fromkeys(analysis.surface):
            correction = view.speller.correct(word)
            if correction is not None:
                plan.corrections.append(correction)
                if settings.fuzzy:
                    added.setdefault(correction.term, settings.weight_fuzzy)
            if settings.weight_query_parts > 0:
                for term in view.lexicon.part_terms(word):
                    added.setdefault(term, settings.weight_query_parts)
    expansion = thesaurus().expand(query, settings.weight_thesaurus, terms=list(analysis.sequence))
    if settings.weight_thesaurus <= 0:
        expansion.terms.clear()
    for term, w in expansion.terms.items():
        added[term] = max(w, added.get(term, 0.0))
    plan.expansions = added
    if state.current:  # a term no visible document has cannot match: it never reaches the lexical index
        plan.terms = [t for t in plan.terms if view.visible(t)]
        plan.expansions = {t: w for t, w in added.items() if view.visible(t)}
    plan.topic = list(plan.terms)
    if understanding and settings.understand != "off":
        plan.understood = understand(query, today)
        plan.understood.expansions = expansion.notes
        if plan.understood.narrows():
            plan.prefer = preferred(plan.understood, filters or SearchFilters())
            if plan.prefer is not None:
                plan.understood.applied_as = settings.understand
            plan.topic = topic_terms(plan.terms, plan.understood)
    return plan
