"""Line-level structure heuristics shared by the PDF and plain-text parsers: headings, lists, paragraphs."""

from __future__ import annotations

import re

from core.types import Block

MONTHS = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)

_NUMBERED = re.compile(r"^(?P<num>\d{1,2}(?:\.\d{1,2}){0,4})\.?\s+(?P<title>\S.*)$")
# Bullet glyphs, including what PDFs from Word give for Symbol/Wingdings bullets (private-use code points).
_BULLET_CHARS = "•●▪■◦‣∙·\\-–—*\x7f\uf0a7\uf0b7\uf076\uf0d8\uf0fc\uf06e\uf0a8➢►✓"
_BULLET = re.compile(rf"^(?:[{_BULLET_CHARS}]|\(?\d{{1,2}}[.)]|\(?[a-zæøå][.)])\s+(?=\S)")
_CELL_GAP = re.compile(r"\s{3,}")
_PIPE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?$")
_ATX = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT_1 = re.compile(r"^=+\s*$")
_SETEXT_2 = re.compile(r"^-{2,}\s*$")
_RULE = re.compile(r"^(?:(?:\*\s*){3,}|(?:-\s*){3,}|(?:_\s*){3,})$")
_SENTENCE_END = (".", "!", "?", ":", ";")
_HEADING_BAD_END = (".", ",", ";", ":")
_UPPER_START = re.compile(r"^[A-ZÆØÅÄÖÜ]")


_DASHED_NUMBER = re.compile(r"^[-–—]\s*\d{1,4}\s*[-–—]$")


def bullet_marker(line: str) -> re.Match[str] | None:
    """The list marker at the start of a line ("•", "-", "1.", "a)"), if any."""
    if _DASHED_NUMBER.match(line.strip()):
        return None  # "- 3 -" is a page number, not a list item
    return _BULLET.match(line)


def numbered_heading(line: str) -> tuple[int, str] | None:
    """(level, text) for a numbered heading line such as "1. Formål" or "2.3 Målgruppe"."""
    m = _NUMBERED.match(line.strip())
    if not m:
        return None
    title = m.group("title").strip()
    words = title.split()
    if not _UPPER_START.match(title) or len(words) > 12 or len(title) > 90:
        return None
    if title.endswith(_HEADING_BAD_END) or words[0].lower().rstrip(".") in MONTHS:
        return None
    if not re.search(r"[A-Za-zÆØÅæøå]{2,}", title):
        return None
    level = m.group("num").count(".") + 1
    return min(level, 6), line.strip()


def plain_heading(line: str, *, width: int) -> int | None:
    """Heading level (1 for ALL CAPS, else 2) for a short title-like line without final punctuation."""
    text = line.strip()
    words = text.split()
    if not words or len(words) > 8 or len(text) > 70:
        return None
    if not _UPPER_START.match(text) or text.endswith(_HEADING_BAD_END):
        return None
    if not re.search(r"[A-Za-zÆØÅæøå]{3,}", text) or bullet_marker(text):
        return None
    if width >= 40 and len(text) > 0.7 * width:
        return None  # a full-width line is wrapped body text, not a heading
    letters = [c for c in text if c.isalpha()]
    return 1 if len(letters) >= 4 and all(c.isupper() for c in letters) else 2


def typical_width(lines: list[str]) -> int:
    """A robust 'full line' length: the 80th percentile of non-empty line lengths."""
    lengths = sorted(len(x.strip()) for x in lines if x.strip())
    if not lengths:
        return 0
    return lengths[min(len(lengths) - 1, int(len(lengths) * 0.8))]


def strip_inline_markdown(text: str) -> str:
    """Remove Markdown emphasis, code ticks and link targets, keeping the words."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?=\S)([^*]+?)(?<=\S)\*(?![\w*])", r"\1", text)
    return text.replace("`", "")


def lines_to_blocks(lines: list[str], page: int, *, markdown: bool = False) -> list[Block]:
    """Group the lines of one page into heading, list and paragraph blocks.

    Lines inside a paragraph stay joined with "\\n" so the cleaner can undo line-break hyphens.
    """
    rows = [x.rstrip() for x in lines]
    if markdown:
        rows = [strip_inline_markdown(x) for x in rows]
    width = typical_width(rows)
    blocks: list[Block] = []
    para: list[str] = []
    items: list[str] = []
    table: list[list[str]] = []
    cells = [_cells(x, markdown=markdown) for x in rows]
    tabular = [
        len(c) >= 2 and ((i > 0 and len(cells[i - 1]) >= 2) or (i + 1 < len(rows) and len(cells[i + 1]) >= 2))
        for i, c in enumerate(cells)
    ]  # two or more neighbouring lines with columns separated by wide gaps

    def flush() -> None:
        if para:
            blocks.append(Block("\n".join(para), page, "paragraph"))
            para.clear()
        if items:
            blocks.append(Block("\n".join(items), page, "list"))
            items.clear()
        if table:
            blocks.append(Block(table_rows_text(table), page, "table"))
            table.clear()

    def ended_paragraph(prev: str | None) -> bool:
        return prev is None or not prev.strip() or prev.strip().endswith(_SENTENCE_END)

    following_text: list[str | None] = [None] * len(rows)  # the next non-blank line after each line
    upcoming: str | None = None
    for j in range(len(rows) - 1, -1, -1):
        following_text[j] = upcoming
        if rows[j].strip():
            upcoming = rows[j].strip()

    prev: str | None = None
    prev_heading = False
    skip = False
    for i, raw in enumerate(rows):
        if skip:
            skip = False
            continue
        line = raw.strip()
        if not line:
            flush()
            prev, prev_heading = raw, False
            continue
        if tabular[i]:
            if para or items:
                flush()
            if not _PIPE_RULE.match(line):  # the |---|---| line under a Markdown header row
                table.append(cells[i])
            prev, prev_heading = raw, False
            continue
        if table:
            flush()
        following = rows[i + 1].strip() if i + 1 < len(rows) else ""
        nxt = following_text[i]
        start_of_para = not para and not items
        heading: tuple[int, str] | None = None
        atx = _ATX.match(line)
        if atx and atx.group(2):
            heading = (len(atx.group(1)), atx.group(2))
        elif markdown and start_of_para and following and _SETEXT_1.match(following):
            heading, skip = (1, line), True
        elif markdown and start_of_para and following and _SETEXT_2.match(following):
            heading, skip = (2, line), True
        elif markdown and _RULE.match(line):
            flush()
            prev, prev_heading = raw, False
            continue
        elif nxt is not None and (ended_paragraph(prev) or prev_heading or not (para or items)):
            numbered = numbered_heading(line)
            if numbered and not (nxt and (bullet_marker(nxt) or numbered_heading(nxt))):
                heading = numbered
            elif not numbered and not bullet_marker(line):
                level = plain_heading(line, width=width)
                if level is not None and not nxt[:1].islower():
                    heading = (level, line)
        if heading:
            flush()
            blocks.append(Block(heading[1].strip(), page, "heading", heading[0]))
            prev, prev_heading = raw, True
            continue
        if bullet_marker(line) and not _dash_continues(para, line):
            if para:
                flush()
            items.append(_normalise_bullet(line))
        elif items and not prev_heading and prev is not None and prev.strip():
            items[-1] = items[-1] + "\n" + line  # continuation of a wrapped list item
        else:
            para.append(line)
            if width >= 40 and line.endswith((".", "!", "?")) and len(line) < 0.75 * width:
                flush()  # a short line ending a sentence closes the paragraph
        prev, prev_heading = raw, False
    flush()
    return blocks


def _dash_continues(para: list[str], line: str) -> bool:
    """A dash before a lower-case word inside an unfinished sentence continues it ("situation – med")."""
    return bool(
        para
        and line[:1] in "-–—"
        and not para[-1].rstrip().endswith((*_SENTENCE_END, ":"))
        and line[1:].lstrip()[:1].islower()
    )


def _cells(line: str, *, markdown: bool) -> list[str]:
    text = line.strip()
    if not text:
        return []
    if markdown and text.startswith("|") and text.endswith("|") and len(text) > 1:
        return [c.strip() for c in text[1:-1].split("|")]
    if bullet_marker(text):
        return [text]  # "•   tekst": the gap after a bullet is not a column
    return _CELL_GAP.split(text)


def table_rows_text(rows: list[list[str]]) -> str:
    """Rows of cells as readable lines: "Kolonne: værdi · Kolonne: værdi" under a header row, else "a | b"."""
    header = rows[0]
    has_header = (
        len(rows) >= 2
        and all(len(r) == len(header) for r in rows[1:])
        and all(len(c.split()) <= 4 and not re.search(r"\d", c) for c in header)
    )
    if has_header:
        return "\n".join(" · ".join(f"{h}: {v}" for h, v in zip(header, r, strict=True)) for r in rows[1:])
    return "\n".join(" | ".join(r) for r in rows)


def _normalise_bullet(line: str) -> str:
    m = _BULLET.match(line)
    if m and not re.match(r"\(?[\dA-Za-zæøå]", m.group(0)):
        return "• " + line[m.end() :]
    return line
