"""Which embedder built an index: recorded with its first vectors, and no other embedder may read or add to it."""

from __future__ import annotations

from core.errors import IndexMismatch
from index.embed import Embedder
from index.store import Store


def refuse_other_embedder(store: Store, spec: str) -> None:
    """Raise IndexMismatch when the index was built with an embedder other than `spec`: vectors of two
    embedders are not comparable, whether searched or mixed by a re-index."""
    built_with = store.get_meta("embedder_spec")
    if built_with is not None and built_with != spec:
        dim = store.get_meta("embedder_dim")
        raise IndexMismatch(
            f"Indekset er bygget med embedderen '{built_with}' ({dim} dimensioner), men der bruges '{spec}'. "
            f"Brug samme embedder (BROKER_EMBEDDER={built_with}), eller byg indekset forfra med den nye "
            "i en ny datamappe."
        )


def check_embedder(store: Store, spec: str, embedder: Embedder | None = None) -> None:
    """Refuse to mix vectors of two embedders; record the embedder of a new index."""
    refuse_other_embedder(store, spec)
    if store.get_meta("embedder_spec") is None and embedder is not None:
        store.set_meta("embedder_spec", spec)
        store.set_meta("embedder_id", embedder.id)
        store.set_meta("embedder_dim", str(embedder.dim))
