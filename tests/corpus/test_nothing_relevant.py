"""Search says when there is nothing relevant, and never for a question the corpus answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from broker.search import NOTHING_RELEVANT, Engine
from core.types import SearchFilters

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
QUERIES = HERE.parents[1] / "corpus" / "queries.jsonl"
OFF_TOPIC = [
    line.strip() for line in (HERE / "offtopic_queries.txt").read_text("utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]  # fmt: skip
# Measured when the floor was set: 17 of the 30 have no word in common with any document and are refused in
# every mode; the other 13 share words such as "resultater", "pris" or "åbningstider" and still get hits.
REFUSED_AT_LEAST = 17


def test_nonsense_gets_no_results_and_says_why(demo_engine: Engine) -> None:
    for mode in ("hybrid", "dense", "lexical"):
        result = demo_engine.search("xyzzyqwerty", k=20, mode=mode)
        assert result.results == [] and result.no_results_reason == NOTHING_RELEVANT, mode
        recipe = demo_engine.search("lasagne opskrift", k=20, mode=mode)
        assert recipe.results == [] and recipe.no_results_reason is not None, mode


def test_every_judged_query_keeps_its_results(demo_engine: Engine) -> None:
    lost = []
    for line in QUERIES.read_text("utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        filters = SearchFilters(**item.get("filters", {}))
        for mode in ("hybrid", "dense"):
            result = demo_engine.search(item["query"], k=10, mode=mode, filters=filters)
            if not result.results or result.no_results_reason is not None:
                lost.append((mode, item["query"]))
    assert lost == []


def test_off_topic_queries_mostly_get_nothing(demo_engine: Engine) -> None:
    refused = [q for q in OFF_TOPIC if not demo_engine.search(q, k=10, mode="hybrid").results]
    assert len(OFF_TOPIC) == 30
    assert len(refused) >= REFUSED_AT_LEAST, refused
