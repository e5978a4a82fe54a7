"""Search: the engine (engine), the query read once (plan), fusion, facets and hits, behind one import."""

from broker.search.engine import MAX_K, MODES, NOTHING_RELEVANT, Engine
from broker.search.fusion import Ranked, fuse_convex, fuse_rrf
from broker.search.plan import MAX_QUERY_CHARS, QueryAnalysis, QueryPlan, analyse, validate_query

__all__ = [
    "MAX_K",
    "MAX_QUERY_CHARS",
    "MODES",
    "NOTHING_RELEVANT",
    "Engine",
    "QueryAnalysis",
    "QueryPlan",
    "Ranked",
    "analyse",
    "fuse_convex",
    "fuse_rrf",
    "validate_query",
]
