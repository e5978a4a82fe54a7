"""The `broker` command line: ingest, search, ask, eval, serve, sources, reindex, documents and keys."""

from __future__ import annotations

import dataclasses
import html
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from broker.errors import BrokerError, InvalidQuery
from broker.settings import Settings
from broker.types import IngestReport, SearchFilters, SearchResult

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Vidensmægler: find sammenlignelig kommunal praksis på børne- og familieområdet.",
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

DataOpt = Annotated[
    Path | None, typer.Option("--data", help="Datamappe (standard: $BROKER_DATA, ellers ./data).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Skriv resultatet som JSON.")]
T = TypeVar("T")


def settings_for(data: Path | None, **overrides: Any) -> Settings:
    values = {k: v for k, v in overrides.items() if v is not None}
    if data is not None:
        values["data_dir"] = data
    return Settings(**values)


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def _run(action: Callable[[], T]) -> T:
    """Turn expected errors into one clear line and an exit status; never a traceback for a user mistake."""
    try:
        return action()
    except BrokerError as exc:
        err.print(f"[bold red]Fejl:[/] {exc.message}")
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err.print("Afbrudt.")
        raise typer.Exit(130) from None


# -- ingest -------------------------------------------------------------------------------------


def report_dict(report: IngestReport) -> dict[str, Any]:
    data = dataclasses.asdict(report)
    data["counts"] = {
        name: len(data[name]) for name in ("added", "updated", "unchanged", "removed", "renamed", "failed")
    }
    return data


def print_report(report: IngestReport) -> None:
    counts = report_dict(report)["counts"]
    out.print(
        f"Tilføjet: {counts['added']}  Opdateret: {counts['updated']}  Uændret: {counts['unchanged']}  "
        f"Fjernet: {counts['removed']}  Omdøbt: {counts['renamed']}  Fejlet: {counts['failed']}"
    )
    out.print(
        f"Dokumenter i indekset: {report.documents}  ·  nye tekststykker indlejret: {report.chunks_embedded} "
        f"({report.embed_seconds:.1f} s)  ·  i alt {report.total_seconds:.1f} s"
    )
    for failure in report.failed:
        out.print(f"[red]  ✗ {failure.path}[/]: {failure.reason}")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Filer og mapper (mapper gennemgås rekursivt).")],
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
        progress = not as_json and sys.stderr.isatty()
        return sync(paths, settings, embedder, progress=progress)

    report = _run(work)
    if as_json:
        emit_json(report_dict(report))
    else:
        print_report(report)
    if len(report.failed) > max_failed:
        raise typer.Exit(1)


# -- search -------------------------------------------------------------------------------------


def build_filters(
    kommune: list[str] | None,
    region: list[str] | None,
    doc_type: list[str] | None,
    year_from: int | None,
    year_to: int | None,
    language: list[str] | None = None,
) -> SearchFilters:
    from broker.filters import resolve_filters

    # The command line runs with the data directory's own rights: internal documents are included.
    return resolve_filters(
        SearchFilters(
            kommuner=kommune or [],
            regions=region or [],
            types=doc_type or [],
            year_from=year_from,
            year_to=year_to,
            languages=language or [],
            include_internal=True,
        )
    )


def result_dict(result: SearchResult) -> dict[str, Any]:
    data = dataclasses.asdict(result)
    if data["facets"] is None:
        del data["facets"]
    return data


_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)


def terminal_snippet(snippet: str) -> str:
    """The HTML snippet for a terminal: highlights in bold, entities decoded, rich markup escaped."""
    parts = _MARK.split(snippet)
    shown = []
    for i, part in enumerate(parts):
        text = html.unescape(part).replace("[", r"\[")
        shown.append(f"[bold yellow]{text}[/]" if i % 2 else text)
    return "".join(shown)


def print_understood(understood: dict[str, Any] | None, suggestion: str | None) -> None:
    """The lines "Forstået: Herning · fra 2023" and "Mente du: …?" above the results, when there are any."""
    if understood:
        from broker.understand import Understood

        summary = Understood(**understood).summary()
        if summary:
            how = " (fremhævet)" if understood.get("applied_as") == "boost" else ""
            out.print(f"[dim]Forstået: {summary.replace('[', chr(92) + '[')}{how}[/]")
        for note in understood.get("expansions") or []:
            out.print(f"[dim]Søger også: {str(note).replace('[', chr(92) + '[')}[/]")
    if suggestion:
        out.print(f"Mente du: [bold]{suggestion.replace('[', chr(92) + '[')}[/]?")


def print_result(result: SearchResult) -> None:
    print_understood(result.understood, result.suggestion)
    if not result.results:
        out.print(f"Ingen resultater for »{result.query}«.")
        return
    out.print(f"[dim]{len(result.results)} resultater · {result.mode} · {result.took_ms:.0f} ms[/]\n")
    for hit in result.results:
        where = " · ".join(
            part
            for part in (
                hit.municipality if hit.municipality != "ukendt" else "Ukendt kommune",
                f"{hit.title} ({hit.year})" if hit.year else hit.title,
                f"s. {hit.page}",
                hit.section,
            )
            if part
        )
        out.print(
            f"[bold]{hit.rank}.[/] [bold cyan]{where.replace('[', chr(92) + '[')}[/]  [dim]{hit.doc_type}[/]"
        )
        out.print(f"   {terminal_snippet(hit.snippet)}")
        out.print(f"   [dim]{hit.source}[/]\n")


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Søgningen, fx 'familiebehandling i hjemmet'.")],
    data: DataOpt = None,
    k: Annotated[int, typer.Option("--k", help="Antal resultater.")] = 10,
    mode: Annotated[str, typer.Option("--mode", help="hybrid, dense eller lexical.")] = "hybrid",
    kommune: Annotated[
        list[str] | None, typer.Option("--kommune", help="Kun denne kommune (kan gentages).")
    ] = None,
    region: Annotated[
        list[str] | None, typer.Option("--region", help="Kun denne region (kan gentages).")
    ] = None,
    doc_type: Annotated[list[str] | None, typer.Option("--type", help="Dokumenttype (kan gentages).")] = None,
    year_from: Annotated[int | None, typer.Option("--year-from", help="Fra og med år.")] = None,
    year_to: Annotated[int | None, typer.Option("--year-to", help="Til og med år.")] = None,
    collapse: Annotated[
        bool, typer.Option("--per-dokument", help="Kun bedste tekststykke pr. dokument.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Søg i indekset (hybrid, semantisk eller leksikalsk) med filtre."""
    from broker.search import Engine

    settings = settings_for(data)

    def work() -> SearchResult:
        filters = build_filters(kommune, region, doc_type, year_from, year_to)
        engine = Engine(settings)
        try:
            return engine.search(query, k=k, mode=mode, filters=filters, collapse=collapse)
        finally:
            engine.close()

    result = _run(work)
    if as_json:
        emit_json(result_dict(result))
    else:
        print_result(result)


# -- eval ---------------------------------------------------------------------------------------


@app.command(name="eval")
def eval_(
    queries: Annotated[
        Path, typer.Option("--queries", help="JSON Lines med forespørgsler og relevante dokumenter.")
    ],
    data: DataOpt = None,
    k: Annotated[int, typer.Option("--k")] = 10,
    per_query: Annotated[bool, typer.Option("--per-query", help="Medtag tal for hver forespørgsel.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Mål søgekvaliteten (nDCG, recall, MRR og svartid) i alle tre søgetilstande."""
    from broker.evaluate import evaluate, load_queries
    from broker.search import Engine

    settings = settings_for(data)

    def work() -> dict[str, Any]:
        judged = load_queries(queries)
        engine = Engine(settings)
        try:
            return evaluate(engine, judged, k=k)
        finally:
            engine.close()

    result = _run(work)
    if not per_query:
        for metrics in result["modes"].values():
            metrics.pop("per_query", None)
    if as_json:
        emit_json(result)
        return
    table = Table(title=f"{result['queries']} forespørgsler, k={k}")
    for column in ("tilstand", f"nDCG@{k}", f"recall@{k}", f"MRR@{k}", "p50 ms", "p95 ms"):
        table.add_column(column, justify="right" if column != "tilstand" else "left")
    for mode, m in result["modes"].items():
        table.add_row(
            mode,
            f"{m[f'ndcg@{k}']:.3f}",
            f"{m[f'recall@{k}']:.3f}",
            f"{m[f'mrr@{k}']:.3f}",
            f"{m['p50_ms']:.0f}",
            f"{m['p95_ms']:.0f}",
        )
    out.print(table)


# -- sources and reindex -----------------------------------------------------------------------

sources_app = typer.Typer(
    no_args_is_help=True, help="Registrerede kilder (mapper og eksporter) til genindeksering."
)
app.add_typer(sources_app, name="sources")


@sources_app.command("add")
def sources_add(
    path: Annotated[Path, typer.Argument(help="Mappe (gennemgås rekursivt) eller JSON Lines-eksport.")],
    name: Annotated[str | None, typer.Option("--name", help="Kildens navn (standard: mappens navn).")] = None,
    internal: Annotated[
        bool,
        typer.Option("--internal", help="Kildens dokumenter er interne (kun for nøgler med ret til dem)."),
    ] = False,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Registrér en kilde. Den indlæses ved næste `broker reindex`."""
    from broker.reindex import add_source

    added = _run(lambda: add_source(settings_for(data), path, name, internal))
    if as_json:
        emit_json(added)
    else:
        out.print(f"Kilden »{added['name']}« ({added['path']}) er registreret. Kør: broker reindex")


@sources_app.command("list")
def sources_list(data: DataOpt = None, as_json: JsonOpt = False) -> None:
    """Vis de registrerede kilder."""
    from broker.reindex import list_sources

    sources = _run(lambda: list_sources(settings_for(data)))
    if as_json:
        emit_json(sources)
        return
    if not sources:
        out.print("Ingen registrerede kilder. Tilføj en med: broker sources add MAPPE")
    for source in sources:
        exists = "" if Path(source["path"]).exists() else "  [red](findes ikke)[/]"
        out.print(f"{source['name']}\t{source['path']}{exists}")


@sources_app.command("remove")
def sources_remove(
    name: Annotated[str, typer.Argument(help="Kildens navn.")], data: DataOpt = None, as_json: JsonOpt = False
) -> None:
    """Afregistrér en kilde og fjern dens dokumenter fra indekset."""
    from broker.reindex import remove_source
    from index.embed import load_embedder

    settings = settings_for(data)
    report = _run(lambda: remove_source(settings, name, load_embedder(settings.embedder, settings.threads)))
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
        rebuilt = _run(lambda: rebuild_lexical_index(settings))
        if as_json:
            emit_json(rebuilt)
        else:
            out.print(
                f"Ordindekset er genopbygget: {rebuilt['chunks']} tekststykker på {rebuilt['seconds']:.1f} s "
                f"(sproganalyse {rebuilt['analyzer_version']})."
            )
        return
    progress = not as_json and sys.stderr.isatty()
    report = _run(
        lambda: run_reindex(settings, load_embedder(settings.embedder, settings.threads), progress=progress)
    )
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

    from broker.indexing import storage_errors
    from broker.lexical_sync import rebuild_lexical
    from broker.lock import WriteLock
    from index.generations import current_lexical
    from index.lexical import remove_stale
    from index.lexicon import ANALYZER_VERSION
    from index.store import Store

    started = time.perf_counter()
    with storage_errors(settings.data_dir), WriteLock(settings.lock_path):
        store = Store(settings.db_path, create=False)
        try:
            chunks = rebuild_lexical(store, settings.data_dir)
            remove_stale(settings.data_dir, current_lexical(store))
        finally:
            store.close()
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

    problems = _run(work)
    if as_json:
        emit_json({"ok": not problems, "problems": problems})
    else:
        out.print("Indekset er konsistent." if not problems else "\n".join(f"✗ {p}" for p in problems))
    if problems:
        raise typer.Exit(1)


# -- documents and keys -------------------------------------------------------------------------

documents_app = typer.Typer(no_args_is_help=True, help="Enkelte dokumenter: markér som interne, eller slet.")
app.add_typer(documents_app, name="documents")
keys_app = typer.Typer(no_args_is_help=True, help="API-nøgler: kun deres SHA-256 står i konfigurationen.")
app.add_typer(keys_app, name="keys")


@documents_app.command("set")
def documents_set(
    doc_id: Annotated[str, typer.Argument(help="Dokumentets id.")],
    internal: Annotated[
        bool, typer.Option("--internal/--public", help="Internt (kun for nøgler med ret) eller offentligt.")
    ],
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Markér et dokument som internt eller offentligt."""
    from broker.uploads import set_internal

    doc = _run(lambda: set_internal(settings_for(data), doc_id, internal))
    if as_json:
        emit_json(doc)
    else:
        out.print(f"{doc['title']} ({doc_id}) er nu {'internt' if doc['internal'] else 'offentligt'}.")


@documents_app.command("delete")
def documents_delete(
    doc_id: Annotated[str, typer.Argument(help="Dokumentets id.")],
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Slet et dokument fra indekset (og dets fil, hvis den er uploadet); det kommer ikke igen ved genindeksering."""
    from broker.uploads import delete_document

    result = _run(lambda: delete_document(settings_for(data), doc_id))
    if as_json:
        emit_json(result)
    else:
        out.print(f"Dokumentet {doc_id} er slettet.")


@keys_app.command("hash")
def keys_hash() -> None:
    """Læs en nøgle fra standard input, og skriv dens SHA-256 (til BROKER_*_KEY_SHA256 eller nøglefilen)."""
    from broker.access import hash_key

    key = sys.stdin.readline().strip()
    if not key:
        err.print("[bold red]Fejl:[/] ingen nøgle på standard input (fx: broker keys hash < nøgle.txt).")
        raise typer.Exit(2)
    if not (key.isascii() and key.isprintable()):  # HTTP headers carry ASCII only
        err.print(
            "[bold red]Fejl:[/] en nøgle må kun indeholde synlige ASCII-tegn (brug fx: broker keys new)."
        )
        raise typer.Exit(2)
    sys.stdout.write(hash_key(key) + "\n")


@keys_app.command("new")
def keys_new(
    name: Annotated[str, typer.Option("--name", help="Nøglens navn (står i adgangsloggen).")],
    role: Annotated[str, typer.Option("--role", help="reader, internal eller admin.")] = "reader",
) -> None:
    """Lav en ny tilfældig nøgle: nøglen vises én gang (på stderr), linjen til nøglefilen på stdout."""
    from broker.access import ROLES, hash_key, new_key

    if role not in ROLES:
        err.print(f"[bold red]Fejl:[/] ukendt rolle »{role}« (brug {', '.join(ROLES)}).")
        raise typer.Exit(2)
    key = new_key()
    err.print(f"Nøgle (gem den sikkert; den vises ikke igen): {key}")
    sys.stdout.write(json.dumps({"name": name, "role": role, "sha256": hash_key(key)}) + "\n")


# -- ask and serve ------------------------------------------------------------------------------


@app.command()
def ask(
    question: Annotated[
        str, typer.Argument(help="Spørgsmålet, fx 'hvordan gør andre kommuner med børnesamtalen?'")
    ],
    data: DataOpt = None,
    kommune: Annotated[
        list[str] | None, typer.Option("--kommune", help="Kun denne kommune (kan gentages).")
    ] = None,
    exclude: Annotated[list[str] | None, typer.Option("--undtagen", help="Udelad denne kommune.")] = None,
    region: Annotated[list[str] | None, typer.Option("--region")] = None,
    doc_type: Annotated[list[str] | None, typer.Option("--type")] = None,
    k: Annotated[int, typer.Option("--k", help="Antal tekststykker, svaret bygger på.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Besvar et spørgsmål med kildehenvisninger og en oversigt pr. kommune (samme JSON som API'et)."""
    from broker.answer import Answerer
    from broker.search import Engine

    settings = settings_for(data)

    def work() -> dict[str, Any]:
        filters = build_filters(kommune, region, doc_type, None, None)
        if exclude:
            filters.exclude_kommuner = build_filters(exclude, None, None, None, None).kommuner
        engine = Engine(settings)
        try:
            return dataclasses.asdict(Answerer(engine, settings).ask(question, filters=filters, k=k))
        finally:
            engine.close()

    answer = _run(work)
    if as_json:
        emit_json(answer)
        return
    print_understood(answer.get("understood"), answer.get("suggestion"))
    if answer["answer"] is None:
        out.print(answer["reason"])
        return
    out.print(answer["answer"].replace("[", r"\["))
    if answer.get("reason"):
        out.print(f"[dim]{answer['reason']}[/]")
    out.print()
    for c in answer["citations"]:
        where = " · ".join(str(p) for p in (c["municipality"], c["title"], c["year"], f"s. {c['page']}") if p)
        out.print(f"[bold]\\[{c['n']}][/] {where}")
    out.print("\n[bold]Pr. kommune:[/] " + ", ".join(g["municipality"] for g in answer["by_municipality"]))


@app.command()
def serve(
    data: DataOpt = None,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    workers: Annotated[int, typer.Option("--workers", help="Antal arbejdsprocesser.")] = 1,
) -> None:
    """Start HTTP-tjenesten og websiden."""
    import copy
    import os

    import uvicorn

    settings = settings_for(data)

    def check() -> None:
        from broker.access import KeyRing
        from broker.search import Engine

        KeyRing.from_settings(settings)  # a bad key configuration is a clear error too
        Engine(settings).close()  # a missing or mismatched index is a clear error before the server starts

    _run(check)
    os.environ["BROKER_DATA"] = str(settings.data_dir)
    err.print(f"Vidensmægler kører på http://{host}:{port}/  (API-dokumentation: http://{host}:{port}/docs)")
    # The service's own access log (no keys, no query strings) replaces uvicorn's, which logs query strings.
    log_config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    log_config["loggers"]["vidensmaegler"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    uvicorn.run(
        "api.main:app",
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        log_config=log_config,
        access_log=False,
        server_header=False,
    )


def main() -> None:
    app()


if __name__ == "__main__":
    main()
