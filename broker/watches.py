"""Saved searches: save, list and remove them, and find each one's new and changed documents after an index run.

A document matches a watch when the watch's own search (same engine, mode and filters, internal documents
only for an owner allowed to see them) scores it close to the best document of the whole index, by the same
measure the facets count with: lexically at least `facet_lexical_share` of the best BM25 score, or
semantically within `facet_dense_margin` of the best similarity. "New or changed" are the documents stored
after the watch last looked (a changed file is a new document: document ids follow the content).
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import re
import time
from collections.abc import Iterable
from typing import Any

from broker.search import MODES, Engine, Ranked, validate_query
from core.errors import InvalidQuery, NotFound
from core.settings import Settings
from core.types import IngestReport, SearchFilters
from index.embed import Embedder
from index.store import Store
from index.watch_store import Watch, WatchStore

log = logging.getLogger("vidensmaegler.watches")
CLI_OWNER = "cli"  # the command line runs with the data directory's own rights
ROLES_SEEING_INTERNAL = ("internal", "admin", CLI_OWNER)
_NAME = re.compile(r"^[\w\-æøåÆØÅ][\w.\-æøåÆØÅ ]{0,79}$")
MAX_PER_OWNER = 100  # every watch costs a search per index run
_FILTER_KEYS = ("kommuner", "regions", "types", "year_from", "year_to", "languages")


def filters_dict(filters: SearchFilters) -> dict[str, Any]:
    """What a watch stores of its filters (never the caller's rights: those come from its role)."""
    return {key: getattr(filters, key) for key in _FILTER_KEYS if getattr(filters, key) not in ([], None)}


def watch_filters(watch: Watch) -> SearchFilters:
    values = {k: v for k, v in watch.filters.items() if k in _FILTER_KEYS}
    return SearchFilters(**values, include_internal=watch.role in ROLES_SEEING_INTERNAL)


def open_watches(settings: Settings, *, create: bool = True) -> WatchStore:
    return WatchStore(Store(settings.db_path, create=False), create=create)


def add_watch(
    settings: Settings,
    name: str,
    query: str,
    filters: SearchFilters,
    *,
    owner: str = CLI_OWNER,
    role: str = CLI_OWNER,
    mode: str = "hybrid",
) -> dict[str, Any]:
    """Save a search under a name of the owner's; it finds what is indexed from now on."""
    name = (name or "").strip()
    if not _NAME.match(name):
        raise InvalidQuery(
            f"Ugyldigt navn på overvågning »{name}«: brug bogstaver, tal, mellemrum, punktum og bindestreg "
            "(højst 80 tegn)."
        )
    query = validate_query(query)
    if mode not in MODES:
        raise InvalidQuery(f"Ukendt søgetilstand '{mode}'. Vælg en af: {', '.join(MODES)}.")
    watches = open_watches(settings)
    try:
        with watches.write():
            if len(watches.listing(owner)) >= MAX_PER_OWNER:
                raise InvalidQuery(f"Der kan højst gemmes {MAX_PER_OWNER} overvågninger pr. nøgle.")
            watch = watches.add(name, owner, role, query, filters_dict(filters), mode)
        if watch is None:
            raise InvalidQuery(f"Der findes allerede en overvågning ved navn »{name}«.")
        return watch.as_dict()
    finally:
        watches.store.close()


def list_watches(settings: Settings, owner: str | None = None) -> list[dict[str, Any]]:
    """The owner's watches (everyone's with owner None), each with the number it found in its last run."""
    if not settings.db_path.exists():
        return []
    watches = open_watches(settings, create=False)  # a read never changes the schema
    try:
        if not watches.exists:
            return []
        with watches.store.snapshot():
            return [
                {**w.as_dict(), "new": len(_news(watches, w, None, w.role in ROLES_SEEING_INTERNAL))}
                for w in watches.listing(owner)
            ]
    finally:
        watches.store.close()


def remove_watch(settings: Settings, name: str, owner: str = CLI_OWNER) -> None:
    watches = open_watches(settings)
    try:
        with watches.write():
            removed = watches.remove(owner, name)
    finally:
        watches.store.close()
    if not removed:
        raise NotFound(f"Ingen overvågning ved navn »{name}«. Se listen med: broker watch list")


def watch_news(
    settings: Settings, name: str, owner: str, *, since: float | None, include_internal: bool
) -> dict[str, Any]:
    """One watch with what it found since `since` (None: in its last run)."""
    watches = open_watches(settings)
    try:
        with watches.store.snapshot():
            watch = watches.get(owner, name)
            if watch is None:
                raise NotFound(f"Ingen overvågning ved navn »{name}«.")
            visible = include_internal and watch.role in ROLES_SEEING_INTERNAL
            return {**watch.as_dict(), "news": _news(watches, watch, since, visible)}
    finally:
        watches.store.close()


def _news(
    watches: WatchStore, watch: Watch, since: float | None, include_internal: bool
) -> list[dict[str, Any]]:
    return watches.news(watch, since=since, include_internal=include_internal)


def parse_since(value: str | None) -> float | None:
    """A date (2025-03-01) or a date and time (2025-03-01T08:00) as a timestamp; a clear error otherwise."""
    if value is None or not value.strip():
        return None
    try:
        moment = datetime.datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidQuery(f"Ugyldig dato »{value}«: skriv fx 2025-03-01 eller 2025-03-01T08:00.") from None
    if moment.tzinfo is None:
        moment = moment.astimezone()  # local time, as typed
    return moment.timestamp()


# -- running -----------------------------------------------------------------------------------


def run_watches(
    settings: Settings,
    embedder: Embedder | None = None,
    *,
    changed_paths: Iterable[str] | None = None,
    owner: str | None = None,
    engine: Engine | None = None,
) -> list[dict[str, Any]]:
    """Let every watch (or one owner's) look at the documents stored since it last looked, and record the
    ones it matches as "ny" or "ændret" (`changed_paths`: the files the index run replaced). Returns, per
    watch, its name, owner and the number of new and changed documents it found now."""
    if not settings.db_path.exists():
        return []
    own_engine = engine is None
    engine = engine or Engine(settings, embedder=embedder)
    watches = open_watches(settings)
    changed = set(changed_paths or ())
    results = []
    try:
        for watch in watches.listing(owner):
            with (
                watches.write()
            ):  # one run per watch at a time: a concurrent run waits, then sees nothing new
                current = watches.get(watch.owner, watch.name)
                if current is None:
                    continue
                found = _run_one(engine, watches, current, changed)
            results.append(
                {
                    "name": watch.name,
                    "owner": watch.owner,
                    "new": sum(kind == "ny" for _, kind in found),
                    "changed": sum(kind == "ændret" for _, kind in found),
                }
            )
    finally:
        watches.store.close()
        if own_engine:
            engine.close()
    return results


def _run_one(engine: Engine, watches: WatchStore, watch: Watch, changed: set[str]) -> list[tuple[str, str]]:
    store = watches.store
    # Only documents the owner may see move a watch on: an internal document must not even touch the last
    # run of a reader's watch.
    rows = store.added_since(watch.cursor, include_internal=watch.role in ROLES_SEEING_INTERNAL)
    if not rows:
        return []  # nothing stored since it last looked: its last run (and what it found then) stands
    cursor = max(added_at for _, added_at in rows)
    matched = matching(engine, watch, [doc_id for doc_id, _ in rows])
    kinds = {}
    for doc_id in matched:
        paths = {source.path for source in store.sources_of(doc_id)}
        kinds[doc_id] = "ændret" if paths & changed else "ny"
    found = list(kinds.items())
    watches.record(watch, found, cursor, time.time())
    return found


def matching(engine: Engine, watch: Watch, doc_ids: list[str]) -> list[str]:
    """The documents among `doc_ids` the watch's search scores close to the index's best, best first."""
    if not doc_ids:
        return []
    settings = engine.settings
    filters = watch_filters(watch)
    vector = engine.embed_query(watch.query) if watch.mode != "lexical" else None
    store = engine.store
    with store.snapshot():
        plan = engine.plan(watch.query, filters)
        if plan.prefer is not None and plan.understood.applied_as == "filter":
            filters = plan.prefer
        best: dict[str, list[Ranked]] = {}
        engine.rank(plan, vector, mode=watch.mode, filters=filters, depth=1, parts=best)
        chunks = store.chunk_count(doc_ids)
        among: dict[str, list[Ranked]] = {}
        narrowed = dataclasses.replace(filters, doc_ids=doc_ids)
        engine.rank(plan, vector, mode=watch.mode, filters=narrowed, depth=chunks // 3 + 1, parts=among)
        close: list[int] = []
        if best.get("lexical") and among.get("lexical"):
            floor = best["lexical"][0].score * settings.facet_lexical_share
            close += [r.chunk_id for r in among["lexical"] if r.score >= floor]
        if best.get("dense") and among.get("dense"):
            floor = best["dense"][0].score - settings.facet_dense_margin
            close += [r.chunk_id for r in among["dense"] if r.score >= floor]
        doc_of = store.doc_ids_of(close)
    return list(dict.fromkeys(doc_of[c] for c in close if c in doc_of))


def after_index(settings: Settings, embedder: Embedder, report: IngestReport) -> list[dict[str, Any]]:
    """Run every watch after an ingest, re-index or upload and deliver what they found. A watch problem
    is logged and never fails the index run that has already been committed."""
    try:
        results = run_watches(settings, embedder, changed_paths=report.updated)
    except Exception:
        log.exception("overvågningerne kunne ikke køres efter indekseringen")
        return []
    if any(r["new"] or r["changed"] for r in results):
        from broker.watch_delivery import deliver

        for problem in deliver(settings, results):
            log.warning("%s", problem)
    return results
