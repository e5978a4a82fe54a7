"""FTS5 (the previous lexical engine) against Tantivy on the same indexes, side by side in one run.

    python -m bench.lexical_engines [--sizes 100000,1000000] [--queries 100] [--work DIR] [--keep]

Chunks are built from real Greve agenda text (../shared/data/greve_dagsordener.jsonl; the stage is skipped
with a message when it is absent): each chunk is three random 40-word windows of different real paragraphs,
so every chunk is unique, analysed by the project's own Danish analysis (terms and compound parts). Vectors
are resampled from the real vectors of the demo corpus (bench/vectors.py), so hybrid search does real FAISS
work. Both engines index the same pre-analysed tokens; the queries are real agenda titles, each new to the
process (uncached query embedding). Results go to bench/results/lexical_engines.json.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import RESULTS, Timings, greve_path, log, machine, timed, write_json
from bench.fts5 import Fts5Engine, create_fts5, put_fts5
from bench.vectors import resample
from broker.lexical_sync import keep_whole
from broker.search import Engine
from core.settings import Settings
from index.dense import VectorIndex, set_threads
from index.embed import E5Embedder, clear_query_cache
from index.generations import commit_generation, commit_lexical, vectors_path
from index.lexical import LexicalDoc, lexical_path, write_generation
from index.lexicon import ANALYZER_KEY, ANALYZER_VERSION, surface_words
from index.store import LEXICAL_ENTRIES, Store
from language.analysis import word_term
from language.decompound import Decompounder
from language.registry import municipalities

WINDOW = 40
STEP = 8
BATCH = 50_000


class Paragraphs:
    """Real paragraphs as surface words, each word analysed once (term and compound-part terms)."""

    def __init__(self, path: Path, limit: int = 60_000) -> None:
        self.words: list[list[str]] = []
        titles: list[str] = []
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                record = json.loads(line)
                titles.append(record.get("title") or "")
                for para in (record.get("text") or "").split(". "):
                    words = surface_words(para)
                    if len(words) >= WINDOW:
                        self.words.append(words)
                if len(self.words) >= limit:
                    break
        self.titles = [t for t in dict.fromkeys(titles) if len(t.split()) >= 2]
        splitter = Decompounder((), keep_whole=keep_whole())
        vocab = {w for words in self.words for w in words}
        self.term = {w: word_term(w) for w in vocab}
        self.parts = {
            w: " ".join(t for t in (word_term(p) for p in splitter.pieces(w)) if t and t != self.term[w])
            for w in vocab
        }

        # Windows start at every STEP-th word (and at the last possible one), each joined once: a chunk is then
        # three string joins, cheap enough for millions of chunks.
        self.windows: list[tuple[int, str, str, str]] = []
        for p, words in enumerate(self.words):
            for start in sorted({*range(0, len(words) - WINDOW + 1, STEP), len(words) - WINDOW}):
                window = words[start : start + WINDOW]
                terms = " ".join(t for t in (self.term[w] for w in window) if t)
                parts = " ".join(x for x in (self.parts[w] for w in window) if x)
                self.windows.append((p, " ".join(window), terms, parts))

    def chunk(self, rng: np.random.Generator) -> tuple[str, str, str]:
        """(text, terms, parts) of three random windows of three different paragraphs."""
        while True:
            picks = [self.windows[int(i)] for i in rng.integers(len(self.windows), size=3)]
            if len({w[0] for w in picks}) == 3:
                break
        text, terms, parts = (" ".join(str(w[k]) for w in picks if w[k]) for k in (1, 2, 3))
        return text, terms, parts


def _rows(n: int, paras: Paragraphs) -> Iterator[tuple[int, str, str, str, str, tuple[Any, ...]]]:
    """(chunk id, doc id, text, terms, parts, document row) of n chunks, the same every call (a fixed seed), so
    SQLite and Tantivy are written in two passes without holding millions of entries in memory."""
    rng = np.random.default_rng(7)
    places = sorted(municipalities().items())
    for i in range(n):
        text, terms, parts = paras.chunk(rng)
        d = i // 3
        municipality, region = places[d % len(places)]
        doc = (f"s{d:015x}", "Dagsordenpunkt", municipality, region, "dagsorden", 2015 + d % 11, "da", 1)
        yield i + 1, doc[0], text, terms, parts, doc


def _tantivy_docs(n: int, paras: Paragraphs) -> Iterator[LexicalDoc]:
    for cid, doc_id, _text, terms, parts, doc in _rows(n, paras):
        yield LexicalDoc(cid, terms, parts, doc_id, doc[2], doc[3], "dagsorden", "da", doc[5])


def build(
    data_dir: Path,
    n: int,
    paras: Paragraphs,
    real: np.ndarray,
    embedder_id: str,
    *,
    fts5: bool = True,
    entries: bool = True,
    vectors: bool = True,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """SQLite rows (documents, chunks, lexical entries and the vocabulary per visibility, as the service keeps
    them), the FTS5 table (with `fts5`), a Tantivy generation over the same chunks, and the FAISS file the
    service would build for n vectors (flat, IVF, or IVF with 16-bit floats; see index.dense). Without `entries`
    the chunks' lexical entries (kept only to take a deleted chunk's tokens out of the vocabulary) are not
    stored; without `vectors` the FAISS file is left to the caller (see `build_vectors`)."""
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    store = Store(data_dir / "broker.sqlite3")
    store.conn.execute("PRAGMA cache_size=-262144")
    settings = settings or Settings(data_dir=data_dir)
    timing: dict[str, float] = {"sqlite_s": 0.0, "vocabulary_s": 0.0, "fts5_s": 0.0}
    rows = _rows(n, paras)
    with store.write() as conn:
        store.set_meta("embedder_spec", settings.embedder)
        store.set_meta("embedder_id", embedder_id)
        store.set_meta("embedder_dim", str(real.shape[1]))
        store.set_meta(ANALYZER_KEY, ANALYZER_VERSION)
        if fts5:
            create_fts5(store)
        if not entries:
            conn.execute(f"DROP TABLE {LEXICAL_ENTRIES}")
        for start in range(0, n, BATCH):
            docs, sources, chunks, rows_lexical = [], [], [], []
            for cid, doc_id, text, terms, parts, doc in itertools.islice(rows, min(BATCH, n - start)):
                if (cid - 1) % 3 == 0:
                    docs.append((*doc, doc_id))
                    sources.append((doc_id, f"/bench/{doc_id}.txt", "", doc_id, 1, 0.0))
                key = hashlib.sha256(f"b{cid}".encode()).hexdigest()
                chunks.append((cid, doc_id, (cid - 1) % 3, text, 1, 1, "", key))
                rows_lexical.append(
                    (cid, (terms, parts, text))
                )  # the text is its surface words, space-separated
            began = time.perf_counter()
            conn.executemany(
                "INSERT INTO documents(doc_id, title, municipality, region, doc_type, year, language, page_count, "
                "content_hash, internal, added_at) VALUES (?,?,?,?,?,?,?,?,?,0,0)",
                docs,
            )
            conn.executemany(
                "INSERT INTO sources(doc_id, path, record_id, file_hash, size, mtime) VALUES (?,?,?,?,?,?)",
                sources,
            )
            conn.executemany("INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?)", chunks)
            timing["sqlite_s"] += time.perf_counter() - began
            if fts5:
                began = time.perf_counter()
                put_fts5(store, rows_lexical)
                timing["fts5_s"] += time.perf_counter() - began
            began = time.perf_counter()
            store.put_lexical(rows_lexical)  # entries and vocabulary per visibility: both engines read them
            timing["vocabulary_s"] += time.perf_counter() - began
            if (start + BATCH) % 500_000 == 0:
                log(f"  {start + BATCH:,} chunks in SQLite, load {machine()['load_average']}")
        began = time.perf_counter()
        write_generation(data_dir, 1, add=_tantivy_docs(n, paras))
        commit_lexical(store, 1)
        timing["tantivy_s"] = time.perf_counter() - began
        log(f"  Tantivy written in {timing['tantivy_s']:.0f} s")
        index = None
        if vectors:
            began = time.perf_counter()
            index = build_vectors(vectors_path(data_dir, 1), n, real, settings)
            commit_generation(store, 1)
            timing["faiss_s"] = time.perf_counter() - began
    if fts5:
        began = time.perf_counter()
        store.conn.execute(
            "INSERT INTO chunks_fts(chunks_fts) VALUES ('optimize')"
        )  # as a long-lived index is
        timing["fts5_s"] += time.perf_counter() - began
    store.close()
    return {k: round(v, 1) for k, v in timing.items()} | (describe(index) if index is not None else {})


def build_vectors(path: Path, n: int, real: np.ndarray, settings: Settings) -> VectorIndex:
    """The FAISS file the service would build for n resampled vectors (seed 5), written to `path`."""
    began = time.perf_counter()
    set_threads(os.cpu_count())  # training and adding use every core, as a re-index from the CLI does
    vectors = resample(real, n, np.random.default_rng(5))
    index = VectorIndex.build(
        np.arange(1, n + 1, dtype=np.int64),
        vectors,
        kind="auto",
        ann_threshold=settings.ann_threshold,
        quantise_threshold=settings.ann_quantise_threshold,
    )
    del vectors
    index.save(path)
    log(f"  FAISS ({index.kind}, quantised {index.quantised}) written in {time.perf_counter() - began:.0f} s")
    return index


def describe(index: VectorIndex) -> dict[str, Any]:
    return {
        "vector_index": index.kind,
        "quantised": index.quantised,
        "nlist": int(getattr(index._index, "nlist", 0)),
        "nprobe": index.nprobe,
    }


def disk_mb(data_dir: Path) -> dict[str, float]:
    store = Store(data_dir / "broker.sqlite3")
    try:
        pages = store.conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'chunks_fts%'").fetchone()[
            0
        ]
        entries = store.conn.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name IN ('chunks_lexical', 'vocabulary') "
            "OR name LIKE 'sqlite_autoindex_chunks_lexical%'"
        ).fetchone()[0]
    except Exception:  # dbstat is not compiled into every SQLite
        pages = entries = None
    store.close()
    tantivy = sum(p.stat().st_size for p in lexical_path(data_dir, 1).iterdir() if p.is_file())
    faiss = sum(p.stat().st_size for p in data_dir.glob("vectors.*.faiss"))
    return {
        "fts5": round((pages or 0) / 1024**2, 1) if pages is not None else -1.0,
        "lexical_entries_and_vocabulary": round((entries or 0) / 1024**2, 1) if entries is not None else -1.0,
        "faiss": round(faiss / 1024**2, 1),
        "tantivy": round(tantivy / 1024**2, 1),
        "sqlite_total": round((data_dir / "broker.sqlite3").stat().st_size / 1024**2, 1),
    }


WARM_UP = 10  # searches of each mode before timing: the process's caches, not the engine, are cold at first


def latency(engine: Engine, queries: list[str], warm_up: Sequence[str] = ()) -> dict[str, Any]:
    """The first search, then the two halves of `queries` lexical and hybrid, query by query in turn (so a
    change in the machine's speed falls on both), after searching `warm_up` in both modes untimed."""
    out: dict[str, Any] = {}
    began = time.perf_counter()
    engine.search("kvalitetsstandard", k=10, mode="hybrid")
    out["first_search_ms"] = round((time.perf_counter() - began) * 1000, 1)
    for q in warm_up:
        for mode in ("lexical", "hybrid"):
            engine.search(q, k=10, mode=mode)
    clear_query_cache(engine.embedder)
    half = len(queries) // 2
    timings = {"lexical": Timings(), "hybrid": Timings()}
    for lexical, hybrid in zip(queries[:half], queries[half : 2 * half], strict=True):
        timings["lexical"].add(timed(engine.search, lexical, k=10, mode="lexical")[0])
        timings["hybrid"].add(timed(engine.search, hybrid, k=10, mode="hybrid")[0])
    out |= {mode: t.summary() for mode, t in timings.items()}
    out["warm_up"] = len(warm_up)
    retrieval = Timings()  # the lexical retriever alone: the query plan and the ranked ids, no hits built
    for q in queries[:half]:
        with engine.store.snapshot():
            retrieval.add(timed(engine.rank, q, None, mode="lexical", filters=None, depth=10)[0])
    out["lexical_retrieval_only"] = retrieval.summary()
    return out


def real_vectors(work: Path, embedder: E5Embedder) -> np.ndarray:
    """The demo corpus's real vectors (its index is built once in `work`, from the shared cache if set)."""
    demo = work / "demo"
    if not (demo / "broker.sqlite3").is_file():
        from broker.indexing import sync

        sync([Path(__file__).resolve().parents[1] / "corpus"], Settings(data_dir=demo), embedder)
    store = Store(demo / "broker.sqlite3")
    real = np.vstack(
        [np.frombuffer(b, dtype=np.float32) for (b,) in store.conn.execute("SELECT vector FROM vectors")]
    )
    store.close()
    return real


@dataclass
class Material:
    """What the Greve-built benchmarks start from: the paragraphs, the embedder, the demo corpus's real
    vectors, and the agenda titles in a seeded order (so each benchmark draws queries new to its process)."""

    paras: Paragraphs
    embedder: E5Embedder
    real: np.ndarray
    titles: list[str]


def material(work: Path, seed: int) -> Material | None:
    """The Greve material, or None when the export is absent (greve_path says so)."""
    greve = greve_path()
    if greve is None:
        return None
    paras = Paragraphs(greve)
    embedder = E5Embedder(threads=1)
    real = real_vectors(work, embedder)
    titles = [paras.titles[int(i)] for i in np.random.default_rng(seed).permutation(len(paras.titles))]
    return Material(paras, embedder, real, titles)


def run(
    work: Path,
    sizes: list[int],
    queries: int,
    *,
    serve_at: int | None = None,
    clients: int = 16,
    seconds: float = 30,
    keep: bool = False,
) -> dict[str, Any]:
    """Both engines at every size; at `serve_at` chunks also `broker serve` (HTTP, `clients` for `seconds`).
    With `keep`, each size's data directory stays in `work` (for `bench.versus`, `bench.national --serve`)."""
    found = material(work, seed=3)
    if found is None:
        return {"skipped": "greve_dagsordener.jsonl absent"}
    paras, embedder, real, titles = found.paras, found.embedder, found.real, found.titles
    result: dict[str, Any] = {"machine_start": machine(), "paragraphs": len(paras.words), "runs": []}
    for n in sizes:
        data = work / f"lexical-{n}"
        log(f"lexical engines: building {n:,} chunks, load {machine()['load_average']}")
        from bench.national import finish_vectors, start_vectors

        began = time.perf_counter()
        vectors = start_vectors(work, n, real, embedder.embed_queries(titles[-200:]))
        built = build(data, n, paras, real, embedder.id, vectors=False)
        built["vectors"] = finish_vectors(work, n, data, vectors)
        built["faiss_s_in_parallel"] = round(time.perf_counter() - began, 1)
        run_out: dict[str, Any] = {"chunks": n, "build": built, "disk_mb": disk_mb(data)}
        for name, cls in (("tantivy", Engine), ("fts5", Fts5Engine)):
            used = titles[: queries if name == "tantivy" or n < 1_000_000 else min(queries, 60)]
            titles = titles[len(used) :] + titles[: len(used)]  # every engine gets queries new to it
            log(f"lexical engines: {name} at {n:,} ({len(used)} queries), load {machine()['load_average']}")
            engine = cls(Settings(data_dir=data), embedder=embedder)
            try:
                warm_up = titles[-200 - WARM_UP : -200]  # never timed; the last 200 are the vector queries
                run_out[name] = {"load_average_start": machine()["load_average"]} | latency(
                    engine, used, warm_up
                )
                run_out[name]["load_average_end"] = machine()["load_average"]
            finally:
                engine.close()
        if n == serve_at:
            from bench.national import serving

            half = queries // 2
            used, titles = titles[: 4 * queries], titles[4 * queries :] + titles[: 4 * queries]
            log(f"lexical engines: broker serve at {n:,}, load {machine()['load_average']}")
            run_out["http"] = serving(
                data,
                {"lexical": used[:half], "hybrid": used[half:queries]},
                used[2 * queries :],
                clients=clients,
                seconds=seconds,
                pair_with=embedder,
                paired_queries={
                    "lexical": used[queries : queries + half],
                    "hybrid": used[queries + half : 2 * queries],
                },
            )
        run_out["load_average_end"] = machine()["load_average"]
        result["runs"].append(run_out)
        if not keep:
            shutil.rmtree(data)
        log(json.dumps(run_out))
    result["machine_end"] = machine()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument(
        "--serve-at", type=int, default=1_000_000, help="also measure broker serve at this size"
    )
    parser.add_argument("--work", type=Path, default=RESULTS / "tmp")
    parser.add_argument("--keep", action="store_true", help="keep each size's data directory in --work")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    result = run(args.work, sizes, args.queries, serve_at=args.serve_at, keep=args.keep)
    write_json("lexical_engines", result, RESULTS)


if __name__ == "__main__":
    main()
