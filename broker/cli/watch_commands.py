"""The `broker watch` commands: saved searches that report new and changed documents after each re-index."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

import typer
from rich.markup import escape

from broker.cli.app import DataOpt, JsonOpt, app, emit_json, out, run, settings_for
from broker.cli.search_commands import build_filters

watch_app = typer.Typer(
    no_args_is_help=True,
    help="Overvågninger: gemte søgninger, der viser nye og ændrede dokumenter efter hver genindeksering.",
)


def _when(stamp: float | None) -> str:
    if stamp is None:
        return "aldrig"
    return datetime.datetime.fromtimestamp(stamp).strftime("%d.%m.%Y %H:%M")


@watch_app.command("add")
def watch_add(
    name: Annotated[str, typer.Argument(help="Overvågningens navn.")],
    query: Annotated[str, typer.Argument(help="Søgningen, fx 'familiebehandling i hjemmet'.")],
    kommune: Annotated[list[str] | None, typer.Option("--kommune", help="Kun denne kommune.")] = None,
    region: Annotated[list[str] | None, typer.Option("--region", help="Kun denne region.")] = None,
    doc_type: Annotated[list[str] | None, typer.Option("--type", help="Dokumenttype.")] = None,
    mode: Annotated[str, typer.Option("--mode", help="hybrid, dense eller lexical.")] = "hybrid",
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Gem en søgning; efter hver genindeksering vises de nye og ændrede dokumenter, den finder."""
    from broker.watches import add_watch

    settings = settings_for(data)
    added = run(
        lambda: add_watch(
            settings, name, query, build_filters(kommune, region, doc_type, None, None), mode=mode
        )
    )
    if as_json:
        emit_json(added)
    else:
        out.print(
            f"Overvågningen »{escape(added['name'])}« er gemt. Den ser på alt, der indekseres herefter."
        )


@watch_app.command("list")
def watch_list(data: DataOpt = None, as_json: JsonOpt = False) -> None:
    """Vis overvågningerne med antal fund ved seneste kørsel."""
    from broker.watches import list_watches

    watches = run(lambda: list_watches(settings_for(data)))
    if as_json:
        emit_json(watches)
        return
    if not watches:
        out.print("Ingen overvågninger. Gem en med: broker watch add NAVN SØGNING")
    for w in watches:
        out.print(
            f"{escape(w['name'])}\t»{escape(w['query'])}«\t{w['new']} nye ved seneste kørsel "
            f"({_when(w['last_run'])})\t[dim]{escape(w['owner'])}[/]"
        )


@watch_app.command("remove")
def watch_remove(
    name: Annotated[str, typer.Argument(help="Overvågningens navn.")], data: DataOpt = None
) -> None:
    """Slet en overvågning og dens fund."""
    from broker.watches import remove_watch

    run(lambda: remove_watch(settings_for(data), name))
    out.print(f"Overvågningen »{escape(name)}« er slettet.")


@watch_app.command("run")
def watchrun(
    since: Annotated[
        str | None,
        typer.Option(
            "--since", help="Vis fund fra og med denne dato (fx 2025-03-01); standard: seneste kørsel."
        ),
    ] = None,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Kør overvågningerne nu (på alt indekseret siden sidst), og vis deres nye og ændrede dokumenter."""
    from broker.watches import list_watches, parse_since, run_watches, watch_news
    from index.embed import load_embedder

    settings = settings_for(data)

    def work() -> list[dict[str, Any]]:
        moment = parse_since(since)
        run_watches(settings, load_embedder(settings.embedder, settings.threads))
        return [
            watch_news(settings, w["name"], w["owner"], since=moment, include_internal=True)
            for w in list_watches(settings)
        ]

    found = run(work)
    if as_json:
        emit_json(found)
        return
    if not found:
        out.print("Ingen overvågninger. Gem en med: broker watch add NAVN SØGNING")
    for w in found:
        out.print(f"[bold]{escape(w['name'])}[/] »{escape(w['query'])}«: {len(w['news'])} nye eller ændrede")
        for n in w["news"]:
            year = f" ({n['year']})" if n["year"] else ""
            out.print(
                f"   [{'yellow' if n['kind'] == 'ændret' else 'green'}]{n['kind']}[/] "
                f"{escape(n['municipality'])} · {escape(n['title'])}{year}  [dim]{n['doc_id']}[/]"
            )


app.add_typer(watch_app, name="watch")
