"""Fusing the retrievers' rankings: reciprocal rank fusion, and min-max-normalised convex combination."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Ranked:
    """A chunk id with its score in one ranking."""

    chunk_id: int
    score: float


class Scored(Protocol):
    """What a retriever ranks: a chunk id with its score (higher is better)."""

    @property
    def chunk_id(self) -> int: ...

    @property
    def score(self) -> float: ...


def normalised(ranking: Sequence[Scored]) -> dict[int, float]:
    """A ranking's scores scaled to 0..1 (best 1, worst 0); all 1 when they are equal."""
    if not ranking:
        return {}
    scores = [item.score for item in ranking]
    low, high = min(scores), max(scores)
    span = high - low
    return {item.chunk_id: (item.score - low) / span if span > 0 else 1.0 for item in ranking}


def fuse_convex(rankings: Sequence[Sequence[Scored]], weights: Sequence[float]) -> list[tuple[int, float]]:
    """Each ranking adds weight x its normalised score; a chunk a ranking lacks gets 0 from it.

    Returns (chunk id, fused score), best first, ties by chunk id."""
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for chunk_id, score in normalised(ranking).items():
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight * score
    return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))


def fuse_rrf(rankings: list[list[Ranked]], weights: list[float], k: int = 60) -> list[Ranked]:
    """Reciprocal rank fusion: each list adds weight / (k + rank) for the chunks it ranks."""
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item.chunk_id] = scores.get(item.chunk_id, 0.0) + weight / (k + rank)
    return [Ranked(i, s) for i, s in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))]
