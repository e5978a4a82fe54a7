"""PDF reading with pypdf: paragraph blocks per page, headings, metadata; OCR for pages without text."""

from __future__ import annotations

import io
import logging
import re
import time
from typing import Any

from core.errors import BadFile, NeedsOCR
from core.types import Block, ParsedFile
from ingest import ocr as ocr_engine
from ingest.lines import lines_to_blocks

log = logging.getLogger(__name__)

NEEDS_OCR_MESSAGE = (
    "Dokumentet er scannet uden tekstlag og kræver OCR (installér tesseract-ocr og tesseract-ocr-dan)"
)
_MIN_LETTERS = 20  # fewer letters than this on a page with images: treat the page as scanned
_MAX_FORM_DEPTH = 3
_JUNK_VALUES = {"unspecified", "unknown", "anonymous", "none", "null", "-", "untitled"}


def _open(data: bytes) -> Any:
    import pypdf
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    if b"%%EOF" not in data:
        raise BadFile("PDF-filen er ufuldstændig (afkortet) og kan ikke læses", code="corrupt")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                decrypted = reader.decrypt("")
            except (FileNotDecryptedError, NotImplementedError, ValueError, KeyError) as exc:
                raise BadFile("PDF'en er krypteret/beskyttet med adgangskode", code="encrypted") from exc
            if not decrypted:
                raise BadFile("PDF'en er krypteret/beskyttet med adgangskode", code="encrypted")
        _ = len(reader.pages)
    except BadFile:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as exc:
        raise BadFile("PDF-filen er beskadiget og kan ikke læses", code="corrupt") from exc
    except RecursionError as exc:
        raise BadFile("PDF-filen er beskadiget (uendelig henvisning i strukturen)", code="corrupt") from exc
    return reader


def pdf_date(value: str) -> str | None:
    """ISO date (YYYY-MM-DD, or shorter when the source is) from a PDF date string like "D:20190430..."."""
    m = re.match(r"\s*(?:D:)?(\d{4})(\d{2})?(\d{2})?", value or "")
    if not m:
        return None
    year, month, day = m.group(1), m.group(2), m.group(3)
    if not 1900 <= int(year) <= 2100:
        return None
    if month and 1 <= int(month) <= 12:
        if day and 1 <= int(day) <= 31:
            return f"{year}-{month}-{day}"
        return f"{year}-{month}"
    return year


def _metadata(reader: Any) -> dict[str, str]:
    meta: dict[str, str] = {}
    try:
        info = reader.metadata or {}
        items = {str(k): v for k, v in dict(info).items()}
    except Exception:  # malformed info dictionaries are common and never fatal
        return meta
    for key, name in (
        ("/Title", "title"),
        ("/Author", "author"),
        ("/Subject", "subject"),
        ("/Keywords", "keywords"),
    ):
        value = items.get(key)
        text = " ".join(str(value).split()) if value is not None else ""
        if text and text.strip("()").lower() not in _JUNK_VALUES:
            meta[name] = text
    created = items.get("/CreationDate")
    if created is not None:
        iso = pdf_date(str(created))
        if iso:
            meta["created"] = iso
    return meta


def _has_images(resources: Any, depth: int = 0) -> bool:
    """True when the page (or a form it draws) paints an image: a candidate for OCR."""
    try:
        xobjects = resources.get("/XObject") if resources is not None else None
        if xobjects is None:
            return False
        xobjects = xobjects.get_object()
        for ref in xobjects.values():
            obj = ref.get_object()
            subtype = obj.get("/Subtype")
            if subtype == "/Image":
                return True
            if (
                subtype == "/Form"
                and depth < _MAX_FORM_DEPTH
                and _has_images(obj.get("/Resources"), depth + 1)
            ):
                return True
    except Exception:
        return False
    return False


def _page_text(page: Any) -> str:
    """Layout mode keeps the vertical gaps between paragraphs; plain mode is the fallback."""
    try:
        text = page.extract_text(extraction_mode="layout", layout_mode_space_vertically=True)
    except Exception:
        text = ""
    if not text.strip():
        try:
            text = page.extract_text()
        except Exception:
            text = ""
    return str(text or "")


def _letters(text: str) -> int:
    return sum(1 for c in text if c.isalpha())


_PLAIN_MARKS = set(".,;:!?-–—…·•()[]/%§'\"+=*&_0123456789")


def _is_garbage(text: str) -> bool:
    """Text from fonts without a Unicode map: mostly symbols and private-use characters.

    Digits and punctuation do not count either way, so a table of contents full of dot leaders is fine.
    """
    visible = [c for c in text if not c.isspace() and c not in _PLAIN_MARKS]
    return len(visible) >= 40 and _letters(text) < 0.5 * len(visible)


def parse_pdf(data: bytes, *, ocr: bool = True, ocr_deadline: float | None = None) -> ParsedFile:
    """Parse a PDF into blocks (pages 1-based), OCR'ing pages without a text layer when possible.

    `ocr_deadline` (a time.monotonic() value) stops OCR of further pages once passed; those pages are
    listed in pages_needing_ocr, so a long scan yields what was read in time instead of nothing.
    """
    reader = _open(data)
    meta = _metadata(reader)
    try:
        page_count = len(reader.pages)
    except Exception as exc:
        raise BadFile("PDF-filen er beskadiget (sidetræet kan ikke læses)", code="corrupt") from exc
    blocks: list[Block] = []
    needing_ocr: list[int] = []
    ocr_pages: list[int] = []
    failed_pages = 0
    can_ocr: bool | None = None
    out_of_time = False
    for index in range(page_count):
        number = index + 1
        try:
            page = reader.pages[index]
            text = _page_text(page)
            scanned = _has_images(page.get("/Resources"))
        except Exception as exc:  # one broken page must not lose the rest
            log.warning("side %d kunne ikke læses: %s", number, exc)
            failed_pages += 1
            continue
        if _is_garbage(text):
            text = ""
        if scanned and _letters(text) < _MIN_LETTERS:
            if can_ocr is None:
                can_ocr = ocr and ocr_engine.ocr_available()
            if can_ocr and ocr_deadline is not None and time.monotonic() > ocr_deadline:
                out_of_time = True
                if not text.strip():
                    needing_ocr.append(number)
            elif can_ocr:
                try:
                    recognised = ocr_engine.ocr_pdf_page(data, index)
                except Exception as exc:
                    log.warning("OCR af side %d mislykkedes: %s", number, exc)
                    recognised = ""
                if _letters(recognised) > _letters(text):
                    text = recognised
                    ocr_pages.append(number)
            elif not text.strip():
                needing_ocr.append(number)
        if text.strip():
            blocks.extend(lines_to_blocks(text.split("\n"), number))
    if page_count and failed_pages == page_count:
        raise BadFile("PDF-filen er beskadiget: ingen af siderne kan læses", code="corrupt")
    if not blocks and needing_ocr:
        if out_of_time:
            raise BadFile(
                "OCR af det scannede dokument nåede ikke at blive færdig inden for tidsgrænsen", "timeout"
            )
        raise NeedsOCR(NEEDS_OCR_MESSAGE)
    return ParsedFile(
        blocks=blocks,
        page_count=max(page_count, 1),
        meta=meta,
        pages_needing_ocr=needing_ocr,
        ocr_pages=ocr_pages,
    )
