"""Commands that read the index: search, compare, ask and eval."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from broker.cli.app import (
    DataOpt,
    JsonOpt,
    app,
    emit_json,
    err,
    out,
    run,
    settings_for,
)
from broker.cli.render import (
    print_result,
    print_understood,
)
from broker.paths import SourcePaths
from broker.reports import result_dict
from core.errors import InvalidQuery
from core.settings import Settings
from core.types import SearchFilters, SearchResult


def build_filters(
    kommune: list[str] | None,
    region: list[str] | None,
    doc_type: list[str] | None,
    year_from: int | None,
    year_to: int | None,
    language: list[str] | None = None,
) -> SearchFilters:
    from language.filters import filters_from_input

    # The command line runs with the data directory's own rights: internal documents are included.
    return filters_from_input(
        kommuner=kommune,
        regions=region,
        types=doc_type,
        year_from=year_from,
        year_to=year_to,
        languages=language,
        include_internal=True,
    )


@app.command()
def search(
    query: Annotated[
        str, typer.Argument(metavar="SØGNING", help="Søgningen, fx 'familiebehandling i hjemmet'.")
    ],
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
    by_municipality: Annotated[
        bool,
        typer.Option("--pr-kommune", help="Saml resultaterne pr. kommune (kommunen med det bedste først)."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Søg i indekset (hybrid, semantisk eller leksikalsk) med filtre."""
    from broker.search import Engine

    settings = settings_for(data)

    registered: list[dict[str, Any]] = []
    web: dict[str, tuple[str, str, float]] = {}

    def work() -> SearchResult:
        filters = build_filters(kommune, region, doc_type, year_from, year_to)
        engine = Engine(settings)
        try:
            registered.extend(engine.store.registered_sources())
            web.update(engine.store.web_links())
            return engine.search(query, k=k, mode=mode, filters=filters, collapse=collapse)
        finally:
            engine.close()

    result = run(work)
    if as_json:
        emit_json(result_dict(result, SourcePaths(registered, web), admin=True))
    else:
        print_result(result, by_municipality=by_municipality)


# -- compare ------------------------------------------------------------------------------------


@app.command()
def compare(
    topic: Annotated[str, typer.Argument(help="Emnet, fx 'familiebehandling'.")],
    kommune: Annotated[
        list[str], typer.Option("--kommune", help="En kommune at sammenligne (2-6, gentages).")
    ],
    aspekt: Annotated[
        list[str] | None, typer.Option("--aspekt", help="Kun dette aspekt, fx lovgrundlag (kan gentages).")
    ] = None,
    data: DataOpt = None,
    csv_file: Annotated[Path | None, typer.Option("--csv", help="Gem matrixen som CSV i denne fil.")] = None,
    docx_file: Annotated[
        Path | None, typer.Option("--docx", help="Gem et vidensnotat (Word) i denne fil.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Sammenlign praksis som matrix: aspekter (målgruppe, lovgrundlag …) × kommuner, med tal og kilder."""
    from broker.comparison.matrix import compare_matrix
    from broker.comparison.note_docx import matrix_csv, matrix_docx
    from broker.search import Engine

    settings = settings_for(data)

    def work() -> dict[str, Any]:
        engine = Engine(settings)
        try:
            filters = build_filters(None, None, None, None, None)
            found = compare_matrix(engine, topic, kommune, aspects=aspekt, filters=filters)
        finally:
            engine.close()
        try:
            if csv_file is not None:
                csv_file.write_text(matrix_csv(found), encoding="utf-8")
            if docx_file is not None:
                docx_file.write_bytes(matrix_docx(found))
        except OSError as exc:
            raise InvalidQuery(f"Kan ikke skrive filen: {exc.strerror} ({exc.filename}).") from exc
        return found

    found = run(work)
    if as_json:
        emit_json(found)
        return
    out.print(f"[bold]{found['query']}[/] · {', '.join(found['municipalities'])} · {found['date']}")
    for row in found["rows"]:
        out.print(f"\n[bold]{row['title']}[/]")
        for cell in row["cells"]:
            p = cell["passage"]
            if p is None:
                out.print(f"  {cell['municipality']}: –")
                continue
            values = "; ".join(v["normalized"] for v in cell["values"])
            where = " · ".join(str(x) for x in (p["title"], p["year"], f"s. {p['page']}") if x)
            out.print(
                f"  {cell['municipality']}: "
                + (f"[bold]{values}[/] " if values else "")
                + f"[dim]({where})[/]"
            )
            out.print(f"    »{p['quote']}«", markup=False)
    for name, path in (("CSV", csv_file), ("Notat", docx_file)):
        if path is not None:
            out.print(f"\n{name} gemt i {path}")


# -- eval ---------------------------------------------------------------------------------------


@app.command(name="eval")
def eval_(
    queries: Annotated[
        Path | None, typer.Option("--queries", help="JSON Lines med forespørgsler og relevante dokumenter.")
    ] = None,
    data: DataOpt = None,
    k: Annotated[int, typer.Option("--k")] = 10,
    per_query: Annotated[bool, typer.Option("--per-query", help="Medtag tal for hver forespørgsel.")] = False,
    compare_tasks: Annotated[
        Path | None, typer.Option("--compare", help="JSON Lines med bedømte sammenligninger (matrixen).")
    ] = None,
    answers: Annotated[
        Path | None,
        typer.Option("--answers", help="JSON Lines med spørgsmål, de fakta et svar skal have, og kilderne."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Mål søgekvaliteten (nDCG, recall, MRR og svartid) i alle tre søgetilstande, svarene (--answers)
    eller matrixen (--compare)."""
    if compare_tasks is not None:
        eval_compare(compare_tasks, data, per_query, as_json)
        return
    if answers is not None:
        eval_answers(settings_for(data), answers, per_query, as_json)
        return
    if queries is None:
        err.print(
            "[bold red]Fejl:[/] Angiv --queries FIL, --answers FIL eller --compare FIL (se: broker eval --help)."
        )
        raise typer.Exit(2)
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

    result = run(work)
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


def eval_answers(settings: Settings, path: Path, per_query: bool, as_json: bool) -> None:
    """`broker eval --answers`: how many answers hold the facts, cited from the right page."""
    from broker.answers.evaluation import evaluate_answers, load_answer_cases
    from broker.answers.extractive import Answerer
    from broker.search import Engine

    def work() -> dict[str, Any]:
        cases = load_answer_cases(path)
        engine = Engine(settings)
        try:
            return evaluate_answers(Answerer(engine, settings), cases)
        finally:
            engine.close()

    result = run(work)
    if not per_query:
        result.pop("per_question", None)
    if as_json:
        emit_json(result)
        return
    out.print(f"{result['questions']} spørgsmål, {result['off_topic']} uden for emnet")
    out.print(f"Svar med fakta og henvisning til rette side: {result['answered']:.1%}")
    out.print(f"Svar med henvisning til rette side: {result['cited_right_page']:.1%}")
    out.print(f"Citater ordret på den citerede side: {result['verbatim_citations']:.1%}")
    out.print(f"Spørgsmål uden for emnet afvist: {result['off_topic_refused']:.1%}")
    out.print(f"Svartid p50/p95: {result['p50_ms']:.0f}/{result['p95_ms']:.0f} ms")


def eval_compare(tasks_file: Path, data: Path | None, per_task: bool, as_json: bool) -> None:
    """Cell precision, cell recall and value accuracy of the matrix on judged comparison tasks."""
    from broker.comparison.evaluation import evaluate_compare, load_compare_tasks
    from broker.search import Engine

    settings = settings_for(data)

    def work() -> dict[str, Any]:
        tasks = load_compare_tasks(tasks_file)
        engine = Engine(settings)
        try:
            return evaluate_compare(engine, tasks)
        finally:
            engine.close()

    result = run(work)
    if not per_task:
        result.pop("per_task", None)
    if as_json:
        emit_json(result)
        return
    out.print(
        f"{result['tasks']} sammenligninger, {result['cells']} bedømte celler: "
        f"præcision {result['cell_precision']:.3f} · recall {result['cell_recall']:.3f} · "
        f"tomme celler rigtigt tomme {result['empty_accuracy']:.3f} · "
        f"tal rigtige {result['value_accuracy']:.3f} (af {result['values_judged']})"
    )


# -- sources and reindex -----------------------------------------------------------------------


@app.command()
def ask(
    question: Annotated[
        str,
        typer.Argument(
            metavar="SPØRGSMÅL", help="Spørgsmålet, fx 'hvordan gør andre kommuner med børnesamtalen?'"
        ),
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
    from broker.answers.extractive import Answerer
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

    answer = run(work)
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
