"""OCR of scanned PDF pages: render with pypdfium2, recognise Danish text with Tesseract."""

from __future__ import annotations

import functools
import os
import re
import shutil

OCR_DPI = 300
OCR_LANG = "dan"
_MAX_PIXELS = 60_000_000  # a poster-sized page is rendered at a lower resolution


@functools.lru_cache(maxsize=1)
def ocr_available() -> bool:
    """True when pytesseract, the tesseract binary and its Danish language data are all installed."""
    try:
        import pytesseract
    except ImportError:
        return False
    if shutil.which(pytesseract.pytesseract.tesseract_cmd) is None:
        return False
    try:
        languages = pytesseract.get_languages(config="")
    except Exception:  # a broken installation is the same as none
        return False
    return OCR_LANG in languages


def ocr_pdf_page(data: bytes, page_index: int) -> str:
    """Text of one page (0-based index) of a PDF, rendered at ~300 dpi and read with Tesseract "dan"."""
    import pypdfium2 as pdfium
    import pytesseract
    from PIL import ImageFilter

    document = pdfium.PdfDocument(data)
    try:
        page = document[page_index]
        try:
            width, height = page.get_size()
            scale = OCR_DPI / 72
            pixels = width * height * scale * scale
            if pixels > _MAX_PIXELS:
                scale *= (_MAX_PIXELS / pixels) ** 0.5
            bitmap = page.render(scale=scale, grayscale=True)
            # A 3-pixel median filter removes scanner speckles that Tesseract reads as letters.
            image = bitmap.to_pil().filter(ImageFilter.MedianFilter(3))
        finally:
            page.close()
    finally:
        document.close()
    # Tesseract's OpenMP threads make it several times slower on a small, busy machine; one thread a page
    # is faster. Respect a value the user has set.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    text: str = pytesseract.image_to_string(image, lang=OCR_LANG, config="--psm 3")
    return fix_paragraph_signs(text)


_MISREAD_SECTION = re.compile(r"(lovens|loven|lov|Lov|jf\.|jævnfør|efter|SEL|BL) [8S$&](?= ?\d{1,3}\b)")


def fix_paragraph_signs(text: str) -> str:
    """Tesseract often reads "§" as "8", "S", "$" or "&": "servicelovens 8 140" -> "servicelovens § 140"."""
    return _MISREAD_SECTION.sub(r"\1 §", text)
