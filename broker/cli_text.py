"""Danish help and usage errors for the `broker` command line, in place of typer's and click's English."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from typing import Any

import typer.core
from typer._click import core as click_core
from typer._click import exceptions as click_errors
from typer._click import formatting

USAGE_ERROR = 2  # the documented exit status for a mistyped command line
HELP_TEXT = "Vis denne hjælp og afslut."
# typer and click look these up through gettext; the command line speaks Danish whatever the locale.
DANISH = {
    "(deprecated) ": "(forældet) ",
    "(dynamic)": "(beregnes)",
    "Aborted!": "Afbrudt.",
    "Aborted.": "Afbrudt.",
    "Arguments": "Argumenter",
    "Commands": "Kommandoer",
    "Error": "Fejl",
    "Missing command.": "Mangler en kommando.",
    "Options": "Tilvalg",
    "[default: {}]": "[standard: {}]",
    "[env var: {}]": "[miljøvariabel: {}]",
    "[required]": "[skal angives]",
    "default: {default}": "standard: {default}",
    "env var: {var}": "miljøvariabel: {var}",
    "required": "skal angives",
}
# Value labels in the help, by the type typer shows; flags get none.
TYPE_LABELS = {
    "int": "TAL",
    "float": "TAL",
    "str": "TEKST",
    "path": "STI",
    "list[str]": "TEKST",
    "list[path]": "STI",
    "bool": None,
}
TYPE_NAMES = {"TAL": "et heltal", "STI": "en sti", "TEKST": "en tekst"}


def danish(message: str) -> str:
    return DANISH.get(message, message)


def _type_label(shown: str | None) -> str | None:
    if shown is None:
        return None
    bare = shown.strip("<>").removesuffix("...").lower()
    return TYPE_LABELS.get(bare, shown)


def _labelled(original: Callable[..., str | None]) -> Callable[..., str | None]:
    def display_type_rich(self: Any, ctx: Any) -> str | None:
        if isinstance(self, typer.core.TyperArgument) and self.metavar:
            return None  # the name column already shows it
        if getattr(self, "metavar", None):
            return str(self.metavar)
        return _type_label(original(self, ctx))

    return display_type_rich


def install_help() -> None:
    """Danish titles and notes in typer's rich help. Only for a command line that shows help: importing
    typer's rich rendering costs start-up time every other command should not pay."""
    import typer.rich_utils as rich_utils

    rich_utils._ = danish
    rich_utils.DEPRECATED_STRING = DANISH["(deprecated) "]
    rich_utils.DEFAULT_STRING = DANISH["[default: {}]"]
    rich_utils.ENVVAR_STRING = DANISH["[env var: {}]"]
    rich_utils.REQUIRED_LONG_STRING = DANISH["[required]"]
    rich_utils.ARGUMENTS_PANEL_TITLE = "Argumenter"
    rich_utils.OPTIONS_PANEL_TITLE = "Tilvalg"
    rich_utils.COMMANDS_PANEL_TITLE = "Kommandoer"
    rich_utils.ERRORS_PANEL_TITLE = "Fejl"
    rich_utils.ABORTED_TEXT = "Afbrudt."
    rich_utils.RICH_HELP = "Se [blue]'{command_path} {help_option}'[/]."


def install() -> None:
    """Danish texts in the parts of typer and click every command loads (called when the command line is
    built); install_help adds the rest when help is shown."""
    for module in (typer.core, click_core):
        module._ = danish  # type: ignore[attr-defined]

    write_usage = formatting.HelpFormatter.write_usage
    if getattr(write_usage, "danish", False):
        return

    def danish_usage(
        self: formatting.HelpFormatter, prog: str, args: str = "", prefix: str | None = None
    ) -> None:
        args = args.replace("[OPTIONS]", "[TILVALG]").replace("COMMAND [ARGS]...", "KOMMANDO [ARGUMENTER]...")
        write_usage(self, prog, args, "Brug: " if prefix is None else prefix)

    danish_usage.danish = True  # type: ignore[attr-defined]
    formatting.HelpFormatter.write_usage = danish_usage  # type: ignore[method-assign]

    get_help_option = click_core.Command.get_help_option

    def danish_help_option(self: click_core.Command, ctx: click_core.Context) -> Any:
        option = get_help_option(self, ctx)
        if option is not None:
            option.help = HELP_TEXT
        return option

    click_core.Command.get_help_option = danish_help_option  # type: ignore[method-assign]
    for cls in (typer.core.TyperOption, typer.core.TyperArgument):
        cls.display_type_rich = _labelled(cls.display_type_rich)  # type: ignore[method-assign]


def _name(param: Any) -> str:
    """How the user wrote or sees a parameter: `--k` for an option, SØGNING for an argument."""
    opts = [o for o in getattr(param, "opts", ()) if o.startswith("-")]
    if opts:
        return opts[0]
    return str(getattr(param, "metavar", None) or getattr(param, "name", "") or "").upper()


def _value_after(option: str, args: Sequence[str]) -> str | None:
    for i, arg in enumerate(args):
        if arg == option and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(option + "="):
            return arg[len(option) + 1 :]
    return None


def usage_message(exc: click_errors.UsageError, args: Sequence[str]) -> str:
    """One Danish line for a mistyped command line, with a suggestion where one helps."""
    command = exc.ctx.command_path if exc.ctx is not None else "broker"
    see = f"Se: {command} --help"
    if isinstance(exc, click_errors.NoSuchOption):
        known: list[str] = []
        if exc.ctx is not None:
            for param in exc.ctx.command.get_params(exc.ctx):
                known += [
                    o for o in (*param.opts, *getattr(param, "secondary_opts", ())) if o.startswith("--")
                ]
        close = difflib.get_close_matches(exc.option_name, known, n=1, cutoff=0.6)
        hint = f" Mente du »{close[0]}«?" if close else ""
        return f"Ukendt tilvalg »{exc.option_name}«.{hint} {see}"
    if isinstance(exc, click_errors.MissingParameter):
        name = _name(exc.param)
        what = "tilvalget" if name.startswith("-") else "argumentet"
        return f"Mangler {what} {name}. {see}"
    if isinstance(exc, click_errors.BadOptionUsage):
        return f"Tilvalget {exc.option_name} skal have en værdi. {see}"
    if isinstance(exc, click_errors.BadParameter):
        name = _name(exc.param)
        shown = (
            exc.param.display_type_rich(exc.ctx) if exc.param is not None and exc.ctx is not None else None
        )
        expected = TYPE_NAMES.get(str(shown), "en gyldig værdi")
        value = _value_after(name, args)
        got = f" »{value}« er ikke {expected}." if value is not None else f" Forventede {expected}."
        return f"Ugyldig værdi for {name}:{got} {see}"
    unknown = re.match(r"No such command '(.+?)'", exc.message)
    if unknown and exc.ctx is not None:
        name = unknown.group(1)
        group = exc.ctx.command
        names = group.list_commands(exc.ctx) if isinstance(group, typer.core.TyperGroup) else []
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
        hint = f" Mente du »{close[0]}«?" if close else ""
        return f"Ukendt kommando »{name}«.{hint} {see}"
    extra = re.match(r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)", exc.message)
    if extra:
        return (
            f"For mange argumenter: »{extra.group(1)}« (sæt en søgning med flere ord i anførselstegn). {see}"
        )
    if exc.message == "Mangler en kommando.":
        return f"Mangler en kommando. {see}"
    return f"Kommandolinjen kan ikke læses. {see}"
