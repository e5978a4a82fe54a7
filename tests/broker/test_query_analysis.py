"""A query is analysed once: the plan, the thesaurus, the snippets of every hit and the answer share one analysis."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

import broker.answers.extractive as extractive
import broker.search.plan as plan
import index.fts as fts
import language.thesaurus as thesaurus
import language.understand as understand
from broker.answers.extractive import Answerer
from broker.search import Engine

QUERY = "Familiebehandling og aflastning i Hjørring"
WORDS = ("familiebehandling", "og", "aflastning", "i", "hjørring")


def counted(monkeypatch: pytest.MonkeyPatch, calls: Counter[str]) -> None:
    """Count every text the search path hands to the analyzer, by function (a spy; the real one still runs)."""

    def spy(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(text: str, *args: Any, **kwargs: Any) -> Any:
            calls[f"{name}:{text}"] += 1
            return real(text, *args, **kwargs)

        return wrapper

    for module in (plan, fts, extractive, understand):
        monkeypatch.setattr(module, "analyze_query", spy("analyze_query", module.analyze_query))
    for module in (plan, thesaurus):
        monkeypatch.setattr(module, "analyze", spy("analyze", module.analyze))


def test_a_search_analyses_its_query_once_for_all_its_hits(
    small_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: Counter[str] = Counter()
    counted(monkeypatch, calls)
    result = small_engine.search(QUERY, k=10, facets=True)
    assert len(result.results) >= 3 and all(hit.snippet for hit in result.results)
    assert calls[f"analyze_query:{QUERY}"] == 1  # plan, marking and every snippet share it
    assert calls[f"analyze:{QUERY}"] == 1  # the thesaurus reads the same analysis
    assert all(calls[f"analyze_query:{word}"] == 1 for word in WORDS), calls


def test_answering_reuses_the_search_s_analysis(
    small_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: Counter[str] = Counter()
    counted(monkeypatch, calls)
    answer = Answerer(small_engine, small_engine.settings).ask(QUERY, k=10)
    assert answer.by_municipality or answer.reason
    assert calls[f"analyze_query:{QUERY}"] == 1
    assert calls[f"analyze:{QUERY}"] == 1


def test_a_caller_s_analysis_of_another_text_is_not_used(small_engine: Engine) -> None:
    other = small_engine.analyse("plejefamilie")
    result = small_engine.search("  fast   kontaktperson ", k=3, analysis=other)
    assert result.query == "fast kontaktperson"
    assert any("<mark>" in hit.snippet and "ontaktperson" in hit.snippet for hit in result.results)
