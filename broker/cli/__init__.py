"""The `broker` command line: one Typer app, its commands in modules by what they touch."""

# isort: skip_file
# The modules register their commands on import; this order is the order `broker --help` lists them in.
from broker.cli import search_commands, index_commands, admin_commands
from broker.cli.app import app, main

__all__ = ["admin_commands", "app", "index_commands", "main", "search_commands"]
