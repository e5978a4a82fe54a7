"""How the command line shows reports and results in a terminal."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from rich.markup import escape

from broker.cli.app import (
    err,
    out,
)
from broker.reports import report_dict
from core.types import IngestReport, SearchResult


def print_report(report: IngestReport) -> None:
    counts = report_dict(report)["counts"]
    out.print(
        f"Filer – tilføjet: {counts['added']}  opdateret: {counts['updated']}  uændret: {counts['unchanged']}  "
        f"fjernet: {counts['removed']}  omdøbt: {counts['renamed']}  fejlet: {counts['failed']}"
    )
    files = sum(counts[name] for name in ("added", "updated", "unchanged", "renamed"))
    note = " (en eksport rummer ét dokument pr. post)" if report.documents > files else ""
    out.print(
        f"Dokumenter i indekset: {report.documents}{note}  ·  nye tekststykker indlejret: {report.chunks_embedded} "
        f"({report.embed_seconds:.1f} s)  ·  i alt {report.total_seconds:.1f} s"
    )
    for failure in report.failed:
        out.print(f"[red]  ✗ {escape(failure.path)}[/]: {escape(failure.reason)}")
    for skipped in report.skipped:
        out.print(f"[yellow]  – {escape(skipped.path)}[/]: {escape(skipped.reason)}")


class LogProgress:
    """Progress as plain lines on stderr when it is not a terminal (make's output, a log file): a line every
    `every_files` files or `every_seconds` seconds, and one when embedding starts."""

    def __init__(self, every_files: int = 25, every_seconds: float = 10.0) -> None:
        import time

        self.clock = time.monotonic
        self.every_files, self.every_seconds = every_files, every_seconds
        self.started = self.last = self.clock()
        self.files = 0

    def _due(self) -> bool:
        now = self.clock()
        if now - self.last >= self.every_seconds:
            self.last = now
            return True
        return False

    def file(self, _: Path) -> None:
        self.files += 1
        if self.files % self.every_files == 0 or self._due():
            self.last = self.clock()
            err.print(f"Indlæser: {self.files} filer gennemgået ({self.clock() - self.started:.0f} s) …")

    def stage(self, name: str) -> None:
        if name == "scanned":
            err.print(f"Indlæser: {self.files} filer gennemgået; indlejrer nye tekststykker …")
        elif name == "embedded-batch" and self._due():
            err.print(f"Indlejrer stadig … ({self.clock() - self.started:.0f} s)")


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
        from language.understand import Understood

        summary = Understood(**understood).summary()
        if summary:
            how = " (fremhævet)" if understood.get("applied_as") == "boost" else ""
            out.print(f"[dim]Forstået: {summary.replace('[', chr(92) + '[')}{how}[/]")
        for note in understood.get("expansions") or []:
            out.print(f"[dim]Søger også: {str(note).replace('[', chr(92) + '[')}[/]")
    if suggestion:
        out.print(f"Mente du: [bold]{suggestion.replace('[', chr(92) + '[')}[/]?")


def print_result(result: SearchResult, *, by_municipality: bool = False) -> None:
    print_understood(result.understood, result.suggestion)
    if not result.results:
        out.print(f"Ingen resultater for »{result.query}«.")
        return
    out.print(f"[dim]{len(result.results)} resultater · {result.mode} · {result.took_ms:.0f} ms[/]\n")
    if not by_municipality:
        print_hits(result.results)
        return
    groups: dict[str, list[Any]] = {}  # in the order of each municipality's best hit
    for hit in result.results:
        groups.setdefault(hit.municipality, []).append(hit)
    for municipality, hits in groups.items():
        name = municipality if municipality != "ukendt" else "Ukendt kommune"
        count = f"{len(hits)} resultat" + ("er" if len(hits) != 1 else "")
        out.print(f"[bold magenta]{escape(name)}[/] [dim]({count})[/]\n")
        print_hits(hits)


def print_hits(hits: list[Any]) -> None:
    for hit in hits:
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
