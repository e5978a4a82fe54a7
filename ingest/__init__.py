"""Ingestion: turn files and exports into Documents ready to index (pure functions over bytes and text)."""
