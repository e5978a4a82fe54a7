"""How a stored file path is shown: source name and path inside it, or a web page's URL; server paths to admin."""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath
from typing import Any

from broker.crawl_rules import citation


class SourcePaths:
    """Turns absolute paths into "<source name>/<path inside the source>", after the registered sources.

    A path under no registered source (a file ingested by hand) shows as its file name alone, so the
    server's folders never reach a reader. An export record keeps its "#record" suffix. The stored copy of a
    harvested web page shows as its URL (`web`: stored path -> (URL, kind, fetch time))."""

    def __init__(
        self, registered: Iterable[Mapping[str, Any]], web: Mapping[str, tuple[str, str, float]] | None = None
    ) -> None:
        self.web = dict(web or {})
        # Deepest root first, so a source inside another source's folder wins.
        self.roots = sorted(
            ((str(s["name"]), str(s["path"]).rstrip("/") or "/") for s in registered),
            key=lambda item: -len(item[1]),
        )

    def shown(self, path: str) -> str:
        base, hash_, record = path.partition("#")
        if not os.path.isabs(base):
            base, hash_, record = path, "", ""
        suffix = f"{hash_}{record}"
        if base in self.web:
            return self.web[base][0]
        for name, root in self.roots:
            if base == root:  # a source that is one file (an export)
                return f"{name}/{PurePosixPath(base).name}{suffix}"
            if base.startswith(root + "/"):
                return f"{name}/{base[len(root) + 1 :]}{suffix}"
        return f"{PurePosixPath(base).name}{suffix}"

    def source_name(self, path: str) -> str | None:
        base = path.partition("#")[0]
        for name, root in self.roots:
            if base == root or base.startswith(root + "/"):
                return name
        return None

    def hits(self, hits: list[dict[str, Any]], *, admin: bool) -> list[dict[str, Any]]:
        """Hits as dicts with a safe `source`; admin also gets the server's `absolute_path`."""
        out = []
        for hit in hits:
            absolute = str(hit.get("source", ""))
            shown = {**hit, "source": self.shown(absolute)} | self.web_fields(
                absolute, int(hit.get("page") or 0)
            )
            if admin:
                shown["absolute_path"] = absolute
            out.append(shown)
        return out

    def web_fields(self, path: str, page: int = 0) -> dict[str, Any]:
        """For a harvested page: the link to cite (a PDF opens on the page) and the day it was fetched."""
        found = self.web.get(path)
        if found is None:
            return {}
        url, kind, fetched = found
        day = datetime.datetime.fromtimestamp(fetched, datetime.UTC).date().isoformat()
        return {"url": citation(url, kind, page), "fetched": day}
