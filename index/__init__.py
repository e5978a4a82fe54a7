"""Storage and retrieval: Danish analysis, the SQLite store, FTS5 queries, embedders and the FAISS index."""
