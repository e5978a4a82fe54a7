"""Fusion of the lexical and the dense ranking: reciprocal rank fusion and the convex combination."""

from __future__ import annotations

from broker.search.fusion import Ranked, fuse_convex, fuse_rrf, normalised

LEXICAL = [Ranked(1, 12.0), Ranked(2, 6.0), Ranked(3, 3.0)]
DENSE = [Ranked(3, 0.91), Ranked(4, 0.90), Ranked(1, 0.80)]


def test_rrf_rewards_chunks_both_retrievers_rank() -> None:
    fused = fuse_rrf([LEXICAL, DENSE], [1.0, 1.0], k=60)
    assert [r.chunk_id for r in fused][:2] == [1, 3]  # in both lists, each near the top of one
    assert {r.chunk_id for r in fused} == {1, 2, 3, 4}


def test_rrf_weights_tilt_the_fusion() -> None:
    only_dense = fuse_rrf([LEXICAL, DENSE], [0.0, 1.0], k=60)
    assert [r.chunk_id for r in only_dense][:3] == [3, 4, 1]


def test_scores_are_normalised_per_ranking() -> None:
    assert normalised(LEXICAL) == {1: 1.0, 2: 3 / 9, 3: 0.0}
    assert normalised([Ranked(7, 0.5), Ranked(8, 0.5)]) == {7: 1.0, 8: 1.0}
    assert normalised([]) == {}


def test_convex_fusion_weighs_normalised_scores_and_a_missing_chunk_gets_nothing() -> None:
    fused = dict(fuse_convex([LEXICAL, DENSE], [0.4, 0.6]))
    assert fused[1] == 0.4 * 1.0 + 0.6 * 0.0
    assert fused[3] == 0.4 * 0.0 + 0.6 * 1.0
    assert abs(fused[4] - 0.6 * (0.90 - 0.80) / (0.91 - 0.80)) < 1e-12
    assert fuse_convex([LEXICAL, DENSE], [0.4, 0.6])[0][0] == 3
