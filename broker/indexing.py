"""Bring the index in line with files on disk: incremental, one transaction, vectors embedded only once."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from broker.lexical_sync import (
    lexical_doc,
    lexical_outdated,
    lexical_text,
    lexicon_for,
    publish_lexical,
    rebuild_lexical,
)
from broker.report_views import PUBLIC_VIEW, public_view, visibility
from core.errors import BadFile, BrokerError, IndexMismatch
from core.settings import Settings
from core.types import Chunk, Document, FileFailure, IngestReport
from index.dense import VectorIndex, wants_quantised
from index.embed import Embedder
from index.embed_cache import SharedVectorCache
from index.generations import (
    commit_generation,
    current_generation,
    current_lexical,
    next_path,
    remove_stale,
    vectors_path,
)
from index.lexical import LexicalDoc
from index.lexical import remove_stale as remove_stale_lexical
from index.lock import WriteLock
from index.store import KnownSource, Store
from index.writer import storage_errors
from ingest.pipeline import iter_files, read_documents

EMBED_BATCH_COMMIT = 64  # vectors are saved in small transactions so an interrupted run keeps them
DELETED_KEY = "deleted_documents"  # doc ids deleted on purpose: a later scan does not bring them back
INTERNAL_UPLOADS = "internal_uploads"  # paths an internal upload marked before the file became visible
LAST_INGEST = "last_ingest"  # meta key of the latest run's report, a plain ingest or a re-index


def passage_text(doc: Document, chunk: Chunk) -> str:
    """What the embedder sees for a chunk: its document title and section give the passage its context."""
    head = " – ".join(part for part in (doc.title, chunk.section) if part)
    return f"{head}\n{chunk.text}" if head else chunk.text


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


def _writer_lock(settings: Settings, locked: bool) -> contextlib.AbstractContextManager[object]:
    return contextlib.nullcontext() if locked else WriteLock(settings.lock_path)


def forget_documents(store: Store, doc_ids: Iterable[str], *, forget: bool = True) -> None:
    """Remember doc ids as deleted on purpose (or, with forget=False, no longer); call in a write."""
    known = set(store.get_json(DELETED_KEY) or [])
    changed = known | set(doc_ids) if forget else known - set(doc_ids)
    if changed != known:
        store.set_json(DELETED_KEY, sorted(changed))


@dataclass
class _Plan:
    """What a scan decided, before anything is written."""

    documents: list[Document] = field(default_factory=list)
    drop_sources: list[tuple[str, str]] = field(default_factory=list)
    touched: list[tuple[str, int, float]] = field(default_factory=list)
    internal_roots: list[str] = field(default_factory=list)


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
    locked: bool = False,
    internal: bool = False,
    follow_links: Sequence[Path] = (),
) -> IngestReport:
    """Ingest new and changed files under `paths`; drop known sources under `removal_roots` not seen now.

    The report is stored in the index's metadata as the last ingest (`LAST_INGEST`), and with `record_as` also
    under that key (e.g. the last re-index).
    With `internal`, the documents read are marked internal; so are those of a source registered as internal,
    and a changed file keeps its documents' mark, and so does a file an internal upload recorded before
    putting it in place (INTERNAL_UPLOADS). Links are followed only under `follow_links`, inside that root.

    Holds the data directory's write lock for the whole run (with `locked`, the caller holds it) and changes
    the database in one transaction, so readers see the old state or the new one, and an interrupted run
    leaves the old state in place. A full disk or read-only data directory is a StorageError.
    """
    started = time.perf_counter()
    with storage_errors(settings.data_dir), _writer_lock(settings, locked):
        store = Store(settings.db_path)
        try:
            with store.write():
                check_embedder(store, settings.embedder, embedder)
            report = IngestReport(failed=list(known_failures))
            with store.snapshot():
                before = visibility(store)
            plan = _scan(
                paths,
                settings,
                embedder,
                store,
                report,
                removal_roots,
                progress,
                on_file,
                internal,
                follow_links,
            )
            stage = on_stage or (lambda _: None)
            stage("scanned")
            new_docs = _dedupe_new(plan.documents, store)
            report.embed_seconds, report.chunks_embedded = _embed_missing(
                new_docs, store, embedder, stage, settings.embed_cache
            )
            _apply(plan, new_docs, store, settings, embedder, stage)
            stage("committed")
            report.documents = store.counts()["documents"]
            report.total_seconds = time.perf_counter() - started
            with store.write():
                record = {"finished": time.time(), **dataclasses.asdict(report)}
                record[PUBLIC_VIEW] = public_view(record, visibility(store) | before, store)
                store.set_json(LAST_INGEST, record)
                if record_as:
                    store.set_json(record_as, record)
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
    internal: bool = False,
    follow_links: Sequence[Path] = (),
) -> _Plan:
    plan = _Plan()
    by_path: dict[str, list[KnownSource]] = defaultdict(list)
    for known in store.known_sources().values():
        by_path[known.path].append(known)
    plan.internal_roots = [s["path"] for s in store.registered_sources() if s["internal"]]
    internal_ids = store.internal_doc_ids()
    marked = set(store.get_json(INTERNAL_UPLOADS) or [])
    deleted = set(store.get_json(DELETED_KEY) or [])
    files = list(iter_files(paths, follow_links=follow_links, skipped=report.skipped))
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
            docs = [
                d
                for d in read_documents(
                    path, settings, count_tokens=embedder.count_tokens, known=store.has_document
                )
                if d.doc_id not in deleted
            ]
            if not docs and not prior:  # a file whose document was deleted on purpose
                report.unchanged.append(key)
                continue
        except BrokerError as exc:
            code = exc.code if isinstance(exc, BadFile) else type(exc).__name__
            report.failed.append(FileFailure(key, exc.message, code))
            continue
        except OSError as exc:
            report.failed.append(FileFailure(key, f"Filen kunne ikke læses: {exc.strerror or exc}", "io"))
            continue
        (report.updated if prior else report.added).append(key)
        if (
            internal
            or key in marked
            or _under(key, plan.internal_roots)
            or any(k.doc_id in internal_ids for k in prior)
        ):
            for doc in docs:
                doc.internal = True
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
    docs: list[Document],
    store: Store,
    embedder: Embedder,
    stage: Callable[[str], None],
    shared_cache: Path | None = None,
) -> tuple[float, int]:
    """Embed chunk texts the cache does not hold yet; saved as they come so a crash loses little.

    Returns the seconds spent embedding and the number of texts new to this index (embedded now or taken
    from the shared cache, `BROKER_EMBED_CACHE`, which is filled as texts are embedded).
    """
    texts = {text_key(t): t for d in docs for t in (passage_text(d, c) for c in d.chunks)}
    cached = store.get_vectors(embedder.id, texts.keys(), embedder.dim)
    missing = [(k, t) for k, t in texts.items() if k not in cached]
    new_here = len(missing)
    shared = SharedVectorCache(shared_cache) if shared_cache and missing else None
    try:
        if shared is not None:
            found = shared.get(embedder.id, (k for k, _ in missing), embedder.dim)
            if found:
                with store.write():
                    store.put_vectors(embedder.id, found)
                missing = [(k, t) for k, t in missing if k not in found]
        seconds = _embed_batches(missing, store, embedder, stage, shared)
    finally:
        if shared is not None:
            shared.close()
    return seconds, new_here


def _embed_batches(
    missing: list[tuple[str, str]],
    store: Store,
    embedder: Embedder,
    stage: Callable[[str], None],
    shared: SharedVectorCache | None,
) -> float:
    seconds = 0.0
    for start in range(0, len(missing), EMBED_BATCH_COMMIT):
        batch = missing[start : start + EMBED_BATCH_COMMIT]
        began = time.perf_counter()
        vectors = embedder.embed_passages([t for _, t in batch])
        seconds += time.perf_counter() - began
        fresh = {k: v for (k, _), v in zip(batch, vectors, strict=True)}
        with store.write():
            store.put_vectors(embedder.id, fresh)
        if shared is not None:
            shared.put(embedder.id, fresh)
        stage("embedded-batch")
    return seconds


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
        if lexical_outdated(store, data_dir):  # another analyzer, FTS5-era or lost: rebuild it, then add
            rebuild_lexical(store, data_dir)
        added_lexical: list[LexicalDoc] = []
        if new_docs:  # the new documents' words count as known compound parts at once
            lexicon = lexicon_for(store, (lexical_text(d, c) for d in new_docs for c in d.chunks))
            for doc in new_docs:
                keys = [text_key(passage_text(doc, c)) for c in doc.chunks]
                rows = [lexicon.row(lexical_text(doc, c)) for c in doc.chunks]
                ids = store.put_document(doc, [r.values() for r in rows], keys)
                added_lexical += [lexical_doc(i, doc, r) for i, r in zip(ids, rows, strict=True)]
                added_ids += ids
                added_keys += keys
        for doc in plan.documents:
            if doc.doc_id not in new_ids:  # known content under a (new) name: one document, another source
                for source in doc.sources:
                    store.add_source(doc.doc_id, source)
        # Content already indexed from elsewhere becomes internal too: hiding is the safe side.
        store.set_internal((d.doc_id for d in plan.documents if d.internal), True)
        store.mark_internal_under(plan.internal_roots)
        removed += store.delete_orphans()
        stage("written")
        if not removed and not added_ids and current_generation(store) > 0:
            return
        vectors = None
        if added_ids:
            found = store.get_vectors(embedder.id, added_keys, embedder.dim)
            vectors = np.vstack([found[k] for k in added_keys]).astype(np.float32)
        generation = _publish(
            store, index, settings, embedder.dim, removed, added_ids, vectors, stage, added_lexical
        )
    remove_stale(data_dir, generation)
    remove_stale_lexical(data_dir, current_lexical(store))


def _publish(
    store: Store,
    index: VectorIndex,
    settings: Settings,
    dim: int,
    removed: Sequence[int],
    added_ids: Sequence[int] = (),
    vectors: np.ndarray | None = None,
    stage: Callable[[str], None] | None = None,
    added_lexical: Sequence[LexicalDoc] = (),
) -> int:
    """Apply the chunk changes to the lexical index and the vectors and publish both as new generations;
    call inside the write. Both are complete on disk before the transaction records them."""
    publish_lexical(store, settings.data_dir, removed, added_lexical)
    if stage is not None:
        stage("lexical")
    if removed:
        index.remove(np.asarray(removed, dtype=np.int64))
    if added_ids and vectors is not None:
        index.add(np.asarray(added_ids, dtype=np.int64), vectors)
    if _wrong_kind(index, settings):
        index = rebuild_vectors(store, dim, settings)
    generation, path = next_path(store, settings.data_dir)
    index.save(path)
    if stage is not None:
        stage("saved")
    commit_generation(store, generation)
    return generation


def remove_documents(
    doc_ids: Sequence[str], settings: Settings, *, locked: bool = False, forget: Iterable[str] = ()
) -> list[int]:
    """Remove documents everywhere (database, lexical index, vectors as a new generation) in one transaction.

    Doc ids in `forget` are remembered as deleted, so a later scan does not bring their files back.
    Returns the removed chunk ids.
    """
    with storage_errors(settings.data_dir), _writer_lock(settings, locked):
        store = Store(settings.db_path)
        try:
            generation = 0
            with store.write():
                dim = int(store.get_meta("embedder_dim", "0") or 0)
                index = load_current(store, settings.data_dir, dim, settings)
                removed: list[int] = []
                for doc_id in doc_ids:
                    removed += store.delete_document(doc_id)
                forget_documents(store, forget)
                if removed:
                    if lexical_outdated(store, settings.data_dir):  # rebuilt without the removed chunks
                        rebuild_lexical(store, settings.data_dir)
                    generation = _publish(store, index, settings, dim, removed)
            if generation:
                remove_stale(settings.data_dir, generation)
                remove_stale_lexical(settings.data_dir, current_lexical(store))
        finally:
            store.close()
    return removed


def _wrong_kind(index: VectorIndex, settings: Settings) -> bool:
    """The index grew past (or shrank well below) the size where the other kind is the better choice."""
    if index.kind == "ivf" and index.quantised != wants_quantised(
        len(index), settings.ann_quantise_threshold, index.quantised
    ):
        return True  # crossed the size where the vectors are kept as 16-bit floats (or well below it)
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
    return VectorIndex.build(
        ids,
        vectors,
        kind=settings.index_kind,
        ann_threshold=settings.ann_threshold,
        quantise_threshold=settings.ann_quantise_threshold,
    )
