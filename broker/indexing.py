"""Bring the index in line with files on disk: incremental, one transaction, vectors embedded only once."""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from broker.errors import BadFile, BrokerError, IndexMismatch
from broker.lock import WriteLock
from broker.settings import Settings
from broker.types import Chunk, Document, FileFailure, IngestReport
from index.analysis import analyze
from index.dense import VectorIndex
from index.embed import Embedder
from index.generations import commit_generation, current_generation, next_path, remove_stale, vectors_path
from index.store import KnownSource, Store
from ingest.pipeline import iter_files, read_documents

EMBED_BATCH_COMMIT = 64  # vectors are saved in small transactions so an interrupted run keeps them


def passage_text(doc: Document, chunk: Chunk) -> str:
    """What the embedder sees for a chunk: its document title and section give the passage its context."""
    head = " – ".join(part for part in (doc.title, chunk.section) if part)
    return f"{head}\n{chunk.text}" if head else chunk.text


def lexical_text(doc: Document, chunk: Chunk) -> str:
    """What the lexical index sees: the chunk plus the words that locate it (title, section, municipality)."""
    return " ".join((doc.title, doc.municipality, chunk.section, chunk.text))


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_embedder(store: Store, spec: str, embedder: Embedder | None = None) -> None:
    """Refuse to mix vectors of two embedders; record the embedder of a new index."""
    built_with = store.get_meta("embedder_spec")
    if built_with is None:
        if embedder is not None:
            store.set_meta("embedder_spec", spec)
            store.set_meta("embedder_id", embedder.id)
            store.set_meta("embedder_dim", str(embedder.dim))
        return
    if built_with != spec:
        dim = store.get_meta("embedder_dim")
        raise IndexMismatch(
            f"Indekset er bygget med embedderen '{built_with}' ({dim} dimensioner), men der bruges '{spec}'. "
            f"Brug samme embedder (BROKER_EMBEDDER={built_with}), eller byg indekset forfra med den nye "
            "i en ny datamappe."
        )


@dataclass
class _Plan:
    """What a scan decided, before anything is written."""

    documents: list[Document] = field(default_factory=list)
    drop_sources: list[tuple[str, str]] = field(default_factory=list)
    touched: list[tuple[str, int, float]] = field(default_factory=list)


def sync(
    paths: Sequence[Path],
    settings: Settings,
    embedder: Embedder,
    *,
    removal_roots: Sequence[Path] | None = None,
    progress: bool = False,
    on_file: Callable[[Path], None] | None = None,
    record_as: str | None = None,
    known_failures: Sequence[FileFailure] = (),
    on_stage: Callable[[str], None] | None = None,
) -> IngestReport:
    """Ingest new and changed files under `paths`; drop known sources under `removal_roots` not seen now.

    With `record_as`, the report is also stored in the index's metadata under that key (e.g. the last re-index).

    Holds the data directory's write lock for the whole run and changes the database in one transaction,
    so readers see the old state or the new one, and an interrupted run leaves the old state in place.
    """
    started = time.perf_counter()
    with WriteLock(settings.lock_path):
        store = Store(settings.db_path)
        try:
            with store.write():
                check_embedder(store, settings.embedder, embedder)
            report = IngestReport(failed=list(known_failures))
            plan = _scan(paths, settings, embedder, store, report, removal_roots, progress, on_file)
            stage = on_stage or (lambda _: None)
            stage("scanned")
            new_docs = _dedupe_new(plan.documents, store)
            report.embed_seconds, report.chunks_embedded = _embed_missing(new_docs, store, embedder, stage)
            _apply(plan, new_docs, store, settings, embedder, stage)
            stage("committed")
            report.documents = store.counts()["documents"]
            report.total_seconds = time.perf_counter() - started
            if record_as:
                with store.write():
                    store.set_json(record_as, {"finished": time.time(), **dataclasses.asdict(report)})
        finally:
            store.close()
    return report


def _scan(
    paths: Sequence[Path],
    settings: Settings,
    embedder: Embedder,
    store: Store,
    report: IngestReport,
    removal_roots: Sequence[Path] | None,
    progress: bool,
    on_file: Callable[[Path], None] | None,
) -> _Plan:
    plan = _Plan()
    by_path: dict[str, list[KnownSource]] = defaultdict(list)
    for known in store.known_sources().values():
        by_path[known.path].append(known)
    files = list(iter_files(paths))
    seen: set[str] = set()
    for path in tqdm(files, desc="Indlæser", unit="fil", disable=not progress):
        if on_file is not None:
            on_file(path)
        key = str(path.resolve())
        seen.add(key)
        prior = by_path.get(key, [])
        try:
            stat = path.stat()
            if prior and all(k.size == stat.st_size and k.mtime == stat.st_mtime for k in prior):
                report.unchanged.append(key)
                continue
            if prior and stat.st_size == prior[0].size and all(k.file_hash == file_hash(path) for k in prior):
                plan.touched.append((key, stat.st_size, stat.st_mtime))
                report.unchanged.append(key)
                continue
            docs = read_documents(path, settings, count_tokens=embedder.count_tokens)
        except BrokerError as exc:
            code = exc.code if isinstance(exc, BadFile) else type(exc).__name__
            report.failed.append(FileFailure(key, exc.message, code))
            continue
        except OSError as exc:
            report.failed.append(FileFailure(key, f"Filen kunne ikke læses: {exc.strerror or exc}", "io"))
            continue
        (report.updated if prior else report.added).append(key)
        fresh = {(s.path, s.record_id or "") for d in docs for s in d.sources}
        plan.drop_sources += [(k.path, k.record_id) for k in prior if (k.path, k.record_id) not in fresh]
        plan.documents += docs
    if removal_roots is not None:
        roots = [str(p.resolve()) for p in removal_roots]
        for known_path, sources in by_path.items():
            if known_path not in seen and _under(known_path, roots):
                report.removed.append(known_path)
                plan.drop_sources += [(k.path, k.record_id) for k in sources]
        _note_renames(report, by_path, plan.documents)
    return plan


def _under(path: str, roots: Iterable[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


def _note_renames(report: IngestReport, by_path: dict[str, list[KnownSource]], docs: list[Document]) -> None:
    """A removed path whose content came back under a new path is a rename, not a delete plus an add."""
    gone = {k.doc_id: path for path in report.removed for k in by_path[path]}
    for doc in docs:
        if doc.doc_id in gone:
            new_paths = [s.path for s in doc.sources if s.path in report.added]
            for new_path in new_paths:
                report.renamed.append(f"{gone[doc.doc_id]} -> {new_path}")
                report.added.remove(new_path)
            report.removed.remove(gone.pop(doc.doc_id))


def _dedupe_new(documents: list[Document], store: Store) -> list[Document]:
    """Documents not yet in the index, one per content (the same content twice becomes one document)."""
    new: dict[str, Document] = {}
    for doc in documents:
        if store.has_document(doc.doc_id):
            continue
        if doc.doc_id in new:
            new[doc.doc_id].sources.extend(doc.sources)
        else:
            new[doc.doc_id] = doc
    return list(new.values())


def _embed_missing(
    docs: list[Document], store: Store, embedder: Embedder, stage: Callable[[str], None]
) -> tuple[float, int]:
    """Embed chunk texts the cache does not hold yet; saved as they come so a crash loses little."""
    texts = {text_key(t): t for d in docs for t in (passage_text(d, c) for c in d.chunks)}
    cached = store.get_vectors(embedder.id, texts.keys(), embedder.dim)
    missing = [(k, t) for k, t in texts.items() if k not in cached]
    seconds = 0.0
    for start in range(0, len(missing), EMBED_BATCH_COMMIT):
        batch = missing[start : start + EMBED_BATCH_COMMIT]
        began = time.perf_counter()
        vectors = embedder.embed_passages([t for _, t in batch])
        seconds += time.perf_counter() - began
        with store.write():
            store.put_vectors(embedder.id, {k: v for (k, _), v in zip(batch, vectors, strict=True)})
        stage("embedded-batch")
    return seconds, len(missing)


def _apply(
    plan: _Plan,
    new_docs: list[Document],
    store: Store,
    settings: Settings,
    embedder: Embedder,
    stage: Callable[[str], None],
) -> None:
    """One write transaction: sources, documents, chunks, lexical entries and the new vector generation."""
    data_dir = settings.data_dir
    with store.write():
        # The committed vectors, loaded before this transaction changes any chunk, so deltas apply once.
        index = load_current(store, data_dir, embedder.dim, settings)
        removed: list[int] = []
        for source_path, record_id in plan.drop_sources:
            store.remove_source(source_path, record_id)
        for source_path, size, mtime in plan.touched:
            store.touch_source(source_path, size, mtime)
        added_ids: list[int] = []
        added_keys: list[str] = []
        new_ids = {d.doc_id for d in new_docs}
        for doc in new_docs:
            keys = [text_key(passage_text(doc, c)) for c in doc.chunks]
            terms = [" ".join(analyze(lexical_text(doc, c))) for c in doc.chunks]
            added_ids += store.put_document(doc, terms, keys)
            added_keys += keys
        for doc in plan.documents:
            if doc.doc_id not in new_ids:  # known content under a (new) name: one document, another source
                for source in doc.sources:
                    store.add_source(doc.doc_id, source)
        removed += store.delete_orphans()
        stage("written")
        if not removed and not added_ids and current_generation(store) > 0:
            return
        if removed:
            index.remove(np.asarray(removed, dtype=np.int64))
        if added_ids:
            found = store.get_vectors(embedder.id, added_keys, embedder.dim)
            vectors = np.vstack([found[k] for k in added_keys]).astype(np.float32)
            index.add(np.asarray(added_ids, dtype=np.int64), vectors)
        if _wrong_kind(index, settings):
            index = rebuild_vectors(store, embedder.dim, settings)
        generation, path = next_path(store, data_dir)
        index.save(path)
        stage("saved")
        commit_generation(store, generation)
    remove_stale(data_dir, generation)


def _wrong_kind(index: VectorIndex, settings: Settings) -> bool:
    """The index grew past (or shrank well below) the size where the other kind is the better choice."""
    if settings.index_kind != "auto":
        return index.kind != settings.index_kind
    if index.kind == "flat":
        return len(index) >= settings.ann_threshold
    return len(index) < settings.ann_threshold // 2


def load_current(store: Store, data_dir: Path, dim: int, settings: Settings) -> VectorIndex:
    """The committed vector index; rebuilt from the stored vectors when its file is missing or unreadable."""
    generation = current_generation(store)
    if generation > 0:
        try:
            return VectorIndex.load(vectors_path(data_dir, generation))
        except Exception:  # a missing or damaged file is rebuilt below from the system of record
            pass
    return rebuild_vectors(store, dim, settings)


def rebuild_vectors(store: Store, dim: int, settings: Settings) -> VectorIndex:
    """Build the FAISS index from the database alone, no embedding needed."""
    ids, keys = store.chunk_hashes()
    embedder_id = store.get_meta("embedder_id") or ""
    if len(ids) == 0:
        return VectorIndex.create(dim, kind="flat")
    found = store.get_vectors(embedder_id, keys, dim)
    vectors = np.vstack([found[k] for k in keys]).astype(np.float32)
    return VectorIndex.build(ids, vectors, kind=settings.index_kind, ann_threshold=settings.ann_threshold)
