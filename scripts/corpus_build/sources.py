"""The corpus sources: each document's header and Markdown-like body read into blocks, checked on the way.

Every document has one source file ``corpus-src/docs/*.md``: a small header block (``key: value`` lines up
to a line ``---``) and a Markdown-like body. The header says which file to write and in which format
(pdf, docx, html, txt, md) and carries the metadata that also goes into ``corpus/manifest.json``.

Body syntax (one construct per line or paragraph, paragraphs separated by blank lines):

    # Title                      the document's title (PDF title block, DOCX "Title", HTML <h1>)
    ## 1. Formål                 section heading (DOCX "Heading 1", HTML <h2>, PDF outline level 0)
    ### 1.1 Underafsnit          sub-section heading (DOCX "Heading 2", HTML <h3>)
    - punkt                      bullet list item
    | a | b |                    table row; the first row is the header, |---| rows are ignored
    [[toc]]                      PDF only: table of contents with dot leaders here
    [[pagebreak]]                PDF only: start a new page
    [[scan]] ... [[/scan]]       PDF only: the enclosed blocks become an image-only (scanned) page

Header keys: file, format, municipality, doc_type, year, date (ISO), title, author, and optionally
header (running header text for PDF pages), logo (first-page sender line), scanned (``all`` for a fully
scanned PDF), pdf_title (metadata title, when it should differ from the title), encoding (txt only),
newline (``crlf``), breadcrumb and updated (HTML), subject, keywords.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from core.types import DOC_TYPES as _DOC_TYPES

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "corpus-src"
OUT = ROOT / "corpus"
KOMMUNER_CSV = ROOT / "language" / "data" / "kommuner.csv"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_REGULAR = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"
FONT_ITALIC = FONT_DIR / "DejaVuSans-Oblique.ttf"

DOC_TYPES = set(_DOC_TYPES)  # the index's fixed vocabulary
FORMATS = {"pdf", "docx", "html", "txt", "md"}
NOTE_PREFIX = "Illustrativt eksempel"


@dataclass
class Blk:
    kind: str  # title, h2, h3, p, ul, table, toc, pagebreak, scan
    text: str = ""
    items: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    children: list[Blk] = field(default_factory=list)


@dataclass
class Source:
    path: Path
    meta: dict[str, str]
    body: str
    blocks: list[Blk]

    @property
    def file(self) -> str:
        return self.meta["file"]

    @property
    def fmt(self) -> str:
        return self.meta["format"]

    @property
    def date(self) -> dt.date:
        return dt.date.fromisoformat(self.meta["date"])


def split_header(text: str, path: Path) -> tuple[dict[str, str], str]:
    meta: dict[str, str] = {}
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.strip() == "---":
            return meta, "\n".join(lines[i + 1 :])
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise SystemExit(f"{path}: header line without ':': {line!r}")
        meta[key.strip()] = value.strip()
    raise SystemExit(f"{path}: no '---' line ending the header")


def strip_inline(text: str) -> str:
    """Drop Markdown emphasis (used in the .md outputs only) for the other formats."""
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    return re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", text)


def parse_table_row(line: str) -> list[str]:
    return [strip_inline(c.strip()) for c in line.strip().strip("|").split("|")]


def parse_blocks(body: str) -> list[Blk]:
    blocks: list[Blk] = []
    stack: list[list[Blk]] = [blocks]
    para: list[str] = []

    def flush() -> None:
        if para:
            stack[-1].append(Blk("p", " ".join(s.strip() for s in para)))
            para.clear()

    for raw in body.split("\n"):
        line = raw.rstrip()
        s = line.strip()
        if s.startswith("> "):
            s = s[2:].strip()
        if not s.startswith("|"):
            s = strip_inline(s)
        cur = stack[-1]
        if not s:
            flush()
        elif s == "[[scan]]":
            flush()
            scan = Blk("scan")
            cur.append(scan)
            stack.append(scan.children)
        elif s == "[[/scan]]":
            flush()
            stack.pop()
        elif s in ("[[toc]]", "[[pagebreak]]"):
            flush()
            cur.append(Blk(s[2:-2]))
        elif s.startswith("### "):
            flush()
            cur.append(Blk("h3", s[4:].strip()))
        elif s.startswith("## "):
            flush()
            cur.append(Blk("h2", s[3:].strip()))
        elif s.startswith("# "):
            flush()
            cur.append(Blk("title", s[2:].strip()))
        elif s.startswith("- "):
            flush()
            if cur and cur[-1].kind == "ul":
                cur[-1].items.append(s[2:].strip())
            else:
                cur.append(Blk("ul", items=[s[2:].strip()]))
        elif s.startswith("|"):
            flush()
            if re.fullmatch(r"\|[\s:|-]+\|?", s):
                continue
            if cur and cur[-1].kind == "table":
                cur[-1].rows.append(parse_table_row(s))
            else:
                cur.append(Blk("table", rows=[parse_table_row(s)]))
        else:
            para.append(s)
    flush()
    return blocks


REQUIRED = ("file", "format", "municipality", "doc_type", "year", "date", "title", "author")


def load_sources() -> list[Source]:
    sources = []
    for path in sorted((SRC / "docs").glob("*.md")):
        meta, body = split_header(path.read_text(encoding="utf-8"), path)
        missing = [k for k in REQUIRED if k not in meta]
        if missing:
            raise SystemExit(f"{path}: missing header keys {missing}")
        if meta["format"] not in FORMATS:
            raise SystemExit(f"{path}: unknown format {meta['format']}")
        if meta["doc_type"] not in DOC_TYPES:
            raise SystemExit(f"{path}: unknown doc_type {meta['doc_type']}")
        if not meta["file"].endswith("." + meta["format"]):
            raise SystemExit(f"{path}: file name does not match format")
        if int(meta["year"]) != dt.date.fromisoformat(meta["date"]).year:
            raise SystemExit(f"{path}: year and date disagree")
        sources.append(Source(path, meta, body.strip("\n") + "\n", parse_blocks(body)))
    return sources


def plain_blocks(blocks: list[Blk]) -> list[Blk]:
    """Blocks with scan wrappers dissolved (for formats where a scan means nothing)."""
    out: list[Blk] = []
    for b in blocks:
        if b.kind == "scan":
            out.extend(plain_blocks(b.children))
        elif b.kind not in ("toc", "pagebreak"):
            out.append(b)
    return out


def fixed_datetime(d: dt.date) -> dt.datetime:
    """The document's own date as its files' timestamp, so a rebuild gives the same bytes."""
    return dt.datetime(d.year, d.month, d.day, 10, 0, 0, tzinfo=dt.UTC)
