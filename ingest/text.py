"""Plain-text and Markdown reading: robust decoding (UTF-8, cp1252, latin-1) and structure from lines."""

from __future__ import annotations

import codecs
import re

from core.types import Block, ParsedFile
from ingest.lines import lines_to_blocks

_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")  # keeps \t, \n and \f (page break)


def decode_text(data: bytes) -> str:
    """Decode bytes to text: UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252, else latin-1.

    Line endings are normalised to "\\n"; NUL and other stray control characters are dropped.
    """
    if data.startswith(codecs.BOM_UTF8):
        text = data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
    else:
        for encoding in ("utf-8", "cp1252", "latin-1"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:  # pragma: no cover - latin-1 decodes every byte
            text = data.decode("latin-1", errors="replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def parse_text(data: bytes) -> ParsedFile:
    """Parse plain text or Markdown: headings (ATX, setext, numbered), paragraphs, lists; \\f = new page."""
    text = decode_text(data)
    pages = text.split("\f")
    while len(pages) > 1 and not pages[-1].strip():
        pages.pop()  # a trailing form feed does not start a real page
    blocks: list[Block] = []
    for number, page_text in enumerate(pages, start=1):
        blocks.extend(lines_to_blocks(page_text.split("\n"), number, markdown=True))
    return ParsedFile(blocks=blocks, page_count=max(1, len(pages)))
