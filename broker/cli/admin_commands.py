"""Commands for the operator: documents, keys and serve."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.markup import escape

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

documents_app = typer.Typer(no_args_is_help=True, help="Enkelte dokumenter: markér som interne, eller slet.")
app.add_typer(documents_app, name="documents")
keys_app = typer.Typer(no_args_is_help=True, help="API-nøgler: kun deres SHA-256 står i konfigurationen.")
app.add_typer(keys_app, name="keys")


@documents_app.command("set")
def documents_set(
    doc_id: Annotated[str, typer.Argument(metavar="ID", help="Dokumentets id.")],
    internal: Annotated[
        bool, typer.Option("--internal/--public", help="Internt (kun for nøgler med ret) eller offentligt.")
    ],
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Markér et dokument som internt eller offentligt."""
    from broker.uploads import set_internal

    doc = run(lambda: set_internal(settings_for(data), doc_id, internal))
    if as_json:
        emit_json(doc)
    else:
        out.print(f"{doc['title']} ({doc_id}) er nu {'internt' if doc['internal'] else 'offentligt'}.")


@documents_app.command("delete")
def documents_delete(
    doc_id: Annotated[str, typer.Argument(metavar="ID", help="Dokumentets id.")],
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Slet et dokument fra indekset (og dets fil, hvis den er uploadet); det kommer ikke igen ved genindeksering."""
    from broker.uploads import delete_document

    result = run(lambda: delete_document(settings_for(data), doc_id))
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


PORT_UNAVAILABLE = 69  # EX_UNAVAILABLE: the address to listen on is taken or not allowed


def listen_problem(host: str, port: int) -> str | None:
    """Why the service could not listen on host:port, in Danish, or None when it can (checked by binding)."""
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError):
        return f"Adressen »{host}« findes ikke. Brug fx --host 127.0.0.1."
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (
                    f"Port {port} på {host} er allerede i brug (kører tjenesten allerede?). "
                    "Stop det andet program, eller vælg en anden port med --port."
                )
            if exc.errno == errno.EACCES:
                return f"Ingen adgang til port {port} på {host}. Vælg en port over 1024 med --port."
            return (
                f"Tjenesten kan ikke lytte på {host}:{port}. Vælg en anden adresse med --host eller --port."
            )
    return None


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
    problem = listen_problem(host, port)
    if problem:
        err.print(f"[bold red]Fejl:[/] {escape(problem)}")
        raise typer.Exit(PORT_UNAVAILABLE)

    def check() -> bool:
        from broker.access import KeyRing
        from broker.search import Engine

        ring = KeyRing.from_settings(settings)  # a bad or empty key configuration is a clear error too
        Engine(settings).close()  # a missing or mismatched index is a clear error before the server starts
        return ring.reads_need_key

    from broker.serving import GuardedH11Protocol
    from broker.serving import log_config as guarded_log_config

    reads_need_key = run(check)
    GuardedH11Protocol.configure(settings)  # workers started by uvicorn read the same BROKER_* environment
    os.environ["BROKER_DATA"] = str(settings.data_dir)
    err.print(f"Vidensmægler kører på http://{host}:{port}/  (API-dokumentation: http://{host}:{port}/docs)")
    if not reads_need_key:
        err.print("Læsning er åben for alle: der er ingen læser- eller internnøgle sat op.")
    # The service's own access log (no keys, no query strings) replaces uvicorn's, which logs query strings.
    log_config = guarded_log_config(copy.deepcopy(uvicorn.config.LOGGING_CONFIG))
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
        http="broker.serving:GuardedH11Protocol",
        timeout_keep_alive=settings.http_keep_alive_s,
        # uvicorn counts the connection asking too, so one more lets every connection under the cap be served.
        limit_concurrency=GuardedH11Protocol.max_connections + 1,
    )
