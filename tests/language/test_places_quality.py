"""Questions that name places and years: understanding them may only help, never pull up a text for a mention."""

from __future__ import annotations

from pathlib import Path

import pytest

from broker.evaluate import evaluate, load_queries
from broker.search import Engine

PLACES = Path(__file__).parent / "queries_places.jsonl"
# Measured on the demo corpus (README, "Kommune, region og tid i spørgsmålet") minus a margin.
FLOORS = {"hybrid": 0.92, "lexical": 0.92, "dense": 0.85}


def test_the_place_and_year_set_is_varied() -> None:
    queries = load_queries(PLACES)
    assert len(queries) >= 20
    assert {"place", "year", "both"} == {q.kind for q in queries}


@pytest.mark.slow
def test_the_place_and_year_queries_keep_their_floor(demo_engine: Engine) -> None:
    result = evaluate(demo_engine, load_queries(PLACES), k=10)
    for mode, floor in FLOORS.items():
        assert result["modes"][mode]["ndcg@10"] >= floor, (mode, result["modes"][mode]["ndcg@10"])


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["lexical", "hybrid"])
def test_a_place_named_does_not_pull_up_a_text_that_only_mentions_it(demo_engine: Engine, mode: str) -> None:
    # Aalborg's management audit mentions caseworkers, never a training course; Rebild's development plan
    # describes the course it runs together with Aalborg Kommune, and answers the question.
    result = demo_engine.search("uddannelsesforløb for rådgivere i Aalborg", k=5, mode=mode, collapse=True)
    assert result.understood is not None and result.understood["kommuner"] == ["Aalborg"]
    assert result.results[0].municipality == "Rebild"
    assert "Aalborg" in {h.municipality for h in result.results}  # still found, in its own place


@pytest.mark.slow
def test_a_named_place_still_rises_among_the_texts_on_the_topic(demo_engine: Engine) -> None:
    result = demo_engine.search("familiebehandling i Hjørring", k=5, mode="lexical", collapse=True)
    assert [h.municipality for h in result.results[:2]] == ["Hjørring", "Hjørring"]
    assert {h.municipality for h in result.results} - {"Hjørring"}  # the others are still there
