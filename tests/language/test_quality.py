"""The language features on the demo corpus: the held-out query set written for them keeps its quality."""

from __future__ import annotations

from pathlib import Path

import pytest

from broker.evaluate import evaluate, load_queries
from broker.search import Engine

HELDOUT = Path(__file__).parent / "queries_heldout.jsonl"
# Measured with all language features (see the README's "Sprog" section) minus a margin.
FLOORS = {"hybrid": 0.84, "lexical": 0.79, "dense": 0.80}


def test_the_held_out_set_is_varied() -> None:
    queries = load_queries(HELDOUT)
    assert len(queries) >= 40
    assert {"compound", "thesaurus", "understanding", "typo"} == {q.kind for q in queries}


@pytest.mark.slow
def test_the_held_out_queries_keep_their_floor(demo_engine: Engine) -> None:
    result = evaluate(demo_engine, load_queries(HELDOUT), k=10)
    for mode, floor in FLOORS.items():
        assert result["modes"][mode]["ndcg@10"] >= floor, (mode, result["modes"][mode]["ndcg@10"])
