"""What each caller may see of a stored ingest or re-index report: counts for readers, paths only for admin."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from broker.reports import OUTCOMES as REPORT_LISTS
from index.store import Store

PUBLIC_VIEW = "public"  # the stored report's part for callers without internal rights
_SEEN_INTERNAL = ("finished", "documents", "chunks_embedded", "embed_seconds", "total_seconds")


@dataclass
class Visibility:
    """Paths of sources of public and of internal documents, and the folders registered as internal."""

    public: set[str] = field(default_factory=set)
    internal: set[str] = field(default_factory=set)
    roots: list[str] = field(default_factory=list)

    def __or__(self, other: Visibility) -> Visibility:
        return Visibility(
            self.public | other.public, self.internal | other.internal, self.roots + other.roots
        )

    def hidden(self, path: str) -> bool:
        return path in self.internal or _under_any(path, self.roots)

    def shown(self, entry: Any, listed: str) -> bool:
        """Whether a caller without internal rights may count a report entry. Fails closed: only a file
        known as a public document's source, or a failure outside every internal document and source."""
        if listed == "failed":
            path = str(entry.get("path", "")) if isinstance(entry, dict) else ""
            return bool(path) and not self.hidden(path)
        paths = str(entry).split(" -> ") if listed == "renamed" else [str(entry)]
        return all(p in self.public and not self.hidden(p) for p in paths)


def visibility(store: Store) -> Visibility:
    """Which source paths belong to public and to internal documents now; call inside a transaction."""
    seen = Visibility(roots=[s["path"] for s in store.registered_sources() if s["internal"]])
    for path, internal in store.path_visibility().items():
        (seen.internal if internal else seen.public).add(path)
    return seen


def public_view(record: dict[str, Any], seen: Visibility, store: Store) -> dict[str, Any]:
    """What a caller without internal rights may see of a report: counts of the files of public documents
    and public sources, and the number of public documents. No paths, and no times or chunk numbers: they
    would tell of internal work. `seen` must cover the state before the run too (a removed file's document
    is gone afterwards)."""
    counts = {name: sum(seen.shown(e, name) for e in record.get(name, [])) for name in REPORT_LISTS}
    return {"counts": counts, "documents": store.counts(include_internal=False)["documents"]}


def report_view(record: dict[str, Any] | None, *, admin: bool, sees_internal: bool) -> dict[str, Any] | None:
    """A stored report as a caller may see it: all of it for an admin; counts for anyone else, of every
    file for a key that sees internal documents, of the public ones only otherwise."""
    if record is None:
        return None
    full = {key: value for key, value in record.items() if key != PUBLIC_VIEW}
    counts = {name: len(full.get(name, [])) for name in REPORT_LISTS}
    if admin:
        return {**full, "counts": counts}
    if sees_internal:
        return {**{key: full[key] for key in _SEEN_INTERNAL if key in full}, "counts": counts}
    public = record.get(PUBLIC_VIEW)  # missing from a report stored by an older version: nothing to count
    return {"finished": full.get("finished"), **(public if isinstance(public, dict) else {})}


def _under_any(path: str, roots: Iterable[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)
