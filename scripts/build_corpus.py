#!/usr/bin/env python3
"""Build the demo corpus in ``corpus/`` from the readable sources in ``corpus-src/``.

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

The agenda export is built from ``corpus-src/eksport/*.txt`` (records separated by ``===`` lines) and the
judged queries are copied from ``corpus-src/queries.jsonl`` after checking every key exists.

The output is deterministic: fixed dates in all metadata, fixed ZIP timestamps in DOCX files and seeded
noise in the scanned images, so two runs give byte-identical files.

    python scripts/build_corpus.py            # writes corpus/
    python scripts/build_corpus.py --check    # builds in a temporary folder and compares with corpus/
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import filecmp
import html
import io
import json
import random
import re
import shutil
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from core.types import DOC_TYPES as _DOC_TYPES

ROOT = Path(__file__).resolve().parent.parent
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


# --------------------------------------------------------------------------------------------------
# Source parsing


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


# --------------------------------------------------------------------------------------------------
# PDF


def _fixed_datetime(d: dt.date) -> dt.datetime:
    return dt.datetime(d.year, d.month, d.day, 10, 0, 0, tzinfo=dt.UTC)


class ScanRenderer:
    """Renders blocks as A4 page images (about 200 dpi) that look like a scanned print-out."""

    W, H = 1654, 2339
    MARGIN = 150

    def __init__(self, seed: str) -> None:
        from PIL import ImageFont

        self.rng = random.Random(seed)
        self.font = ImageFont.truetype(str(FONT_REGULAR), 36)
        self.font_small = ImageFont.truetype(str(FONT_REGULAR), 30)
        self.font_h1 = ImageFont.truetype(str(FONT_BOLD), 46)
        self.font_h2 = ImageFont.truetype(str(FONT_BOLD), 39)
        self.pages: list = []
        self._new_page()

    def _new_page(self) -> None:
        from PIL import Image, ImageDraw

        self.img = Image.new("L", (self.W, self.H), 250)
        self.draw = ImageDraw.Draw(self.img)
        self.y = self.MARGIN
        self.pages.append(self.img)

    def _wrap(self, text: str, font, width: int) -> list[str]:
        lines: list[str] = []
        cur = ""
        for word in text.split():
            trial = f"{cur} {word}".strip()
            if self.draw.textlength(trial, font=font) <= width or not cur:
                cur = trial
            else:
                lines.append(cur)
                cur = word
        if cur:
            lines.append(cur)
        return lines

    def _line(self, text: str, font, x: int, step: int) -> None:
        if self.y + step > self.H - self.MARGIN:
            self._new_page()
        self.draw.text((x, self.y), text, font=font, fill=25)
        self.y += step

    def render(self, blocks: list[Blk]) -> list:
        width = self.W - 2 * self.MARGIN
        for b in blocks:
            if b.kind == "title":
                for ln in self._wrap(b.text, self.font_h1, width):
                    self._line(ln, self.font_h1, self.MARGIN, 62)
                self.y += 24
            elif b.kind in ("h2", "h3"):
                self.y += 18
                for ln in self._wrap(b.text, self.font_h2, width):
                    self._line(ln, self.font_h2, self.MARGIN, 54)
                self.y += 8
            elif b.kind == "p":
                font = self.font_small if b.text.startswith(NOTE_PREFIX) else self.font
                step = 42 if font is self.font_small else 50
                for ln in self._wrap(b.text, font, width):
                    self._line(ln, font, self.MARGIN, step)
                self.y += 22
            elif b.kind == "ul":
                for item in b.items:
                    for i, ln in enumerate(self._wrap(item, self.font, width - 50)):
                        if i == 0:
                            self.draw.text((self.MARGIN + 8, self.y), "•", font=self.font, fill=25)
                        self._line(ln, self.font, self.MARGIN + 50, 50)
                self.y += 22
            elif b.kind == "table":
                ncols = len(b.rows[0])
                colw = width // ncols
                for row in b.rows:
                    wrapped = [self._wrap(c, self.font_small, colw - 20) for c in row]
                    nlines = max(len(w) for w in wrapped)
                    if self.y + nlines * 44 > self.H - self.MARGIN:
                        self._new_page()
                    for c, cell in enumerate(wrapped):
                        for i, ln in enumerate(cell):
                            pos = (self.MARGIN + c * colw, self.y + i * 44)
                            self.draw.text(pos, ln, font=self.font_small, fill=25)
                    self.y += nlines * 44 + 10
                    self.draw.line(
                        (self.MARGIN, self.y - 6, self.W - self.MARGIN, self.y - 6), fill=120, width=2
                    )
                self.y += 22
        return [self._age(p) for p in self.pages]

    def _age(self, img):
        """Light speckle and a small skew, as from a desk scanner."""
        from PIL import Image, ImageDraw

        draw = ImageDraw.Draw(img)
        for _ in range(260):
            x, y = self.rng.randrange(self.W), self.rng.randrange(self.H)
            r = self.rng.choice((1, 1, 2))
            draw.ellipse((x, y, x + r, y + r), fill=self.rng.randrange(90, 200))
        angle = self.rng.uniform(-0.6, 0.6)
        return img.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=250)


def build_pdf(src: Source) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos
    from fpdf.fonts import FontFace

    meta = src.meta
    header_text = meta.get("header", "")
    fully_scanned = meta.get("scanned") == "all"

    class DocPDF(FPDF):
        scan_pages: set[int]

        def header(self) -> None:
            if self.page_no() in self.scan_pages or not header_text:
                return
            self.set_font("DejaVu", "", 8)
            self.set_text_color(90, 90, 90)
            self.set_xy(self.l_margin, 10)
            self.cell(0, 5, header_text, align="L")
            self.set_draw_color(160, 160, 160)
            self.line(self.l_margin, 16, self.w - self.r_margin, 16)
            self.set_text_color(0, 0, 0)
            self.set_y(24)

        def footer(self) -> None:
            if self.page_no() in self.scan_pages:
                return
            self.set_y(-14)
            self.set_font("DejaVu", "", 8)
            self.set_text_color(90, 90, 90)
            self.cell(0, 5, f"Side {self.page_no()} af {{nb}}", align="C")
            self.set_text_color(0, 0, 0)

    pdf = DocPDF(format="A4", unit="mm")
    pdf.scan_pages = set()
    pdf.add_font("DejaVu", "", str(FONT_REGULAR))
    pdf.add_font("DejaVu", "B", str(FONT_BOLD))
    pdf.add_font("DejaVu", "I", str(FONT_ITALIC))
    pdf.set_margins(22, 24, 22)
    pdf.set_auto_page_break(True, margin=22)
    pdf.alias_nb_pages()
    pdf.set_title(meta.get("pdf_title", meta["title"]))
    pdf.set_author(meta["author"])
    if "subject" in meta:
        pdf.set_subject(meta["subject"])
    if "keywords" in meta:
        pdf.set_keywords(meta["keywords"])
    pdf.set_creator(meta.get("creator", meta["author"]))
    pdf.set_producer("Vidensmægler demokorpus")
    pdf.set_creation_date(_fixed_datetime(src.date))
    pdf.set_lang("da-DK")

    def add_scan_pages(blocks: list[Blk], seed: str) -> None:
        for img in ScanRenderer(seed).render(blocks):
            pdf.scan_pages.add(pdf.page_no() + 1)
            pdf.add_page()
            buf = io.BytesIO()
            img.save(buf, format="PNG", optimize=False)
            pdf.image(buf, x=0, y=0, w=pdf.w, h=pdf.h)

    if fully_scanned:
        pdf.set_auto_page_break(False)
        add_scan_pages(plain_blocks(src.blocks), src.file)
        return bytes(pdf.output())

    def toc(pdf_: FPDF, outline: list) -> None:
        pdf_.set_font("DejaVu", "B", 13)
        pdf_.ln(4)
        pdf_.cell(0, 8, "Indholdsfortegnelse", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf_.ln(2)
        pdf_.set_font("DejaVu", "", 10)
        width = pdf_.w - pdf_.l_margin - pdf_.r_margin
        for section in outline:
            indent = 6 * section.level
            label = section.name
            num = str(section.page_number)
            avail = width - indent - pdf_.get_string_width(label) - pdf_.get_string_width(num) - 4
            dots = "." * max(3, int(avail / pdf_.get_string_width(".")))
            pdf_.set_x(pdf_.l_margin + indent)
            pdf_.cell(0, 6.5, f"{label} {dots} {num}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def ensure_space(h: float) -> None:
        if pdf.get_y() + h > pdf.page_break_trigger:
            pdf.add_page()

    def para(text: str) -> None:
        if text.startswith(NOTE_PREFIX):
            pdf.set_font("DejaVu", "I", 8.5)
            pdf.set_text_color(80, 80, 80)
            pdf.multi_cell(0, 4.6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_text_color(0, 0, 0)
        else:
            pdf.set_font("DejaVu", "", 10.5)
            pdf.multi_cell(0, 5.7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2.2)

    def table(rows: list[list[str]]) -> None:
        ncols = max(len(r) for r in rows)
        rows = [r + [""] * (ncols - len(r)) for r in rows]
        weights = [max(6, min(40, max(len(r[c]) for r in rows))) for c in range(ncols)]
        pdf.set_font("DejaVu", "", 8.5)
        pdf.set_draw_color(150, 150, 150)
        with pdf.table(
            col_widths=tuple(weights),
            line_height=4.6,
            text_align="LEFT",
            headings_style=FontFace(emphasis="BOLD", fill_color=(225, 232, 240)),
        ) as t:
            for r in rows:
                row = t.row()
                for c in r:
                    row.cell(c)
        pdf.ln(3)

    pdf.add_page()
    if meta.get("logo"):
        pdf.set_font("DejaVu", "B", 11)
        pdf.set_text_color(20, 70, 120)
        pdf.cell(0, 7, meta["logo"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0, 0, 0)
        pdf.ln(4)
    for i, b in enumerate(src.blocks):
        if b.kind == "title":
            pdf.set_font("DejaVu", "B", 17)
            pdf.multi_cell(0, 8, b.text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(3)
        elif b.kind == "h2":
            ensure_space(22)
            pdf.ln(2)
            pdf.start_section(b.text, level=0)
            pdf.set_font("DejaVu", "B", 12.5)
            pdf.multi_cell(0, 6.5, b.text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1.5)
        elif b.kind == "h3":
            ensure_space(18)
            pdf.start_section(b.text, level=1, strict=False)
            pdf.set_font("DejaVu", "B", 10.5)
            pdf.multi_cell(0, 5.6, b.text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1)
        elif b.kind == "p":
            para(b.text)
        elif b.kind == "ul":
            pdf.set_font("DejaVu", "", 10.5)
            for item in b.items:
                pdf.set_x(pdf.l_margin + 3)
                pdf.cell(5, 5.7, "•")
                pdf.multi_cell(0, 5.7, item, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                pdf.ln(0.8)
            pdf.ln(1.6)
        elif b.kind == "table":
            table(b.rows)
        elif b.kind == "toc":
            pdf.insert_toc_placeholder(toc)
        elif b.kind == "pagebreak":
            pdf.add_page()
        elif b.kind == "scan":
            add_scan_pages(b.children, f"{src.file}#{i}")
            rest = [x for x in src.blocks[i + 1 :] if x.kind != "pagebreak"]
            if rest:
                pdf.add_page()
    return bytes(pdf.output())


# --------------------------------------------------------------------------------------------------
# DOCX


def normalise_zip(data: bytes, when: dt.date) -> bytes:
    """Rewrite a ZIP with fixed timestamps so the bytes do not depend on when it was built."""
    stamp = (when.year, when.month, when.day, 12, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 0
            zout.writestr(info, zin.read(item.filename))
    return out.getvalue()


def build_docx(src: Source) -> bytes:
    from docx import Document
    from docx.shared import Pt, RGBColor

    meta = src.meta
    doc = Document()
    props = doc.core_properties
    when = _fixed_datetime(src.date).replace(tzinfo=None)
    props.title = meta["title"]
    props.author = meta["author"]
    props.last_modified_by = meta["author"]
    props.subject = meta.get("subject", "")
    props.keywords = meta.get("keywords", "")
    props.category = meta["doc_type"]
    props.language = "da-DK"
    props.comments = ""
    props.created = when
    props.modified = when
    props.last_printed = when
    props.revision = 1
    styles = doc.styles
    styles["Normal"].font.name = "Calibri"
    styles["Normal"].font.size = Pt(11)

    section = doc.sections[0]
    if meta.get("header"):
        hp = section.header.paragraphs[0]
        hp.text = meta["header"]
        hp.runs[0].font.size = Pt(8)
        hp.runs[0].font.color.rgb = RGBColor(0x59, 0x59, 0x59)

    if meta.get("logo"):
        p = doc.add_paragraph()
        run = p.add_run(meta["logo"])
        run.bold = True
        run.font.color.rgb = RGBColor(0x14, 0x46, 0x78)
    for b in plain_blocks(src.blocks):
        if b.kind == "title":
            doc.add_heading(b.text, level=0)
        elif b.kind == "h2":
            doc.add_heading(b.text, level=1)
        elif b.kind == "h3":
            doc.add_heading(b.text, level=2)
        elif b.kind == "p":
            p = doc.add_paragraph(b.text)
            if b.text.startswith(NOTE_PREFIX):
                for run in p.runs:
                    run.italic = True
                    run.font.size = Pt(9)
        elif b.kind == "ul":
            for item in b.items:
                doc.add_paragraph(item, style="List Bullet")
        elif b.kind == "table":
            ncols = max(len(r) for r in b.rows)
            t = doc.add_table(rows=0, cols=ncols)
            t.style = "Table Grid"
            for r, row in enumerate(b.rows):
                cells = t.add_row().cells
                for c in range(ncols):
                    cells[c].text = row[c] if c < len(row) else ""
                    if r == 0:
                        for run in cells[c].paragraphs[0].runs:
                            run.bold = True
            doc.add_paragraph()
    buf = io.BytesIO()
    doc.save(buf)
    return normalise_zip(buf.getvalue(), src.date)


# --------------------------------------------------------------------------------------------------
# HTML


def inline_html(text: str) -> str:
    return html.escape(text, quote=False)


def blocks_html(blocks: list[Blk]) -> str:
    out: list[str] = []
    for b in plain_blocks(blocks):
        if b.kind == "title":
            out.append(f"<h1>{inline_html(b.text)}</h1>")
        elif b.kind == "h2":
            out.append(f"<h2>{inline_html(b.text)}</h2>")
        elif b.kind == "h3":
            out.append(f"<h3>{inline_html(b.text)}</h3>")
        elif b.kind == "p":
            cls = ' class="demo-note"' if b.text.startswith(NOTE_PREFIX) else ""
            out.append(f"<p{cls}>{inline_html(b.text)}</p>")
        elif b.kind == "ul":
            items = "\n".join(f"  <li>{inline_html(i)}</li>" for i in b.items)
            out.append(f"<ul>\n{items}\n</ul>")
        elif b.kind == "table":
            head = "".join(f"<th>{inline_html(c)}</th>" for c in b.rows[0])
            body = "\n".join(
                "  <tr>" + "".join(f"<td>{inline_html(c)}</td>" for c in r) + "</tr>" for r in b.rows[1:]
            )
            out.append(
                f'<table class="table">\n  <thead><tr>{head}</tr></thead>\n  <tbody>\n{body}\n  </tbody>\n</table>'
            )
    return "\n".join(out)


HTML_TEMPLATE = """<!DOCTYPE html>
<html lang="da">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} | {kommune} Kommune</title>
<meta name="description" content="{description}">
<meta name="author" content="{author}">
<meta name="dcterms.modified" content="{date}">
<link rel="stylesheet" href="/static/css/site.min.css?v=4.12.0">
<style>
  .cookie-banner {{ position: fixed; bottom: 0; left: 0; right: 0; background: #1d2b36; color: #fff; }}
  .demo-note {{ font-size: .85rem; color: #555; font-style: italic; }}
  table.table td, table.table th {{ border: 1px solid #ccc; padding: 4px 8px; }}
</style>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){{dataLayer.push(arguments);}}
  gtag('consent', 'default', {{'analytics_storage': 'denied'}});
  var siteSearch = {{ endpoint: '/api/sog', placeholder: 'Hvad søger du?' }};
</script>
</head>
<body class="page-article">
<div id="cookie-banner" class="cookie-banner" role="dialog" aria-label="Cookies">
  <p>Vi bruger cookies til at forbedre din oplevelse af {kommune_lower}.dk og til anonym statistik.
  Du kan til enhver tid trække dit samtykke tilbage.</p>
  <button id="cookie-accept">Accepter alle</button> <button id="cookie-necessary">Kun nødvendige</button>
  <a href="/cookiepolitik">Læs mere om cookies</a>
</div>
<a class="skip-link" href="#indhold">Gå til indhold</a>
<header class="site-header">
  <a class="logo" href="/"><img src="/static/img/logo.svg" alt="{kommune} Kommune"></a>
  <nav class="main-nav" aria-label="Hovedmenu">
    <ul>
      <li><a href="/borger">Borger</a></li>
      <li><a href="/erhverv">Erhverv</a></li>
      <li><a href="/politik">Politik og demokrati</a></li>
      <li><a href="/job">Job i kommunen</a></li>
      <li><a href="/om-kommunen">Om kommunen</a></li>
      <li><a href="/selvbetjening">Selvbetjening</a></li>
    </ul>
  </nav>
  <form class="search" action="/sog"><input type="search" name="q" placeholder="Søg på siden"></form>
</header>
<nav class="breadcrumb" aria-label="Brødkrumme">
  <a href="/">Forside</a> › {breadcrumb}
</nav>
<main id="indhold">
<article>
{content}
<p class="updated">Senest opdateret: {updated}</p>
</article>
<aside class="related">
  <h2>Se også</h2>
  <ul>
    <li><a href="/borger/familie-og-boern">Familie og børn</a></li>
    <li><a href="/borger/familie-og-boern/bekymring-for-et-barn">Er du bekymret for et barn?</a></li>
    <li><a href="/selvbetjening/kontakt">Kontakt os</a></li>
  </ul>
  <div class="feedback">Var siden nyttig? <button>Ja</button> <button>Nej</button></div>
</aside>
</main>
<footer class="site-footer">
  <div>{kommune} Kommune · Rådhuset · Telefon og åbningstider: se kontaktsiden</div>
  <ul>
    <li><a href="/tilgaengelighed">Tilgængelighedserklæring</a></li>
    <li><a href="/privatlivspolitik">Privatlivspolitik</a></li>
    <li><a href="/cookiepolitik">Cookiepolitik</a></li>
    <li><a href="/presse">Presse</a></li>
  </ul>
  <p>Følg os på Facebook, LinkedIn og Instagram</p>
</footer>
<script src="/static/js/site.bundle.js?v=4.12.0" defer></script>
<script>
  document.getElementById('cookie-accept').addEventListener('click', function () {{
    document.cookie = 'consent=all; path=/; max-age=31536000';
    document.getElementById('cookie-banner').remove();
  }});
</script>
</body>
</html>
"""


def build_html(src: Source) -> bytes:
    meta = src.meta
    kommune = meta["municipality"]
    crumbs = [c.strip() for c in meta.get("breadcrumb", "Borger › Familie og børn").split("›")]
    crumb_html = " › ".join(f'<a href="#">{inline_html(c)}</a>' for c in crumbs[:-1])
    crumb_html = (crumb_html + " › " if crumb_html else "") + f"<span>{inline_html(crumbs[-1])}</span>"
    page = HTML_TEMPLATE.format(
        title=html.escape(meta["title"]),
        kommune=kommune,
        kommune_lower=kommune.lower().replace("ø", "oe").replace("æ", "ae").replace("å", "aa"),
        description=html.escape(meta.get("subject", meta["title"])),
        author=html.escape(meta["author"]),
        date=meta["date"],
        breadcrumb=crumb_html,
        content=blocks_html(src.blocks),
        updated=html.escape(meta.get("updated", meta["date"])),
    )
    return page.encode("utf-8")


# --------------------------------------------------------------------------------------------------
# Text and Markdown


def text_table(rows: list[list[str]]) -> list[str]:
    ncols = max(len(r) for r in rows)
    rows = [r + [""] * (ncols - len(r)) for r in rows]
    widths = [max(len(r[c]) for r in rows) for c in range(ncols)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def wrap(text: str, width: int = 90) -> list[str]:
    lines: list[str] = []
    cur = ""
    for word in text.split():
        if cur and len(cur) + 1 + len(word) > width:
            lines.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}".strip()
    if cur:
        lines.append(cur)
    return lines


def build_txt(src: Source) -> bytes:
    out: list[str] = []
    for b in plain_blocks(src.blocks):
        if b.kind == "title":
            out += [b.text, "=" * min(len(b.text), 90), ""]
        elif b.kind == "h2":
            out += ["", b.text, "-" * len(b.text), ""]
        elif b.kind == "h3":
            out += [b.text, ""]
        elif b.kind == "p":
            out += [*wrap(b.text), ""]
        elif b.kind == "ul":
            for item in b.items:
                lines = wrap(item, 86)
                out += ["  * " + lines[0]] + ["    " + ln for ln in lines[1:]]
            out.append("")
        elif b.kind == "table":
            out += [*text_table(b.rows), ""]
    text = "\n".join(out).rstrip() + "\n"
    if src.meta.get("newline") == "crlf":
        text = text.replace("\n", "\r\n")
    return text.encode(src.meta.get("encoding", "utf-8"))


def build_md(src: Source) -> bytes:
    lines = [ln for ln in src.body.split("\n") if ln.strip() not in ("[[toc]]", "[[pagebreak]]")]
    lines = [ln for ln in lines if ln.strip() not in ("[[scan]]", "[[/scan]]")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
    return text.encode("utf-8")


BUILDERS = {"pdf": build_pdf, "docx": build_docx, "html": build_html, "txt": build_txt, "md": build_md}


# --------------------------------------------------------------------------------------------------
# Export, manifest, queries


def load_regions() -> dict[str, str]:
    with KOMMUNER_CSV.open(encoding="utf-8") as f:
        return {row["kommune"]: "Region " + row["region"] for row in csv.DictReader(f)}


def build_export(path: Path) -> tuple[str, bytes, dict[str, str], list[dict[str, str]]]:
    meta, body = split_header(path.read_text(encoding="utf-8"), path)
    records: list[dict[str, str]] = []
    for chunk in re.split(r"^===+\s*$", body, flags=re.M):
        if not chunk.strip():
            continue
        rec: dict[str, str] = {}
        lines = chunk.strip("\n").split("\n")
        for i, line in enumerate(lines):
            key, _, value = line.partition(":")
            if key.strip() == "text":
                paras = "\n".join(lines[i + 1 :]).strip().split("\n\n")
                rec["text"] = "\n\n".join(" ".join(p.split()) for p in paras)
                break
            rec[key.strip()] = value.strip()
        record = {
            "id": rec["id"],
            "municipality": meta["municipality"],
            "committee": rec["committee"],
            "date": rec["date"],
            "case_number": rec["case_number"],
            "title": rec["title"],
            "text": rec["text"],
        }
        records.append(record)
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    return meta["file"], data.encode("utf-8"), meta, records


def build(out: Path) -> None:
    regions = load_regions()
    if out.exists():
        for child in out.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
    out.mkdir(parents=True, exist_ok=True)
    manifest: list[dict[str, object]] = []
    seen: set[str] = set()
    for src in load_sources():
        muni = src.meta["municipality"]
        if muni not in regions:
            raise SystemExit(f"{src.path}: unknown municipality {muni!r}")
        if src.file in seen:
            raise SystemExit(f"{src.path}: duplicate file {src.file}")
        seen.add(src.file)
        target = out / src.file
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(BUILDERS[src.fmt](src))
        entry: dict[str, object] = {
            "file": src.file,
            "municipality": muni,
            "region": regions[muni],
            "doc_type": src.meta["doc_type"],
            "year": int(src.meta["year"]),
            "format": src.fmt,
            "title": src.meta["title"],
            "date": src.meta["date"],
        }
        if src.meta.get("encoding"):
            entry["encoding"] = src.meta["encoding"]
        if src.meta.get("scanned"):
            entry["scanned"] = src.meta["scanned"]
        elif any(b.kind == "scan" for b in src.blocks):
            entry["scanned"] = "partly"
        manifest.append(entry)
    record_ids: set[str] = set()
    for path in sorted((SRC / "eksport").glob("*.txt")):
        file, data, meta, records = build_export(path)
        muni = meta["municipality"]
        if muni not in regions:
            raise SystemExit(f"{path}: unknown municipality {muni!r}")
        (out / file).parent.mkdir(parents=True, exist_ok=True)
        (out / file).write_bytes(data)
        years = sorted({int(r["date"][:4]) for r in records})
        manifest.append(
            {
                "file": file,
                "municipality": muni,
                "region": regions[muni],
                "doc_type": meta["doc_type"],
                "year": None,
                "format": "jsonl",
                "title": meta["title"],
                "years": years,
                "records": [
                    {
                        "id": r["id"],
                        "municipality": muni,
                        "region": regions[muni],
                        "doc_type": meta["doc_type"],
                        "year": int(r["date"][:4]),
                        "date": r["date"],
                        "committee": r["committee"],
                        "title": r["title"],
                    }
                    for r in records
                ],
            }
        )
        record_ids |= {r["id"] for r in records}
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", "utf-8")
    (out / ".brokerignore").write_text("queries.jsonl\nmanifest.json\ncompare.jsonl\n", "utf-8")
    # The judged comparison tasks (broker eval --compare) are written by hand against the built documents.
    shutil.copyfile(SRC / "compare.jsonl", out / "compare.jsonl")

    files = {str(e["file"]) for e in manifest}
    lines_out = []
    for n, line in enumerate((SRC / "queries.jsonl").read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        q = json.loads(line)
        for key, grade in q["relevant"].items():
            if grade not in (1, 2):
                raise SystemExit(f"queries.jsonl:{n}: grade must be 1 or 2")
            if key not in record_ids and not any(f.endswith(key) for f in files):
                raise SystemExit(f"queries.jsonl:{n}: unknown key {key!r}")
        lines_out.append(json.dumps(q, ensure_ascii=False))
    (out / "queries.jsonl").write_text("\n".join(lines_out) + "\n", "utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=OUT, help="output folder (default: corpus/)")
    ap.add_argument("--check", action="store_true", help="build into a temp folder and compare with --out")
    args = ap.parse_args()
    for font in (FONT_REGULAR, FONT_BOLD, FONT_ITALIC):
        if not font.exists():
            print(f"missing font {font} (apt-get install fonts-dejavu-core)", file=sys.stderr)
            return 2
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            build(Path(tmp))
            cmp = filecmp.dircmp(tmp, args.out)
            diff = cmp.diff_files + cmp.left_only + cmp.right_only
            for sub in cmp.subdirs.values():
                diff += sub.diff_files + sub.left_only + sub.right_only
            if diff:
                print("corpus/ is out of date:", ", ".join(sorted(diff)), file=sys.stderr)
                return 1
            print("corpus/ is up to date")
            return 0
    build(args.out)
    print(f"built {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
