"""Benchmarks of ingest, query latency, the approximate index, memory, a BM25 baseline and re-indexing."""
