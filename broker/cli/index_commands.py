"""Commands that build and keep the index: ingest, sources, reindex, check and settings."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from broker.cli.app import (
    DataOpt,
    JsonOpt,
    app,
    emit_json,
    out,
    run,
    settings_for,
)
from broker.cli.render import (
    LogProgress,
    print_report,
)
from broker.reports import report_dict
from core.errors import InvalidQuery
from core.settings import Settings
from core.types import IngestReport


@app.command()
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(metavar="STI...", help="Filer og mapper (mapper gennemgås rekursivt).")
    ],
    data: DataOpt = None,
    as_json: JsonOpt = False,
    max_failed: Annotated[
        int, typer.Option("--max-failed", help="Afslut med fejlstatus, når flere filer end dette fejler.")
    ] = 0,
) -> None:
    """Indlæs dokumenter i indekset (nye tilføjes, ændrede erstattes, uændrede springes over)."""
    from broker.indexing import sync
    from index.embed import load_embedder

    settings = settings_for(data)

    def work() -> IngestReport:
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise InvalidQuery(f"Findes ikke: {', '.join(missing)}")
        embedder = load_embedder(settings.embedder, settings.threads)
        if as_json or sys.stderr.isatty():
            return sync(paths, settings, embedder, progress=not as_json)
        log = LogProgress()
        return sync(paths, settings, embedder, on_file=log.file, on_stage=log.stage)

    report = run(work)
    if as_json:
        emit_json(report_dict(report))
    else:
        print_report(report)
    if len(report.failed) > max_failed:
        raise typer.Exit(1)


# -- search -------------------------------------------------------------------------------------


sources_app = typer.Typer(
    no_args_is_help=True, help="Registrerede kilder (mapper og eksporter) til genindeksering."
)
app.add_typer(sources_app, name="sources")


@sources_app.command("add")
def sources_add(
    path: Annotated[
        str,
        typer.Argument(
            metavar="STI",
            help="Mappe (gennemgås rekursivt), JSON Lines-eksport eller med --web en webadresse.",
        ),
    ],
    name: Annotated[str | None, typer.Option("--name", help="Kildens navn (standard: mappens navn).")] = None,
    internal: Annotated[
        bool,
        typer.Option("--internal", help="Kildens dokumenter er interne (kun for nøgler med ret til dem)."),
    ] = False,
    follow_links: Annotated[
        bool,
        typer.Option(
            "--follow-links", help="Følg symbolske lænker i mappen – kun dem, der peger ind i kilden selv."
        ),
    ] = False,
    web: Annotated[
        bool, typer.Option("--web", help="Kilden er et websted: høst sider og filer fra adressen.")
    ] = False,
    max_pages: Annotated[
        int | None, typer.Option("--max-pages", help="Web: højst så mange hentninger pr. kørsel.")
    ] = None,
    max_depth: Annotated[
        int | None, typer.Option("--max-depth", help="Web: højst så mange klik fra startsiden.")
    ] = None,
    include: Annotated[
        list[str] | None, typer.Option("--include", help="Web: indeksér kun stier som mønstret (fx '*.pdf').")
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="Web: hent ikke stier som mønstret.")
    ] = None,
    allow_host: Annotated[
        list[str] | None, typer.Option("--allow-host", help="Web: en vært mere, der må hentes fra.")
    ] = None,
    kommune: Annotated[
        str | None,
        typer.Option("--kommune", help="Web: kommunen for alle dokumenterne (ellers ud fra værten)."),
    ] = None,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Registrér en kilde. Den indlæses ved næste `broker reindex`."""
    from broker.reindex import add_source
    from broker.web_sources import add_web_source

    if web:
        added = run(
            lambda: add_web_source(
                settings_for(data),
                path,
                name,
                internal,
                max_pages=max_pages,
                max_depth=max_depth,
                include=include or (),
                exclude=exclude or (),
                hosts=allow_host or (),
                kommune=kommune,
            )
        )
    else:
        added = run(
            lambda: add_source(settings_for(data), Path(path), name, internal, follow_links=follow_links)
        )
    if web and not as_json:
        out.print(f"Webkilden »{added['name']}« ({added['web']['url']}) er registreret. Kør: broker reindex")
        return
    if as_json:
        emit_json(added)
    else:
        out.print(f"Kilden »{added['name']}« ({added['path']}) er registreret. Kør: broker reindex")


@sources_app.command("list")
def sources_list(data: DataOpt = None, as_json: JsonOpt = False) -> None:
    """Vis de registrerede kilder."""
    from broker.reindex import list_sources

    sources = run(lambda: list_sources(settings_for(data)))
    if as_json:
        emit_json(sources)
        return
    if not sources:
        out.print("Ingen registrerede kilder. Tilføj en med: broker sources add MAPPE")
    for source in sources:
        exists = "" if Path(source["path"]).exists() else "  [red](findes ikke)[/]"
        out.print(f"{source['name']}\t{source.get('url') or source['path']}{exists}")


@sources_app.command("remove")
def sources_remove(
    name: Annotated[str, typer.Argument(metavar="NAVN", help="Kildens navn.")],
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Afregistrér en kilde og fjern dens dokumenter fra indekset."""
    from broker.reindex import remove_source
    from index.embed import load_embedder

    settings = settings_for(data)
    report = run(lambda: remove_source(settings, name, load_embedder(settings.embedder, settings.threads)))
    if as_json:
        emit_json(report_dict(report))
    else:
        out.print(f"Kilden »{name}« er fjernet; {len(report.removed)} filer taget ud af indekset.")


@app.command()
def reindex(
    data: DataOpt = None,
    as_json: JsonOpt = False,
    report_file: Annotated[Path | None, typer.Option("--report", help="Gem rapporten som JSON her.")] = None,
    max_failed: Annotated[
        int, typer.Option("--max-failed", help="Afslut med fejlstatus 1, når flere filer end dette fejler.")
    ] = 0,
    rebuild_lexical: Annotated[
        bool,
        typer.Option(
            "--rebuild-lexical",
            help="Genopbyg kun ordindekset fra den gemte tekst (efter en ny sproganalyse); intet indlejres.",
        ),
    ] = False,
) -> None:
    """Genindeksér alle registrerede kilder: nye, ændrede, omdøbte og slettede filer (kør fx ugentligt)."""
    from broker.reindex import reindex as run_reindex
    from index.embed import load_embedder

    settings = settings_for(data)
    if rebuild_lexical:
        rebuilt = run(lambda: rebuild_lexical_index(settings))
        if as_json:
            emit_json(rebuilt)
        else:
            out.print(
                f"Ordindekset er genopbygget: {rebuilt['chunks']} tekststykker på {rebuilt['seconds']:.1f} s "
                f"(sproganalyse {rebuilt['analyzer_version']})."
            )
        return

    def work() -> IngestReport:
        embedder = load_embedder(settings.embedder, settings.threads)
        if as_json or sys.stderr.isatty():
            return run_reindex(settings, embedder, progress=not as_json)
        log = LogProgress()  # off a terminal (cron, a log file): plain lines instead of a bar
        return run_reindex(settings, embedder, on_file=log.file, on_stage=log.stage)

    report = run(work)
    data_out = report_dict(report)
    if report_file is not None:
        report_file.parent.mkdir(parents=True, exist_ok=True)
        report_file.write_text(json.dumps(data_out, ensure_ascii=False, indent=2), encoding="utf-8")
    if as_json:
        emit_json(data_out)
    else:
        print_report(report)
    if len(report.failed) > max_failed:
        raise typer.Exit(1)


def rebuild_lexical_index(settings: Settings) -> dict[str, Any]:
    """Rebuild the lexical index of an existing index under the write lock; no embedding."""
    import time

    from broker.lexical_sync import rebuild_lexical
    from index.generations import current_lexical
    from index.lexical import remove_stale
    from index.lexicon import ANALYZER_VERSION
    from index.writer import open_writer

    started = time.perf_counter()
    with open_writer(settings, create=False) as store:
        chunks = rebuild_lexical(store, settings.data_dir)
        remove_stale(settings.data_dir, current_lexical(store))
    seconds = round(time.perf_counter() - started, 2)
    return {"chunks": chunks, "seconds": seconds, "analyzer_version": ANALYZER_VERSION}


@app.command()
def check(data: DataOpt = None, as_json: JsonOpt = False) -> None:
    """Kontrollér indekset: SQLite-integritet, og at tekststykker, ordindeks og vektorer stemmer overens."""
    from index.store import Store
    from index.verify import check_consistency

    settings = settings_for(data)

    def work() -> list[str]:
        store = Store(settings.db_path, create=False)
        try:
            return check_consistency(store, settings.data_dir)
        finally:
            store.close()

    problems = run(work)
    if as_json:
        emit_json({"ok": not problems, "problems": problems})
    else:
        out.print("Indekset er konsistent." if not problems else "\n".join(f"✗ {p}" for p in problems))
    if problems:
        raise typer.Exit(1)


@app.command(name="settings")
def settings_list(
    as_json: JsonOpt = False,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Skriv en tabel til docs/settings.md.")
    ] = False,
) -> None:
    """Vis alle indstillinger: navn, miljøvariabel, standardværdi og hvad den gør."""
    from core.settings import described

    rows = described()
    if as_json:
        emit_json([{"name": n, "env": e, "default": d, "description": t} for n, e, d, t in rows])
    elif markdown:
        print("| miljøvariabel | standard | hvad |\n|---|---|---|")
        for _, env, default, text in rows:
            print(f"| `{env}` | {f'`{default}`' if default else '–'} | {text} |")
    else:
        for _, env, default, text in rows:
            out.print(f"[bold]{escape(env)}[/] = {escape(default) if default else '–'}\n    {escape(text)}")


# -- documents and keys -------------------------------------------------------------------------
