"""Shared plain data types passed along the flow: ingest -> index -> broker -> api.

This module is a leaf: it imports nothing from the project, so every layer may use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal["heading", "paragraph", "table", "list"]

# The fixed Danish vocabulary of document types.
DOC_TYPES: tuple[str, ...] = (
    "kvalitetsstandard",
    "indsatskatalog",
    "strategi",
    "politik",
    "handleplan",
    "udviklingsplan",
    "notat",
    "rapport",
    "evaluering",
    "tilsyn",
    "dagsorden/referat",
    "andet",
)

UNKNOWN_MUNICIPALITY = "ukendt"


@dataclass(frozen=True)
class Block:
    """One structural unit of a parsed file: a heading, a paragraph, a table row group or a list."""

    text: str
    page: int = 1  # 1-based page number
    kind: BlockKind = "paragraph"
    level: int = 0  # heading level 1..6; 0 for non-headings


@dataclass
class ParsedFile:
    """What a format parser returns: blocks in reading order plus the file's own metadata."""

    blocks: list[Block]
    page_count: int = 1
    # Metadata the file itself carries: "title", "author", "created" (ISO date), "subject", "keywords".
    meta: dict[str, str] = field(default_factory=dict)
    # Page numbers (1-based) that had no text layer and could not be OCR'ed.
    pages_needing_ocr: list[int] = field(default_factory=list)
    ocr_pages: list[int] = field(default_factory=list)  # pages whose text came from OCR


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage of a document, with where it sits (pages, section path)."""

    ord: int  # position within the document, 0-based
    text: str
    page_start: int
    page_end: int
    section: str  # nearest headings joined with " > ", "" when none
    text_hash: str  # sha256 hex of the text, the embedding-cache key


@dataclass(frozen=True)
class Source:
    """Where a document came from: a file path, and for exports the record id inside it."""

    path: str  # absolute, resolved path of the file
    record_id: str | None = None
    file_hash: str = ""  # sha256 of the whole file's bytes
    size: int = 0
    mtime: float = 0.0


@dataclass
class Document:
    """A document ready to index: metadata, its chunks and its source(s)."""

    doc_id: str
    title: str
    municipality: str  # one of the 98 names, or UNKNOWN_MUNICIPALITY
    region: str | None
    doc_type: str  # one of DOC_TYPES
    year: int | None
    language: str  # ISO 639-1, e.g. "da"
    page_count: int
    content_hash: str
    sources: list[Source]
    chunks: list[Chunk]
    author: str | None = None
    created: str | None = None  # ISO date from file metadata
    committee: str | None = None  # for agenda exports
    date: str | None = None  # ISO date of the document itself when known
    internal: bool = False


@dataclass(frozen=True)
class FileFailure:
    """One file that could not be ingested, with a clear Danish reason."""

    path: str
    reason: str  # Danish, for humans
    code: str  # machine-readable: "encrypted", "corrupt", "empty", "too_large", "timeout", "needs_ocr", ...


@dataclass
class IngestReport:
    """The outcome of an ingest or re-index run."""

    added: list[str] = field(default_factory=list)  # paths
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)
    failed: list[FileFailure] = field(default_factory=list)
    documents: int = 0  # documents in the index after the run
    chunks_embedded: int = 0
    embed_seconds: float = 0.0
    total_seconds: float = 0.0
    # Passed over on purpose, with a reason: links, special files, bad .brokerignore lines (not failures).
    skipped: list[FileFailure] = field(default_factory=list)
    # Saved searches run after the index run: per watch its name, owner and numbers of new/changed documents.
    watches: list[dict[str, object]] = field(default_factory=list)


@dataclass
class SearchFilters:
    """Filters applied inside both retrievers."""

    kommuner: list[str] = field(default_factory=list)
    exclude_kommuner: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    year_from: int | None = None
    year_to: int | None = None
    languages: list[str] = field(default_factory=list)
    doc_ids: list[str] = field(default_factory=list)
    # Documents marked internal are left out unless the caller may see them (fail closed).
    include_internal: bool = False

    def is_empty(self) -> bool:
        """True when no filter narrows the documents at all (internal ones included)."""
        return self.include_internal and not (
            self.kommuner
            or self.exclude_kommuner
            or self.regions
            or self.types
            or self.year_from is not None
            or self.year_to is not None
            or self.languages
            or self.doc_ids
        )

    def memberships(self) -> list[tuple[str, list[str], bool]]:
        """(document field, allowed values, negated) for each value filter that is set: the one mapping of
        filters to fields, for every retriever that applies them (years and internal are apart)."""
        wanted = (
            ("municipality", self.kommuner, False),
            ("municipality", self.exclude_kommuner, True),
            ("region", self.regions, False),
            ("doc_type", self.types, False),
            ("language", self.languages, False),
            ("doc_id", self.doc_ids, False),
        )
        return [(name, list(values), negated) for name, values, negated in wanted if values]


@dataclass
class Hit:
    """One search result: a chunk with its document's metadata."""

    rank: int
    score: float
    doc_id: str
    chunk_id: int
    title: str
    municipality: str
    region: str | None
    doc_type: str
    year: int | None
    page: int
    section: str
    source: str
    text: str
    snippet: str
    page_end: int | None = None


@dataclass
class SearchResult:
    query: str
    mode: str
    took_ms: float
    results: list[Hit]
    # Document counts per municipality, region, doc_type and year among the close matches, each field counted
    # without its own filter (API only; see broker.search.facets).
    facets: dict[str, dict[str, int]] | None = None
    # What the question was understood to say (municipalities, regions, years, law, added words); None if nothing.
    understood: dict[str, object] | None = None
    suggestion: str | None = None  # "Mente du: …" when words of the query are unknown to the index
    # How many documents match closely under all the filters: what the facets count (API only).
    matched: int | None = None
    # Why there are no results when nothing relevant was found (Danish); None when there are results.
    no_results_reason: str | None = None


@dataclass
class Citation:
    """A numbered citation behind an answer sentence."""

    n: int
    doc_id: str
    chunk_id: int
    title: str
    municipality: str
    year: int | None
    page: int
    section: str
    quote: str
    url: str
    viewer_url: str = ""  # the document viewer at the cited page, with the quote highlighted
    paged: bool = True  # False for Word, web pages and text: they are cited by passage ("afsnit")


@dataclass
class Answer:
    question: str
    answer: str | None
    reason: str | None
    citations: list[Citation]
    by_municipality: list[dict[str, object]]
    mode: str = "extractive"
    took_ms: float = 0.0
    understood: dict[str, object] | None = None
    suggestion: str | None = None
