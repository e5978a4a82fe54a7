"""Registered sources and the weekly re-index over them."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from broker import web_sources
from broker.indexing import sync
from core.errors import InvalidQuery, NotFound
from core.settings import Settings
from core.types import FileFailure, IngestReport
from index.embed import Embedder
from index.lock import WriteLock
from index.store import Store
from index.writer import open_writer, storage_errors

LAST_REINDEX = "last_reindex"
FOLLOW_LINKS = "follow_links"  # names of the sources that follow symbolic links (inside their root only)
_NAME = re.compile(r"^[\w.\-æøåÆØÅ ]{1,80}$")


def add_source(
    settings: Settings,
    path: Path,
    name: str | None = None,
    internal: bool = False,
    *,
    follow_links: bool = False,
) -> dict[str, Any]:
    """Register a folder (recursive) or a JSON Lines export for re-indexing. With `follow_links`, symbolic
    links inside the folder are followed as long as they point inside it."""
    if not path.exists():
        raise InvalidQuery(f"Findes ikke: {path}")
    resolved = str(path.resolve())
    name = (name or path.resolve().name).strip()
    if not _NAME.match(name):
        raise InvalidQuery(
            f"Ugyldigt kildenavn »{name}«: brug bogstaver, tal, mellemrum, punktum og bindestreg."
        )
    with open_writer(settings) as store, store.write():
        register(store, name, resolved, internal=internal, follow_links=follow_links)
    return {"name": name, "path": resolved, "internal": internal, "follow_links": follow_links}


def list_sources(settings: Settings) -> list[dict[str, Any]]:
    if not settings.db_path.exists():
        return []
    store = Store(settings.db_path)
    try:
        following = set(store.get_json(FOLLOW_LINKS) or [])
        web = web_sources.web_options(store)
        return [
            {**s, "follow_links": s["name"] in following, **web_sources.describe(s, web)}
            for s in store.registered_sources()
        ]
    finally:
        store.close()


def register(
    store: Store,
    name: str,
    path: str,
    *,
    internal: bool = False,
    follow_links: bool = False,
    reuse: bool = False,
) -> bool:
    """Register a source inside the caller's write transaction: one source per name and one per path.

    With `reuse`, a source of that name for that very path counts as registered already (returns False);
    any other clash is a clear error. What is already indexed from an internal source is hidden at once."""
    for known in store.registered_sources():
        if known["name"] == name:
            if reuse and known["path"] == path:
                return False
            raise InvalidQuery(f"Der findes allerede en kilde ved navn »{name}«.")
        if known["path"] == path:
            raise InvalidQuery(f"{path} er allerede registreret som »{known['name']}«.")
    store.register_source(name, path, internal)
    if follow_links:
        store.set_json(FOLLOW_LINKS, sorted({*(store.get_json(FOLLOW_LINKS) or []), name}))
    if internal:
        store.mark_internal_under([path])
    return True


def remove_source(settings: Settings, name: str, embedder: Embedder) -> IngestReport:
    """Unregister a source and remove its documents from the index at once."""
    with open_writer(settings) as store, store.write():
        path = store.unregister_source(name)
        if name in (following := store.get_json(FOLLOW_LINKS) or []):
            store.set_json(FOLLOW_LINKS, [n for n in following if n != name])
    if path is None:
        raise NotFound(f"Ingen kilde ved navn »{name}«. Se listen med: broker sources list")
    report = sync([], settings, embedder, removal_roots=[Path(path)])
    web_sources.forget(settings, name, path)
    return report


def reindex(
    settings: Settings,
    embedder: Embedder,
    *,
    progress: bool = False,
    on_file: Callable[[Path], None] | None = None,
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
    present = [Path(s["path"]) for s in sources if _usable(s["path"])]
    missing = [
        FileFailure(
            s["path"],
            f"Kilden »{s['name']}« findes ikke (afmonteret drev?); dens dokumenter er bevaret.",
            "source_missing",
        )
        for s in sources
        if not Path(s["path"]).exists()
    ]
    missing += [
        FileFailure(
            s["path"],
            f"Kilden »{s['name']}« er blevet erstattet af en symbolsk lænke og læses ikke; "
            "dens dokumenter er bevaret.",
            "source_link",
        )
        for s in sources
        if Path(s["path"]).exists() and not _usable(s["path"])
    ]
    # Web sources are fetched into their folders of stored copies first, under the same lock.
    with contextlib.nullcontext() if locked else WriteLock(settings.lock_path):
        fetched = web_sources.harvest(settings, sources)
        report = sync(
            present,
            settings,
            embedder,
            removal_roots=present,
            progress=progress,
            on_file=on_file,
            record_as=LAST_REINDEX,
            known_failures=missing + fetched.failures,
            on_stage=on_stage,
            locked=True,
            follow_links=[Path(s["path"]) for s in sources if s["follow_links"]],
        )
        web_sources.after_sync(settings, sources, fetched, report)
    from broker.watches import after_index  # the saved searches look at what the run brought

    report.watches = after_index(settings, embedder, report)
    return report


def _usable(root: str) -> bool:
    """The registered (real) path is still there and still real: a root swapped for a link is not read."""
    return Path(root).exists() and os.path.realpath(root) == root
