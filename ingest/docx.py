"""Word (.docx) reading with python-docx: headings with levels, lists, tables as readable rows, pages."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from core.errors import BadFile
from core.types import Block, BlockKind, ParsedFile
from ingest.detect import CFB_MAGIC

MAX_UNCOMPRESSED = 200 * 1024 * 1024  # total declared uncompressed size of all parts
MAX_RATIO = 100  # compression ratio of a large part
RATIO_MIN_SIZE = 5 * 1024 * 1024  # small parts may compress well; only large ones are suspicious
MAX_ENTRIES = 10_000

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING_STYLE = re.compile(r"^(?:heading|overskrift)\s*(\d)\b", re.I)
_TITLE_STYLES = {"title", "titel"}
_LIST_STYLE = re.compile(r"list|liste|opstilling|punkt", re.I)


def check_zip(data: bytes) -> None:
    """Refuse zip bombs by the archive's declared sizes before anything is decompressed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise BadFile("Word-filen er beskadiget eller ufuldstændig (zip-arkivet kan ikke åbnes)") from exc
    bomb = BadFile(
        "Word-filen ligner en zip-bombe (udpakker til urimeligt meget data) og afvises", code="zip_bomb"
    )
    if len(infos) > MAX_ENTRIES:
        raise bomb
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size >= RATIO_MIN_SIZE and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise bomb
    if total > MAX_UNCOMPRESSED:
        raise bomb


def _style_name(paragraph: Any) -> str:
    try:
        style = paragraph.style
        return str(style.name or "") if style is not None else ""
    except Exception:  # dangling style references are harmless
        return ""


def _outline_level(paragraph: Any) -> int | None:
    values = paragraph._p.xpath("./w:pPr/w:outlineLvl/@w:val")
    if values and str(values[0]).isdigit() and int(values[0]) < 9:
        return int(values[0]) + 1
    return None


def _paragraph_kind(paragraph: Any) -> tuple[BlockKind, int]:
    name = _style_name(paragraph)
    m = _HEADING_STYLE.match(name)
    if m:
        return "heading", max(1, min(int(m.group(1)), 6))
    if name.strip().lower() in _TITLE_STYLES:
        return "heading", 1
    level = _outline_level(paragraph)
    if level is not None:
        return "heading", min(level, 6)
    if _LIST_STYLE.search(name) or paragraph._p.xpath("./w:pPr/w:numPr"):
        return "list", 0
    return "paragraph", 0


def _page_breaks(element: Any) -> tuple[bool, int]:
    """(starts on a new page, number of page breaks) for a paragraph or table element."""
    before: list[str] = []
    explicit = rendered = 0
    for node in element.iter(f"{_W}t", f"{_W}br", f"{_W}lastRenderedPageBreak"):
        if node.tag == f"{_W}t":
            if not (explicit or rendered):
                before.append(node.text or "")
        elif node.tag == f"{_W}br":
            explicit += node.get(f"{_W}type") == "page"
        else:
            rendered += 1
    count = max(explicit, rendered)
    return count > 0 and not "".join(before).strip(), count


def _is_header_row(table: Any, rows: list[list[str]]) -> bool:
    if len(rows) < 2 or not rows[0]:
        return False
    first = table.rows[0]
    if first._tr.xpath("./w:trPr/w:tblHeader"):
        return True
    runs = [r for cell in first.cells for p in cell.paragraphs for r in p.runs if r.text.strip()]
    if runs and all(r.bold for r in runs) and not all(r.bold for r in _runs_of_row(table.rows[1])):
        return True
    cells = rows[0]
    return len(cells) >= 3 and all(
        c and len(c.split()) <= 5 and not c.endswith(".") and not re.fullmatch(r"[\d\s.,%-]+", c)
        for c in cells
    )


def _runs_of_row(row: Any) -> list[Any]:
    return [r for cell in row.cells for p in cell.paragraphs for r in p.runs if r.text.strip()]


def _table_rows(table: Any) -> list[list[str]]:
    rows: list[list[str]] = []
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue  # a merged cell is repeated for every grid column it spans
            seen.add(id(cell._tc))
            parts = [p.text for p in cell.paragraphs]
            parts += [" ".join(" | ".join(r) for r in _table_rows(inner)) for inner in cell.tables]
            cells.append(" ".join(" ".join(parts).split()))
        if any(cells):
            rows.append(cells)
    return rows


def table_text(table: Any) -> str:
    """One readable line per row: "Kolonne: værdi · Kolonne: værdi" with a header row, else "a | b"."""
    rows = _table_rows(table)
    if not rows:
        return ""
    if _is_header_row(table, rows):
        header, body = rows[0], rows[1:]
        lines = []
        for cells in body:
            pairs = [
                f"{header[i]}: {value}" if i < len(header) and header[i] and header[i] != value else value
                for i, value in enumerate(cells)
                if value
            ]
            lines.append(" · ".join(pairs))
        return "\n".join(line for line in lines if line)
    return "\n".join(" | ".join(c for c in cells if c) for cells in rows)


def _core_meta(document: Any) -> dict[str, str]:
    meta: dict[str, str] = {}
    try:
        props = document.core_properties
        for name in ("title", "author", "subject", "keywords"):
            value = getattr(props, name, None)
            if value and str(value).strip():
                meta[name] = " ".join(str(value).split())
        if props.created is not None:
            meta["created"] = props.created.date().isoformat()
    except Exception:  # broken core properties never stop the text
        pass
    return meta


def parse_docx(data: bytes) -> ParsedFile:
    """Parse a .docx body in document order (paragraphs and tables) into blocks with page numbers."""
    if data.startswith(CFB_MAGIC):
        raise BadFile(
            "Word-dokumentet er beskyttet med adgangskode (krypteret) og kan ikke læses. "
            "Fjern adgangskoden og gem filen igen.",
            code="encrypted",
        )
    check_zip(data)
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
        items = list(document.iter_inner_content())
    except Exception as exc:  # python-docx raises many kinds for broken packages
        raise BadFile("Word-filen er beskadiget og kan ikke læses", code="corrupt") from exc

    blocks: list[Block] = []
    items_in_list: list[str] = []
    page = 1
    list_page = 1

    def flush_list() -> None:
        if items_in_list:
            blocks.append(Block("\n".join(items_in_list), list_page, "list"))
            items_in_list.clear()

    for item in items:
        element = item._tbl if isinstance(item, Table) else item._p
        starts_new_page, breaks = _page_breaks(element)
        here = page + 1 if starts_new_page else page
        page += breaks
        if isinstance(item, Table):
            flush_list()
            text = table_text(item)
            if text:
                blocks.append(Block(text, here, "table"))
            continue
        text = " ".join(item.text.split())
        if not text:
            continue
        kind, level = _paragraph_kind(item)
        if kind == "list":
            if not items_in_list:
                list_page = here
            items_in_list.append("• " + text)
            continue
        flush_list()
        blocks.append(Block(text, here, kind, level))
    flush_list()
    meta = _core_meta(document)
    return ParsedFile(blocks=blocks, page_count=max(page, 1), meta=meta)
