"""Ingest throughput: the whole pipeline next to the embedder alone on the very same chunk texts."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from bench.common import CORPUS, greve_path, load_average, log
from bench.vectors import CountingEmbedder
from broker.indexing import sync
from core.settings import Settings
from core.types import Chunk, Document
from index.embed import Embedder
from index.passages import EMBED_BATCH_COMMIT, passage_text, text_key
from index.store import Store
from ingest.pipeline import iter_files


def greve_slice(work: Path, records: int) -> Path | None:
    """The first `records` lines of the Greve export, written to the work folder (never the repository)."""
    source = greve_path()
    if source is None:
        return None
    folder = work / "greve-slice"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"greve_{records}.jsonl"
    with source.open(encoding="utf-8") as fh:
        lines = [line for _, line in zip(range(records), fh, strict=False)]
    target.write_text("".join(lines), encoding="utf-8")
    return target


def corpus_subset(work: Path, files: int) -> Path:
    """The first `files` demo corpus documents (plus the export folder when all are taken), for quick runs."""
    chosen = [p for p in iter_files([CORPUS]) if p.suffix != ".json" and p.name != "queries.jsonl"]
    folder = work / f"corpus-{files}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for path in chosen[:files]:
        target = folder / path.relative_to(CORPUS)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    return folder


def passage_texts(data_dir: Path) -> tuple[list[str], int]:
    """The texts the embedder saw for every chunk in an index, rebuilt from the database, and its pages."""
    store = Store(data_dir / "broker.sqlite3", create=False)
    try:
        rows = store.conn.execute(
            "SELECT d.title, c.section, c.text, c.text_hash FROM chunks c JOIN documents d "
            "ON d.doc_id = c.doc_id ORDER BY c.id"
        ).fetchall()
        pages = store.conn.execute("SELECT coalesce(sum(page_count), 0) FROM documents").fetchone()[0]
    finally:
        store.close()
    texts: dict[str, str] = {}
    for title, section, text, key in rows:
        doc = Document("", title, "", None, "", None, "", 0, "", [], [])
        passage = passage_text(doc, Chunk(0, text, 1, 1, section, key))
        if text_key(passage) != key:
            raise RuntimeError("chunk text and its vector key disagree")
        texts[key] = passage
    return list(texts.values()), int(pages)


def embed_alone(embedder: Embedder, texts: list[str]) -> float:
    """Seconds the embedder alone takes for the texts, in the batches ingest uses."""
    started = time.perf_counter()
    for start in range(0, len(texts), EMBED_BATCH_COMMIT):
        embedder.embed_passages(texts[start : start + EMBED_BATCH_COMMIT])
    return time.perf_counter() - started


def measure(name: str, paths: list[Path], data_dir: Path, embedder: Embedder) -> dict[str, Any]:
    """Ingest `paths` into a fresh data directory, then embed the same chunk texts with the embedder alone."""
    if data_dir.exists():
        shutil.rmtree(data_dir)
    counting = CountingEmbedder(embedder)
    stages: dict[str, float] = {}
    started = time.perf_counter()

    def stage(label: str) -> None:
        stages.setdefault(label, time.perf_counter() - started)

    load_before = load_average()[0]
    log(f"ingest {name}: the whole pipeline")
    report = sync(paths, Settings(data_dir=data_dir), counting, on_stage=stage)
    total = time.perf_counter() - started
    texts, pages = passage_texts(data_dir)
    log(f"ingest {name}: the embedder alone on the same {len(texts)} chunk texts")
    alone = embed_alone(embedder, texts)
    scanned = stages.get("scanned", 0.0)
    return {
        "name": name,
        "documents": report.documents,
        "files_failed": len(report.failed),
        "pages": pages,
        "chunks": len(texts),
        "chunks_embedded": report.chunks_embedded,
        "total_s": round(total, 2),
        "embed_in_pipeline_s": round(counting.embed_s, 2),
        "embed_alone_s": round(alone, 2),
        "scan_s": round(scanned, 2),
        "count_tokens_calls": counting.token_calls,
        "count_tokens_s": round(counting.token_s, 2),
        "after_embedding_s": round(total - stages.get("scanned", total) - counting.embed_s, 2),
        "chunks_per_s": round(len(texts) / total, 2),
        "pages_per_s": round(pages / total, 2),
        "embed_alone_chunks_per_s": round(len(texts) / alone, 2) if alone else 0.0,
        "overhead_pct": round(100 * (total - alone) / total, 1),
        "load_average_start_end": [round(load_before, 2), round(load_average()[0], 2)],
    }


def run(work: Path, embedder: Embedder, *, quick: bool) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    corpus = corpus_subset(work, 12) if quick else CORPUS
    results.append(
        measure("demo corpus" + (" (12 files)" if quick else ""), [corpus], work / "ingest-corpus", embedder)
    )
    records = 40 if quick else 300
    sliced = greve_slice(work, records)
    if sliced is not None:
        results.append(measure(f"Greve, first {records} records", [sliced], work / "ingest-greve", embedder))
    return {"runs": results}
