"""Registered sources and the weekly re-index over them."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from broker.errors import InvalidQuery, NotFound
from broker.indexing import storage_errors, sync
from broker.lock import WriteLock
from broker.settings import Settings
from broker.types import FileFailure, IngestReport
from index.embed import Embedder
from index.store import Store

LAST_REINDEX = "last_reindex"
_NAME = re.compile(r"^[\w.\-æøåÆØÅ ]{1,80}$")


def add_source(
    settings: Settings, path: Path, name: str | None = None, internal: bool = False
) -> dict[str, Any]:
    """Register a folder (recursive) or a JSON Lines export for re-indexing."""
    if not path.exists():
        raise InvalidQuery(f"Findes ikke: {path}")
    resolved = str(path.resolve())
    name = (name or path.resolve().name).strip()
    if not _NAME.match(name):
        raise InvalidQuery(
            f"Ugyldigt kildenavn »{name}«: brug bogstaver, tal, mellemrum, punktum og bindestreg."
        )
    with storage_errors(settings.data_dir), WriteLock(settings.lock_path):
        store = Store(settings.db_path)
        try:
            with store.write():
                for known in store.registered_sources():
                    if known["name"] == name:
                        raise InvalidQuery(f"Der findes allerede en kilde ved navn »{name}«.")
                    if known["path"] == resolved:
                        raise InvalidQuery(f"{resolved} er allerede registreret som »{known['name']}«.")
                store.register_source(name, resolved, internal)
                if internal:  # what is already indexed from there is hidden at once, not at the next run
                    store.mark_internal_under([resolved])
        finally:
            store.close()
    return {"name": name, "path": resolved, "internal": internal}


def list_sources(settings: Settings) -> list[dict[str, Any]]:
    if not settings.db_path.exists():
        return []
    store = Store(settings.db_path)
    try:
        return store.registered_sources()
    finally:
        store.close()


def remove_source(settings: Settings, name: str, embedder: Embedder) -> IngestReport:
    """Unregister a source and remove its documents from the index at once."""
    with storage_errors(settings.data_dir):
        store = Store(settings.db_path)
        try:
            with WriteLock(settings.lock_path), store.write():
                path = store.unregister_source(name)
        finally:
            store.close()
    if path is None:
        raise NotFound(f"Ingen kilde ved navn »{name}«. Se listen med: broker sources list")
    return sync([], settings, embedder, removal_roots=[Path(path)])


def reindex(
    settings: Settings,
    embedder: Embedder,
    *,
    progress: bool = False,
    on_stage: Callable[[str], None] | None = None,
    locked: bool = False,
) -> IngestReport:
    """Scan every registered source: add new files, replace changed ones, remove files that disappeared.
    With `locked`, the caller already holds the data directory's write lock.

    A source whose folder or file is missing altogether (an unmounted share, say) is reported as failed and
    its documents are kept: a missing folder is far more often an outage than a deliberate deletion.
    """
    with storage_errors(settings.data_dir):  # a read-only data directory fails here already
        sources = list_sources(settings)
    if not sources:
        raise InvalidQuery("Der er ingen registrerede kilder. Tilføj en med: broker sources add MAPPE")
    present = [Path(s["path"]) for s in sources if Path(s["path"]).exists()]
    missing = [
        FileFailure(
            s["path"],
            f"Kilden »{s['name']}« findes ikke (afmonteret drev?); dens dokumenter er bevaret.",
            "source_missing",
        )
        for s in sources
        if not Path(s["path"]).exists()
    ]
    return sync(
        present,
        settings,
        embedder,
        removal_roots=present,
        progress=progress,
        record_as=LAST_REINDEX,
        known_failures=missing,
        on_stage=on_stage,
        locked=locked,
    )
