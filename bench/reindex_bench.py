"""Re-index times on the Greve export (5,549 agenda items): unchanged, and with 1 % of the items changed.

The baseline index is built by the real pipeline (parsing, chunking with the model's token counts, SQLite,
FTS5, FAISS) with vectors replayed instead of embedded: real vectors for the items the ingest benchmark
embedded, vectors resampled from those for the rest. The re-index runs then use the real model, so every
passage they embed is really embedded, and counted.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

from bench.common import greve_path, log
from bench.vectors import CountingEmbedder, ReplayEmbedder, stored_vectors
from broker.reindex import add_source, reindex
from core.settings import Settings
from index.embed import Embedder
from index.store import Store

CHANGED_EVERY = 100  # 1 %: every hundredth item gets a new sentence


def _timed_reindex(settings: Settings, embedder: Embedder) -> dict[str, Any]:
    stages: dict[str, float] = {}
    started = time.perf_counter()

    def stage(label: str) -> None:
        stages[label] = round(time.perf_counter() - started, 2)

    report = reindex(settings, embedder, on_stage=stage)
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "stages_s": stages,
        "added": len(report.added),
        "updated": len(report.updated),
        "unchanged": len(report.unchanged),
        "failed": len(report.failed),
        "documents": report.documents,
        "chunks_embedded": report.chunks_embedded,
    }


def _text_hashes(settings: Settings) -> set[str]:
    store = Store(settings.db_path, create=False)
    try:
        return {r[0] for r in store.conn.execute("SELECT text_hash FROM chunks")}
    finally:
        store.close()


def run(work: Path, embedder: Embedder, *, quick: bool, real_vectors_from: list[Path]) -> dict[str, Any]:
    source = greve_path()
    if source is None:
        return {"skipped": "the Greve export (../shared/data/greve_dagsordener.jsonl) is absent"}
    folder = work / "reindex"
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "src").mkdir(parents=True)
    export = folder / "src" / "greve_dagsordener.jsonl"
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    if quick:
        lines = lines[:300]
    export.write_text("".join(lines), encoding="utf-8")
    settings = Settings(data_dir=folder / "data")
    add_source(settings, export, name="greve")
    out: dict[str, Any] = {"items": len(lines)}

    log(f"re-index: baseline index of {len(lines)} items (vectors replayed, not embedded)")
    replay = ReplayEmbedder(embedder, stored_vectors(real_vectors_from))
    out["baseline"] = _timed_reindex(settings, replay)
    out["baseline"]["vectors_real"] = replay.replayed
    out["baseline"]["vectors_resampled"] = replay.resampled

    log("re-index: nothing changed")
    counting = CountingEmbedder(embedder)
    out["unchanged"] = _timed_reindex(settings, counting)
    out["unchanged"]["passages_embedded"] = counting.passages

    before = _text_hashes(settings)
    changed = 0
    for i in range(0, len(lines), CHANGED_EVERY):
        item = json.loads(lines[i])
        item["text"] = (item.get("text") or "") + f" Sagen er genoptaget og behandlet igen (ændring {i})."
        lines[i] = json.dumps(item, ensure_ascii=False) + "\n"
        changed += 1
    export.write_text("".join(lines), encoding="utf-8")
    log(f"re-index: {changed} of {len(lines)} items changed")
    counting = CountingEmbedder(embedder)
    out["changed_1pct"] = _timed_reindex(settings, counting)
    out["changed_1pct"]["items_changed"] = changed
    out["changed_1pct"]["passages_embedded"] = counting.passages
    out["changed_1pct"]["embed_s"] = round(counting.embed_s, 2)
    out["changed_1pct"]["count_tokens_s"] = round(counting.token_s, 2)
    out["changed_1pct"]["new_chunk_texts"] = len(_text_hashes(settings) - before)
    return out
