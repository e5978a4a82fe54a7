"""What a user would pick instead: BM25 as an Elasticsearch `danish` analyzer builds it, with bm25s.

Snowball Danish stemmer, the Snowball Danish stopwords (language/data/stopwords_da_snowball.txt), lower-casing,
no æøå folding, over the same chunks and the same judged queries; quality with broker/evaluate.py's metrics
over distinct documents, next to our three modes.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import Stemmer

from bench.common import QUERIES, REPO, Timings
from broker.evaluate import evaluate, judge, load_queries, ndcg
from broker.search import Engine
from core.settings import Settings
from core.types import Source
from index.embed import Embedder

K = 10
STOPWORDS = REPO / "language" / "data" / "stopwords_da_snowball.txt"


def _stopwords() -> list[str]:
    lines = STOPWORDS.read_text(encoding="utf-8").splitlines()
    return [w.strip().lower() for w in lines if w.strip() and not w.startswith("#")]


def run(data_dir: Path, embedder: Embedder, queries_path: Path = QUERIES) -> dict[str, Any]:
    settings = Settings(data_dir=data_dir)
    engine = Engine(settings, embedder=embedder)
    try:
        queries = load_queries(queries_path)
        store = engine.store
        rows = store.conn.execute(
            "SELECT c.id, c.doc_id, d.title, d.municipality, c.section, c.text FROM chunks c "
            "JOIN documents d ON d.doc_id = c.doc_id ORDER BY c.id"
        ).fetchall()
        chunk_ids = np.array([r[0] for r in rows], dtype=np.int64)
        doc_of = [r[1] for r in rows]
        texts = [" ".join(part or "" for part in r[2:]) for r in rows]  # the fields our lexical index sees
        stemmer = Stemmer.Stemmer("danish")
        stopwords = _stopwords()
        started = time.perf_counter()
        tokens = bm25s.tokenize(texts, lower=True, stopwords=stopwords, stemmer=stemmer, show_progress=False)
        retriever = bm25s.BM25(k1=1.2, b=0.75)  # Lucene's BM25 with Elasticsearch's defaults
        retriever.index(tokens, show_progress=False)
        index_s = time.perf_counter() - started
        sources: dict[str, list[Source]] = {}
        ndcgs, recalls, rrs = [], [], []
        timings = Timings()
        for judged in queries:
            allowed = None
            if not judged.filters.is_empty():
                allowed = set(store.chunk_ids(engine.scope(judged.filters)).tolist())
            started = time.perf_counter()
            q_tokens = bm25s.tokenize(
                [judged.query], lower=True, stopwords=stopwords, stemmer=stemmer, show_progress=False
            )
            found, scores = retriever.retrieve(q_tokens, k=len(texts), show_progress=False)
            docs: list[str] = []
            for position, score in zip(found[0], scores[0], strict=True):
                if score <= 0:
                    break
                if allowed is not None and int(chunk_ids[position]) not in allowed:
                    continue
                doc = doc_of[position]
                if doc not in docs:
                    docs.append(doc)
                    if len(docs) == K:
                        break
            timings.add((time.perf_counter() - started) * 1000)
            used: set[str] = set()
            gains = []
            for doc in docs:
                if doc not in sources:
                    sources[doc] = store.sources_of(doc)
                gains.append(judge(sources[doc], judged.relevant, used))
            wanted = [e for e, g in judged.relevant.items() if g > 0]
            first = next((i for i, g in enumerate(gains) if g > 0), None)
            ndcgs.append(ndcg(gains, judged.relevant, K))
            recalls.append(len(used) / len(wanted) if wanted else 0.0)
            rrs.append(1.0 / (first + 1) if first is not None else 0.0)
        n = len(queries)
        summary = timings.summary()
        baseline = {
            f"ndcg@{K}": round(sum(ndcgs) / n, 4),
            f"recall@{K}": round(sum(recalls) / n, 4),
            f"mrr@{K}": round(sum(rrs) / n, 4),
            "p50_ms": summary["p50_ms"],
            "p95_ms": summary["p95_ms"],
            "index_s": round(index_s, 2),
        }
        ours = evaluate(engine, queries, k=K)
        modes = {mode: {k: v for k, v in m.items() if k != "per_query"} for mode, m in ours["modes"].items()}
        return {"queries": n, "chunks": len(texts), "bm25s_danish": baseline, **modes}
    finally:
        engine.close()
