"""One settings object, built from the environment (BROKER_*) and CLI flags, passed explicitly.

Every field has a Danish description: `broker settings` lists them, and docs/settings.md must name each one
(tests/architecture/test_settings_documented.py checks both).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything configurable. Environment variables use the prefix BROKER_ (e.g. BROKER_DATA)."""

    model_config = SettingsConfigDict(env_prefix="BROKER_", extra="ignore")

    data_dir: Path = Field(
        default=Path("data"),
        validation_alias=AliasChoices("BROKER_DATA", "data_dir"),
        description="Datamappen med indekset (SQLite, vektorer, uploads). Miljøvariablen hedder BROKER_DATA.",
    )
    embedder: str = Field(
        default="e5-small",
        description="Modellen til betydningssøgning: 'e5-small' (følger med) eller "
        "'sentence-transformers:<navn eller sti>'.",
    )
    embed_batch: int = Field(default=16, description="Tekststykker pr. kald til modellen.")
    threads: int | None = Field(
        default=None, description="CPU-tråde til modellen og FAISS; tom: alle kerner."
    )
    # Shared between data directories so a test run or a rebuild does not embed the same texts again.
    embed_cache: Path | None = Field(
        default=None,
        description="En SQLite-fil med vektorer, der deles mellem flere datamapper: tekster, der allerede er "
        "indlejret med samme model, indlejres ikke igen. Tom: slået fra.",
    )

    # Ingestion limits: bad input gets a clear error, never a stuck batch.
    max_file_mb: float = Field(default=200.0, description="Største fil, der indlæses (MB).")
    parse_timeout_s: float = Field(
        default=120.0, description="Tidsgrænse for at læse, rense og opdele én fil (sekunder)."
    )
    ocr: bool = Field(
        default=True,
        description="Tekstgenkendelse (OCR) af scannede PDF-sider, når Tesseract med dansk findes.",
    )

    # Chunking: split on structure, target ~150-300 words, hard token bound for the model's window.
    chunk_target_words: int = Field(default=220, description="Tilstræbt antal ord pr. tekststykke.")
    chunk_max_words: int = Field(default=300, description="Højst antal ord pr. tekststykke.")
    chunk_overlap_words: int = Field(default=30, description="Ord, som to naboer i samme afsnit deler.")
    chunk_max_tokens: int = Field(default=480, description="Højst antal model-tokens pr. tekststykke.")
    # 2,000 chunks are about 440,000 words, some 1,000 pages, and take long to embed: it bounds the work a
    # single huge text can cause; chunking runs inside the parse time limit too.
    max_chunks_per_document: int = Field(
        default=2000,
        description="Et dokument med flere tekststykker afvises (koden too_many_chunks; i en eksport kun den post).",
    )

    # Dense index: exact search up to ann_threshold vectors, then an approximate index.
    index_kind: Literal["auto", "flat", "ivf", "hnsw"] = Field(
        default="auto", description="Vektorindeksets art: auto, flat (præcis), ivf eller hnsw (tilnærmet)."
    )
    # where exact search passes 10 ms a query here (docs/benchmarks.md)
    ann_threshold: int = Field(
        default=160_000, description="Med auto: antal vektorer, hvor indekset skifter fra præcis til ivf."
    )
    # 3M float32 vectors take 4.6 GB; 16-bit floats half of that at the same recall@10 (docs/benchmarks.md)
    ann_quantise_threshold: int = Field(
        default=2_000_000,
        description="Antal vektorer, fra hvilket et ivf-indeks gemmer dem som 16-bit kommatal "
        "(halvdelen af hukommelsen); 0 slår fra.",
    )

    # Hybrid fusion: reciprocal rank fusion.
    rrf_k: int = Field(default=60, description="Konstanten k i reciprocal rank fusion.")
    weight_lexical: float = Field(default=1.0, description="Vægten af ordsøgningen i hybrid søgning.")
    weight_dense: float = Field(default=1.0, description="Vægten af betydningssøgningen i hybrid søgning.")
    fusion: Literal["rrf", "convex"] = Field(
        default="rrf",
        description="Hybrid sammenvejning: rrf (reciprocal rank fusion) eller convex (normaliserede scorer, vægtet).",
    )
    convex_dense_weight: float = Field(
        default=0.6, description="Med convex: betydningssøgningens vægt (ordsøgningens er 1 minus den)."
    )
    candidates: int = Field(default=100, description="Kandidater fra hver søgemåde før sammenvejningen.")
    # e5 scores sit in 0.75-0.95, so a small margin separates the close candidates from the rest.
    facet_dense_margin: float = Field(
        default=0.04,
        description="Facetter tæller betydningskandidater inden for denne afstand af den bedste.",
    )
    facet_lexical_share: float = Field(
        default=0.4,
        description="… og ordkandidater med mindst denne andel af den bedste BM25-score.",
    )

    # Language features of the lexical search (see README, "Sprog").
    understand: Literal["boost", "filter", "off"] = Field(
        default="boost",
        description="Kommune, region og tid nævnt i en søgning: boost (løfter matchende dokumenter), "
        "filter eller off.",
    )
    weight_understood: float = Field(default=1.0, description="RRF-vægten af boost-rangeringen.")
    weight_parts: float = Field(
        default=0.5, description="BM25-vægten af dokumenternes orddele mod hele ord (1,0); 0 slår fra."
    )
    weight_query_parts: float = Field(
        default=0.5, description="Vægten af søgeordenes egne orddele mod ordene selv (1,0); 0 slår fra."
    )
    weight_thesaurus: float = Field(
        default=0.5, description="Vægten af ord fra fagordbogen mod søgningens egne ord (1,0); 0 slår fra."
    )
    fuzzy: bool = Field(
        default=True, description="Tilføj indekserede ord én redigering fra et ukendt søgeord."
    )
    weight_fuzzy: float = Field(default=1.0, description="Vægten af de tilføjede nærliggende ord.")

    # Calibrated on the demo corpus (tests/corpus/test_nothing_relevant.py): every judged query has indexed
    # words in common with some document; of 30 off-topic and nonsense queries, those without such words reach
    # 0.768-0.840 in meaning, while judged queries reach 0.81-0.97.
    # A re-index runs in another process; the service notices its new generation by looking (docs/benchmarks.md)
    preload_interval_s: float = Field(
        default=2.0,
        description="Sekunder mellem tjenestens tjek for et nyt indeks efter en genindeksering; det indlæses "
        "da, før den første søgning spørger. 0 slår fra (så indlæser den første søgning).",
    )
    relevance_floor: float = Field(
        default=0.845,
        description="Har ingen dokumenter søgningens ord, vises kun resultater, hvis betydningssøgningens "
        "bedste når denne lighed; ellers svarer søgningen »intet relevant«.",
    )

    # Set on the demo corpus when it was a sentence's similarity; kept unchanged for the passage's similarity
    # (stored vector): the judged questions of corpus/answers.jsonl reach 0.883-0.98, the held-out off-topic
    # ones (recipes, football, car tyres) at most 0.851.
    answer_min_relevance: float = Field(
        default=0.875,
        description="Et spørgsmål får kun et svar, når en fundet sætning når denne relevans "
        "(tekststykkets lighed med spørgsmålet + 0,05 × andel af spørgsmålets ord i sætningen).",
    )

    # Optional generative answering through an OpenAI-compatible chat endpoint (off unless llm_url is set).
    llm_url: str | None = Field(
        default=None,
        description="Et OpenAI-kompatibelt chat-endpoint til genererede svar; tom: udtrukne svar.",
    )
    llm_model: str | None = Field(default=None, description="Modelnavnet hos endpointet.")
    llm_key: str | None = Field(default=None, description="Nøglen til endpointet.")
    llm_timeout_s: float = Field(default=20.0, description="Tidsgrænse for et genereret svar (sekunder).")

    # Keys are configured only as SHA-256 hex digests (`broker keys hash`), several comma-separated.
    admin_key_sha256: str | None = Field(
        default=None, description="SHA-256 af administratornøgler (kommasepareret): upload, sletning, kilder."
    )
    reader_key_sha256: str | None = Field(
        default=None, description="SHA-256 af læsernøgler; når en er sat, kræver al læsning en nøgle."
    )
    internal_key_sha256: str | None = Field(
        default=None, description="SHA-256 af nøgler, der også ser dokumenter markeret som interne."
    )
    keys_file: Path | None = Field(
        default=None,
        description="Nøglefil: JSON Lines, en JSON-liste eller TOML med {name, role, sha256} pr. nøgle.",
    )

    # Uploads through the API, and the size of any other request body.
    upload_max_mb: float = Field(default=50.0, description="Største uploadede fil (MB).")
    upload_max_files: int = Field(default=20, description="Flest filer pr. upload.")
    upload_parse_timeout_s: float = Field(
        default=60.0, description="Tidsgrænse for at læse en uploadet fil (sekunder)."
    )
    max_request_kb: int = Field(default=256, description="Største krop for alle andre forespørgsler (kB).")

    # `broker serve` under many idle or half-sent connections (slow-loris). Keep the cap well under the
    # open-file limit (1,024 by default; the systemd unit raises it).
    http_header_timeout_s: float = Field(
        default=10.0,
        description="En forbindelse skal sende sin forespørgsels hoved inden for denne tid (sekunder).",
    )
    http_keep_alive_s: int = Field(
        default=5, description="Ledig tid mellem to forespørgsler på samme forbindelse (sekunder)."
    )
    http_max_connections: int = Field(
        default=500,
        description="Flest åbne forbindelser; ved grænsen lukkes den ældste, der stadig venter (ellers 503).",
    )

    # Web sources (`broker sources add URL --web`): a polite, incremental harvest (see README, "Websider").
    web_contact: str | None = Field(
        default=None,
        description="En e-mail- eller webadresse i User-Agent, så webstedets folk kan kontakte os.",
    )
    web_delay_s: float = Field(
        default=1.0,
        description="Mindst så lang tid mellem to hentninger fra samme vært (længere, hvis robots.txt beder om det).",
    )
    web_max_crawl_delay_s: float = Field(
        default=60.0, description="En Crawl-delay i robots.txt følges op til så mange sekunder."
    )
    web_timeout_s: float = Field(
        default=20.0, description="Tidsgrænse for at forbinde og mellem to dele af et svar (sekunder)."
    )
    web_response_timeout_s: float = Field(
        default=120.0, description="Tidsgrænse for et helt svar (sekunder)."
    )
    web_max_mb: float = Field(
        default=50.0, description="Største svar (MB); en større fil rapporteres og gemmes ikke."
    )
    web_max_pages: int = Field(default=500, description="Hentninger pr. webkilde og kørsel (--max-pages).")
    web_max_depth: int = Field(default=5, description="Klik fra startsiden (--max-depth).")
    web_max_sitemaps: int = Field(default=20, description="Sitemaps (og sitemap-indekser) læst pr. kørsel.")
    web_proxy: str | None = Field(
        default=None, description="En HTTP(S)-proxy til høstningen; miljøets proxyer bruges ikke."
    )

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

    @property
    def web_dir(self) -> Path:
        """Stored copies of harvested web pages and files, one folder per web source."""
        return self.data_dir / "web"


def env_name(field: str) -> str:
    """The environment variable of a setting (BROKER_DATA for data_dir, BROKER_<FIELD> otherwise)."""
    alias = Settings.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"BROKER_{field.upper()}"


def described() -> list[tuple[str, str, str, str]]:
    """(field, environment variable, default, description) for every setting, in the order above."""
    rows = []
    for name, info in Settings.model_fields.items():
        default = "" if info.default is None else str(info.default)
        rows.append((name, env_name(name), default, info.description or ""))
    return rows
