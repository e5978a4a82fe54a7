"""Web sources: registering a site, harvesting it before a re-index, and its documents shown by URL."""

from __future__ import annotations

import contextlib
import logging
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from broker.crawl import CrawlOutcome, Harvester, WebOptions
from broker.crawl_rules import host_of, normalize
from broker.lexical_sync import rebuild_lexical
from core.errors import InvalidQuery
from core.settings import Settings
from core.types import FileFailure, IngestReport
from index import web_state
from index.generations import current_lexical
from index.lexical import remove_stale as remove_stale_lexical
from index.lock import WriteLock
from index.store import Store
from language.municipality import resolve
from language.registry import municipalities, municipality_for_host

log = logging.getLogger(__name__)
WEB_SOURCES = "web_sources"  # meta key: {source name: its WebOptions as JSON}


def add_web_source(
    settings: Settings,
    url: str,
    name: str | None = None,
    internal: bool = False,
    *,
    max_pages: int | None = None,
    max_depth: int | None = None,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    hosts: Sequence[str] = (),
    kommune: str | None = None,
) -> dict[str, Any]:
    """Register a website from a start URL. Its pages and files are stored under data/web/<name> and read
    like a folder at every re-index."""
    start = normalize(url)
    if start is None:
        raise InvalidQuery(
            f"Ugyldig webadresse »{url}«: brug en fuld adresse som https://www.kommune.dk/born-og-familie "
            "(uden brugernavn og adgangskode)."
        )
    named = resolve(kommune) if kommune else None
    if kommune and named is None:
        raise InvalidQuery(f"Ukendt kommune »{kommune}«. Brug et af de 98 kommunenavne, fx »Aarhus«.")
    options = WebOptions(
        url=start,
        max_pages=_at_least(max_pages, settings.web_max_pages, 1, "--max-pages"),
        max_depth=_at_least(max_depth, settings.web_max_depth, 0, "--max-depth"),
        include=tuple(p for p in include if p.strip()),
        exclude=tuple(p for p in exclude if p.strip()),
        hosts=tuple(_host(h) for h in hosts),
        kommune=named,
    )
    name = (name or host_of(start).replace(":", "-")).strip()
    root = settings.web_dir / name
    created = not root.exists()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidQuery(f"Ugyldigt kildenavn »{name}« ({exc.strerror or exc}).") from exc
    from broker.reindex import add_source  # registration itself is the folder sources' own

    try:
        added = add_source(settings, root, name, internal)
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                root.rmdir()
        raise
    with WriteLock(settings.lock_path):
        store = Store(settings.db_path)
        try:
            with store.write():
                store.set_json(WEB_SOURCES, {**(store.get_json(WEB_SOURCES) or {}), name: options.as_json()})
        finally:
            store.close()
    return {**added, "kind": "web", "web": options.as_json()}


def _at_least(value: int | None, default: int, minimum: int, flag: str) -> int:
    chosen = default if value is None else value
    if chosen < minimum:
        raise InvalidQuery(f"{flag} skal være mindst {minimum}.")
    return chosen


def _host(text: str) -> str:
    url = normalize(text if "://" in text else f"https://{text}")
    if url is None:
        raise InvalidQuery(f"Ugyldig vært »{text}«: skriv fx www.kommune.dk")
    return host_of(url)


def web_options(store: Store) -> dict[str, WebOptions]:
    return {name: WebOptions.from_json(o) for name, o in (store.get_json(WEB_SOURCES) or {}).items()}


def describe(source: dict[str, Any], options: dict[str, WebOptions]) -> dict[str, Any]:
    """A registered source's kind, and for a web source its start URL and options."""
    found = options.get(source["name"])
    if found is None:
        return {"kind": "folder"}
    return {"kind": "web", "url": found.url, "web": found.as_json()}


def forget(settings: Settings, name: str, path: str | None) -> None:
    """After a web source is unregistered: its options, its pages' state and its stored copies go too."""
    with WriteLock(settings.lock_path):
        store = Store(settings.db_path)
        try:
            with store.write():
                known = store.get_json(WEB_SOURCES) or {}
                if name not in known:
                    return
                store.set_json(WEB_SOURCES, {k: v for k, v in known.items() if k != name})
                web_state.forget(store.conn, name)
        finally:
            store.close()
    if path and Path(path).parent == settings.web_dir.resolve():
        shutil.rmtree(path, ignore_errors=True)


@dataclass
class Harvest:
    """The web sources' runs before a re-index: what they report and which URLs they dropped."""

    outcomes: dict[str, CrawlOutcome] = field(default_factory=dict)
    # A failure's path is "<source folder>/<URL>" until the re-index is done, so a failure of an internal
    # web source counts as internal in the report's public view; `urls` maps it back to the URL.
    failures: list[FileFailure] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)
    skipped: list[FileFailure] = field(default_factory=list)


def harvest(
    settings: Settings, sources: Iterable[dict[str, Any]], transport: httpx.BaseTransport | None = None
) -> Harvest:
    """Fetch every web source into its folder of stored copies; call holding the write lock. A site that
    cannot be read keeps all its copies and is reported failed."""
    result = Harvest()
    if not settings.db_path.exists():
        return result
    store = Store(settings.db_path)
    try:
        options = web_options(store)
        for source in sources:
            if source["name"] not in options or not Path(source["path"]).is_dir():
                continue
            name = source["name"]
            harvester = Harvester(
                settings, options[name], Path(source["path"]), web_state.load(store.conn, name), transport
            )
            try:
                outcome = harvester.run()
            except Exception:  # a fault in one site's harvest must not stop the re-index of the others
                log.exception("høsten af %s fejlede", name)
                outcome = harvester.failed("intern fejl under høsten; se tjenestens log")
            finally:
                harvester.close()
            with store.write():
                web_state.save(store.conn, name, outcome.pages)
            result.outcomes[name] = outcome
            for failure in outcome.failures:
                inside = f"{source['path'].rstrip('/')}/{failure.path}"
                result.urls[inside] = failure.path
                result.failures.append(FileFailure(inside, failure.reason, failure.code))
            result.skipped += [
                FileFailure(url, f"Ikke hentet: {why}", "web_skipped") for url, why in outcome.skipped
            ]
    finally:
        store.close()
    return result


def after_sync(
    settings: Settings, sources: Iterable[dict[str, Any]], done: Harvest, report: IngestReport
) -> None:
    """Give web documents the municipality of their site, and report them by URL instead of stored path."""
    store = Store(settings.db_path)
    try:
        options = web_options(store)
        with store.write():
            changed = 0
            for source in sources:
                found = options.get(source["name"])
                if found is None:
                    continue
                municipality = found.kommune or municipality_for_host(host_of(found.url))
                if municipality is not None:
                    region = municipalities().get(municipality)
                    changed += web_state.set_municipality_under(
                        store.conn, source["path"], municipality, region
                    )
            if changed:  # the lexical index carries the municipality's name: recompute it from stored text
                rebuild_lexical(store, settings.data_dir)
            links = {path: url for path, (url, _, _) in web_state.links(store.conn).items()}
        if changed:
            remove_stale_lexical(settings.data_dir, current_lexical(store))
    finally:
        store.close()
    links |= done.urls
    for outcome in done.outcomes.values():
        links |= {path: url for url, path in outcome.removed.items()}
    for name in ("added", "updated", "unchanged", "removed"):
        setattr(report, name, [links.get(p, p) for p in getattr(report, name)])
    report.failed = [FileFailure(links.get(f.path, f.path), f.reason, f.code) for f in report.failed]
    report.skipped += done.skipped
