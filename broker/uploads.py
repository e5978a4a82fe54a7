"""Uploaded files: safe names, type by content, a folder per source under data/uploads, and deletion."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from broker import indexing
from broker.reindex import list_sources, register, remove_source
from core.errors import BrokerError, InvalidQuery, NotFound, TooLarge
from core.settings import Settings
from core.types import FileFailure, IngestReport
from index.embed import Embedder
from index.lock import WriteLock
from index.store import Store
from index.writer import open_writer, storage_errors
from ingest.detect import sniff

MAX_NAME_CHARS = 120
MAX_NAME_BYTES = 200  # file systems allow 255 bytes; room is left for the backup prefix
BACKUP = ".upload-bak."
SOURCE_NAME = re.compile(r"^[\w\-æøåÆØÅ][\w.\-æøåÆØÅ ]{0,79}$")
_UNSAFE = re.compile(r"[^\w .,()+&'\-]")
# The extension a file is stored under follows its content, so it is served with the right type.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "pdf": (".pdf",),
    "docx": (".docx",),
    "html": (".html", ".htm"),
    "text": (".txt", ".md", ".markdown", ".text"),
    "jsonl": (".jsonl", ".ndjson"),
}
_COPY_BLOCK = 1 << 20


@dataclass
class Incoming:
    """One uploaded file as the client named it, readable as a binary stream."""

    name: str
    stream: IO[bytes]


def sanitize_filename(name: str) -> str:
    """A safe file name: the last path part only, no control or format characters, no leading dots,
    letters of every script kept (æ, ø, å), at most MAX_NAME_CHARS characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C" and c not in "\u2028\u2029")
    name = _UNSAFE.sub("_", name)
    name = " ".join(name.split()).strip(" .")
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    ext = ext[:10]
    stem = stem[: MAX_NAME_CHARS - len(ext) - 1]
    while len(stem.encode("utf-8")) + len(ext.encode("utf-8")) + 1 > MAX_NAME_BYTES:
        stem = stem[:-1]
    stem = stem.rstrip(" .") or "dokument"
    return f"{stem}.{ext}" if ext else stem


def typed_name(name: str, kind: str) -> str:
    """The name with an extension that matches the content's type (the client's extension is only a hint)."""
    stem, dot, ext = name.rpartition(".")
    wanted = EXTENSIONS[kind]
    if dot and stem and f".{ext.lower()}" in wanted:
        return name
    return f"{stem if dot and stem else name}{wanted[0]}"


def source_folder(settings: Settings, source: str) -> Path:
    """The upload folder of a source; the name is checked so the folder stays inside data/uploads."""
    source = unicodedata.normalize("NFC", (source or "").strip())
    if not SOURCE_NAME.match(source) or ".." in source:
        raise InvalidQuery(
            f"Ugyldigt kildenavn »{source[:80]}«: brug 1-80 bogstaver, tal, mellemrum, punktum og bindestreg."
        )
    root = settings.uploads_dir.resolve()
    folder = (root / source).resolve()
    if folder.parent != root:
        raise InvalidQuery(f"Ugyldigt kildenavn »{source}«.")
    return folder


def is_upload(settings: Settings, path: str | Path) -> bool:
    """True for a file inside data/uploads (after resolving links): the only files deletion may remove."""
    root = settings.uploads_dir.resolve()
    try:
        return Path(path).resolve().is_relative_to(root) and Path(path).resolve() != root
    except (OSError, ValueError):
        return False


def create_source(settings: Settings, name: str, *, internal: bool = False) -> dict[str, Any]:
    """Register an upload source: a folder under data/uploads that re-indexing also scans."""
    folder = source_folder(settings, name)
    with open_writer(settings) as store:
        folder.mkdir(parents=True, exist_ok=True)
        with store.write():
            register(store, folder.name, str(folder), internal=internal)
    return {"name": folder.name, "path": str(folder), "internal": internal}


def _copy(stream: IO[bytes], target: Path, limit: int) -> tuple[int, str]:
    """Copy to `target` without holding the file in memory; refuse it as soon as it passes `limit`."""
    digest = hashlib.sha256()
    size = 0
    with target.open("wb") as out:
        while block := stream.read(_COPY_BLOCK):
            size += len(block)
            if size > limit:
                raise TooLarge(f"Filen er for stor (grænsen er {limit / 1024 / 1024:g} MB)")
            digest.update(block)
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
    return size, digest.hexdigest()


def _same_content(path: Path, digest: str) -> bool:
    with contextlib.suppress(OSError):
        return path.is_file() and indexing.file_hash(path) == digest
    return False


def store_uploads(
    settings: Settings,
    embedder: Embedder,
    source: str,
    files: list[Incoming],
    *,
    internal: bool = False,
    on_stage: Callable[[str], None] | None = None,
) -> IngestReport:
    """Save uploaded files into the source's folder and ingest them, all under the data directory's lock.

    Each file's type is judged by its content; a file that is refused (too large, not a document, a zip
    bomb, too slow to read, ...) is reported as failed and not kept. A file replacing one of the same name
    is put back if the new one cannot be read. Concurrent writers get IndexBusy.
    """
    if not files:
        raise InvalidQuery("Vælg mindst én fil at uploade.")
    if len(files) > settings.upload_max_files:
        raise TooLarge(f"For mange filer i én upload ({len(files)}; grænsen er {settings.upload_max_files}).")
    folder = source_folder(settings, source)
    limit = int(settings.upload_max_mb * 1024 * 1024)
    limited = settings.model_copy(
        update={"max_file_mb": settings.upload_max_mb, "parse_timeout_s": settings.upload_parse_timeout_s}
    )
    refused: list[FileFailure] = []
    written: list[Path] = []
    backups: dict[Path, Path] = {}
    with open_writer(settings) as store:
        folder.mkdir(parents=True, exist_ok=True)
        _recover(folder, store)
        with store.write():
            register(store, folder.name, str(folder), reuse=True)
        marked: list[str] = []

        def before_visible(targets: list[Path]) -> None:
            if internal:  # durable before any scan can see the files, so a crash cannot make them public
                marked.extend(str(t) for t in targets)
                _mark_internal(settings, marked, add=True)

        try:
            digests = _save(files, folder, limit, written, backups, refused, before_visible)
            if digests:  # uploading content again brings back a document deleted on purpose
                store = Store(settings.db_path)
                try:
                    with store.write():
                        indexing.forget_documents(store, (d[:16] for d in digests), forget=False)
                finally:
                    store.close()
            report = indexing.sync(
                written,
                limited,
                embedder,
                known_failures=refused,
                on_stage=on_stage,
                locked=True,
                internal=internal,
            )
        except BaseException:
            _restore(written, backups, failed={str(p.resolve()) for p in written})
            if marked:
                _mark_internal(settings, marked, add=False)
            raise
        _restore(written, backups, failed={f.path for f in report.failed})
        if marked:  # the documents now carry the mark themselves (or their files are gone)
            _mark_internal(settings, marked, add=False)
    return report


def _mark_internal(settings: Settings, paths: list[str], *, add: bool) -> None:
    """Record (or drop) the paths of an internal upload; re-indexing treats a recorded path as internal."""
    store = Store(settings.db_path)
    try:
        if add:  # fsync'ed at commit, so the mark is on disk before the file is renamed into view
            store.conn.execute("PRAGMA synchronous=FULL")
        with store.write():
            known = set(store.get_json(indexing.INTERNAL_UPLOADS) or [])
            changed = known | set(paths) if add else known - set(paths)
            if changed != known:
                store.set_json(indexing.INTERNAL_UPLOADS, sorted(changed))
    finally:
        store.close()


def _save(
    files: list[Incoming],
    folder: Path,
    limit: int,
    written: list[Path],
    backups: dict[Path, Path],
    refused: list[FileFailure],
    before_visible: Callable[[list[Path]], None],
) -> list[str]:
    """Copy each upload into the folder under its clean, typed name; returns the digests of those kept.

    Every file is first copied to a hidden temporary name (no scan reads hidden files); `before_visible`
    gets the final paths before any of them is renamed into view."""
    taken: set[str] = set()
    digests: list[str] = []
    staged: list[tuple[Path, Path, str]] = []  # temporary file, final path, digest
    try:
        for incoming in files:
            name = sanitize_filename(incoming.name)
            temp = folder / f".upload-{uuid.uuid4().hex}"
            try:
                _size, digest = _copy(incoming.stream, temp, limit)
                kind = sniff(temp.read_bytes(), name)
            except BrokerError as exc:
                temp.unlink(missing_ok=True)
                code = getattr(exc, "code", "too_large" if isinstance(exc, TooLarge) else "unsupported")
                refused.append(FileFailure(str(folder / name), exc.message, code))
                continue
            except BaseException:
                temp.unlink(missing_ok=True)
                raise
            staged.append((temp, folder / _unique(typed_name(name, kind), taken), digest))
        if staged:
            before_visible([target for _, target, _ in staged])
        for temp, target, digest in staged:
            if target.exists() and not _same_content(target, digest):
                backups[target] = folder / f"{BACKUP}{target.name}"
                os.replace(target, backups[target])
            os.replace(temp, target)
            written.append(target)
            digests.append(digest)
    finally:
        for temp, _, _ in staged:
            temp.unlink(missing_ok=True)
    return digests


def _recover(folder: Path, store: Store) -> None:
    """Clean up after an upload that was stopped: a replaced file the index still knows goes back in place,
    other backups and temporary files go away."""
    for backup in folder.glob(f"{BACKUP}*"):
        target = folder / backup.name.removeprefix(BACKUP)
        known = {k.file_hash for k in store.known_sources().values() if k.path == str(target.resolve())}
        if known and indexing.file_hash(backup) in known:
            os.replace(backup, target)
        else:
            backup.unlink()
    for temp in folder.glob(".upload-*"):
        temp.unlink(missing_ok=True)


def _unique(name: str, taken: set[str]) -> str:
    stem, dot, ext = name.rpartition(".")
    candidate, number = name, 2
    while candidate.lower() in taken:
        candidate = f"{stem} ({number}).{ext}" if dot else f"{name} ({number})"
        number += 1
    taken.add(candidate.lower())
    return candidate


def _restore(written: list[Path], backups: dict[Path, Path], failed: set[str]) -> None:
    """Files that failed go away, and an earlier file of that name comes back; the rest drop their backup."""
    for path in written:
        if str(path.resolve()) in failed and path not in backups:
            path.unlink(missing_ok=True)
    for target, backup in backups.items():
        if target not in written or str(target.resolve()) in failed:
            os.replace(backup, target)
        else:
            backup.unlink(missing_ok=True)


def delete_document(settings: Settings, doc_id: str) -> dict[str, Any]:
    """Remove a document from the index and delete its uploaded file(s); a file outside data/uploads is
    never touched, and its document is remembered as deleted so re-indexing does not bring it back."""
    with open_writer(settings) as store:
        with store.snapshot():
            if not store.has_document(doc_id):
                raise NotFound(f"Dokumentet '{doc_id}' findes ikke.")
            paths = sorted({s.path for s in store.sources_of(doc_id)})
            # An export file holds several documents: it goes only with the last of them.
            shared = {path for path in paths if store.path_shared(path, doc_id)}
        uploaded = [p for p in paths if is_upload(settings, p) and p not in shared]
        outside = [p for p in paths if not is_upload(settings, p)]
        indexing.remove_documents([doc_id], settings, locked=True, forget=[doc_id] if outside else [])
        for path in uploaded:
            Path(path).unlink(missing_ok=True)
    return {"doc_id": doc_id, "deleted": True, "removed_files": uploaded}


def set_internal(settings: Settings, doc_id: str, internal: bool) -> dict[str, Any]:
    """Mark a document internal or public. A document from a source registered as internal stays internal."""
    with open_writer(settings) as store, store.write():
        if not store.has_document(doc_id):
            raise NotFound(f"Dokumentet '{doc_id}' findes ikke.")
        if not internal:
            for root in (s for s in store.registered_sources() if s["internal"]):
                if any(_inside(s.path, root["path"]) for s in store.sources_of(doc_id)):
                    raise InvalidQuery(
                        f"Dokumentet kommer fra den interne kilde »{root['name']}« og forbliver internt."
                    )
        store.set_internal([doc_id], internal)
        if not internal:  # made public on purpose: a mark left by a stopped upload goes too
            paths = {s.path for s in store.sources_of(doc_id)}
            marks = store.get_json(indexing.INTERNAL_UPLOADS) or []
            if paths & set(marks):
                store.set_json(indexing.INTERNAL_UPLOADS, [m for m in marks if m not in paths])
        doc = store.document(doc_id)
    assert doc is not None
    return doc


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def delete_source(settings: Settings, name: str, embedder: Embedder) -> IngestReport:
    """Unregister a source and remove its documents; an upload source's folder is deleted too."""
    registered = {s["name"]: Path(s["path"]) for s in list_sources(settings)}
    folder = registered.get(name)
    with storage_errors(settings.data_dir):
        report = remove_source(settings, name, embedder)
        if folder is not None and folder.parent == settings.uploads_dir.resolve() and folder.is_dir():
            with WriteLock(settings.lock_path):
                shutil.rmtree(folder, ignore_errors=True)
    return report
