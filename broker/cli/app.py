"""The command line's wiring: the Typer app, shared options, error handling and the entry point."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from broker import cli_text
from core.errors import BrokerError, IndexMissing
from core.settings import Settings

cli_text.install()
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


DEMO_DATA = Path("data/demo")


def demo_hint() -> str:
    """After `make demo` the index is in data/demo, not in the default ./data: say so."""
    if (DEMO_DATA / "broker.sqlite3").exists():
        return f" Demo-indekset fra make demo ligger i {DEMO_DATA}: tilføj --data {DEMO_DATA}."
    return ""


def run(action: Callable[[], T]) -> T:
    """Turn expected errors into one clear line and an exit status; never a traceback for a user mistake."""
    try:
        return action()
    except BrokerError as exc:
        message = exc.message + (demo_hint() if isinstance(exc, IndexMissing) else "")
        err.print(f"[bold red]Fejl:[/] {escape(message)}")
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err.print("Afbrudt.")
        raise typer.Exit(130) from None


# -- ingest -------------------------------------------------------------------------------------


def main(args: list[str] | None = None) -> None:
    """The console entry point: usage mistakes become one Danish line and exit status 2."""
    from typer._click import exceptions as click_errors

    argv = sys.argv[1:] if args is None else list(args)
    if (
        len(argv) <= 1 or "--help" in argv
    ):  # help is shown: by --help, or for a bare `broker` or `broker sources`
        cli_text.install_help()
    try:
        code = app(argv, standalone_mode=False, prog_name="broker")
    except click_errors.NoArgsIsHelpError as exc:
        exc.show()
        sys.exit(cli_text.USAGE_ERROR)
    except click_errors.UsageError as exc:
        err.print(f"[bold red]Fejl:[/] {escape(cli_text.usage_message(exc, argv))}")
        sys.exit(cli_text.USAGE_ERROR)
    except typer.Abort:
        err.print("Afbrudt.")
        sys.exit(130)
    except click_errors.ClickException as exc:
        err.print(f"[bold red]Fejl:[/] {escape(exc.format_message())}")
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
