"""File-type sniffing by real content (magic bytes, markup, JSON lines); the file name is only a hint."""

from __future__ import annotations

import contextlib
import io
import json
import re
import zipfile

from core.errors import BadFile, UnsupportedFile

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
TEXT_EXTENSIONS = (".txt", ".md", ".markdown", ".text", ".csv", ".tsv", ".log", ".rst", ".jsonl", ".ndjson")
OFFICE_EXTENSIONS = (".docx", ".docm", ".dotx", ".xlsx", ".xlsm", ".pptx", ".pptm")
JSONL_SAMPLE_LINES = 2000  # lines judged; the parser reports any bad line further on
SUPPORTED = "Understøttede formater er PDF, Word (.docx), HTML, tekst/Markdown og JSON Lines."

# (magic prefix, Danish description) of common non-document formats.
_FOREIGN_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "et billede (PNG)"),
    (b"\xff\xd8\xff", "et billede (JPEG)"),
    (b"GIF87a", "et billede (GIF)"),
    (b"GIF89a", "et billede (GIF)"),
    (b"II*\x00", "et billede (TIFF)"),
    (b"MM\x00*", "et billede (TIFF)"),
    (b"MZ", "et program (Windows .exe/.dll)"),
    (b"\x7fELF", "et program (ELF)"),
    (b"\xcf\xfa\xed\xfe", "et program (Mach-O)"),
    (b"\xfe\xed\xfa\xcf", "et program (Mach-O)"),
    (b"\xca\xfe\xba\xbe", "et program (Java/Mach-O)"),
    (b"\x1f\x8b", "et komprimeret arkiv (gzip)"),
    (b"7z\xbc\xaf\x27\x1c", "et komprimeret arkiv (7z)"),
    (b"Rar!\x1a\x07", "et komprimeret arkiv (RAR)"),
    (b"BZh", "et komprimeret arkiv (bzip2)"),
    (b"\xfd7zXZ\x00", "et komprimeret arkiv (xz)"),
    (b"{\\rtf", "et RTF-dokument"),
    (b"SQLite format 3\x00", "en SQLite-database"),
    (b"ID3", "en lydfil (MP3)"),
    (b"OggS", "en lyd- eller videofil (Ogg)"),
)

_HTML_MARKERS = re.compile(rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<meta\s[^>]*charset", re.I)
_HTML_TAGS = re.compile(rb"<(?:p|div|h[1-6]|article|section|main|span|table|ul|title)[\s>]", re.I)


def _ext(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def _is_binary(sample: bytes) -> bool:
    """NUL bytes or many control characters: not text (UTF-16 with BOM is handled before this)."""
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if (b < 32 and b not in (9, 10, 12, 13)) or b == 127)
    return control > max(2, len(sample) * 0.05)


def _is_pdf(data: bytes) -> bool:
    """The PDF signature opens the file (after white space). Readers also accept junk before it within the
    first kilobyte; such a file counts as PDF only when that junk is no markup and it ends like a PDF, so
    an HTML page or a text that merely mentions "%PDF-" near its start stays what it is."""
    head = data[:1024]
    if head.lstrip(b" \t\r\n\x0c\x00").startswith(b"%PDF-"):
        return True
    at = head.find(b"%PDF-")
    return at > 0 and b"<" not in head[:at] and b"%%EOF" in data[-2048:]


def _jsonl_with_binary_lines(data: bytes, ext: str) -> bool:
    """A JSON Lines export where a few records carry raw binary bytes (NUL): the parser drops those records
    with a reason, so the file is not refused whole as binary."""
    if not data.lstrip().startswith(b"{"):
        return False
    lines = [line for line in data[:2_000_000].split(b"\n")[:JSONL_SAMPLE_LINES] if line.strip()]
    if len(data) > 2_000_000 and len(lines) > 1:
        lines = lines[:-1]  # judge whole lines only
    clean = [line for line in lines if not _is_binary(line)]
    if not clean or len(clean) < 0.5 * len(lines):
        return False
    from ingest.text import decode_text

    return _looks_like_jsonl(decode_text(b"\n".join(clean)), hinted=ext in (".jsonl", ".ndjson"))


def _sniff_zip(data: bytes, name: str) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        if _ext(name) in OFFICE_EXTENSIONS:
            raise BadFile(
                "Word-filen er beskadiget eller ufuldstændig (zip-arkivet kan ikke åbnes)", code="corrupt"
            ) from exc
        raise UnsupportedFile("Filen er et beskadiget zip-arkiv og ikke et dokument. " + SUPPORTED) from exc
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        raise UnsupportedFile("Filen er et Excel-regneark (.xlsx), som ikke understøttes. " + SUPPORTED)
    if "ppt/presentation.xml" in names:
        raise UnsupportedFile(
            "Filen er en PowerPoint-præsentation (.pptx), som ikke understøttes. " + SUPPORTED
        )
    if "content.xml" in names and "mimetype" in names:
        raise UnsupportedFile(
            "Filen er et OpenDocument-dokument (.odt/.ods), som ikke understøttes. " + SUPPORTED
        )
    raise UnsupportedFile("Filen er et zip-arkiv og ikke et Word-dokument (.docx). " + SUPPORTED)


def _sniff_cfb(data: bytes, name: str) -> str:
    if ENCRYPTED_PACKAGE in data[:1_000_000] or _ext(name) in OFFICE_EXTENSIONS:
        raise BadFile(
            "Office-dokumentet er beskyttet med adgangskode (krypteret) og kan ikke læses. "
            "Fjern adgangskoden og gem filen igen.",
            code="encrypted",
        )
    if _ext(name) in (".doc", ".dot"):
        raise UnsupportedFile(
            "Filen er i det gamle Word-format (.doc), som ikke understøttes. Gem den som .docx eller PDF."
        )
    raise UnsupportedFile("Filen er et gammelt Office-dokument (OLE), som ikke understøttes. " + SUPPORTED)


def _looks_like_jsonl(text: str, *, hinted: bool) -> bool:
    """Every non-empty line a JSON object. Some bad lines are tolerated (the parser reports them): in a
    file named .jsonl/.ndjson up to half, otherwise a few among many."""
    lines = [x for x in text.split("\n", JSONL_SAMPLE_LINES + 1)[:JSONL_SAMPLE_LINES] if x.strip()]
    if not lines or not lines[0].lstrip().startswith("{"):
        return False
    good = 0
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("{") and stripped.endswith("}"):
            with contextlib.suppress(ValueError):
                good += isinstance(json.loads(stripped), dict)
    if good == len(lines):
        return True
    if hinted:
        return good >= 0.5 * len(lines)
    return len(lines) >= 10 and good >= 0.9 * len(lines)


def sniff(data: bytes, name: str) -> str:
    """Return "pdf", "docx", "html", "text" or "jsonl" for the content, or raise a Danish error."""
    if not data:
        raise BadFile("Filen er tom (0 bytes)", code="empty")
    ext = _ext(name)
    if _is_pdf(data):
        return "pdf"
    if data.startswith(CFB_MAGIC):
        return _sniff_cfb(data, name)
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_zip(data, name)
    for magic, what in _FOREIGN_MAGIC:
        if data.startswith(magic):
            raise UnsupportedFile(f"Filen er {what} og ikke et dokument. " + SUPPORTED)
    if data[8:12] == b"WEBP" and data.startswith(b"RIFF"):
        raise UnsupportedFile("Filen er et billede (WebP) og ikke et dokument. " + SUPPORTED)
    if data[4:12] in (b"ftypisom", b"ftypmp42", b"ftypheic", b"ftypqt  "):
        raise UnsupportedFile("Filen er en video- eller billedfil og ikke et dokument. " + SUPPORTED)

    from ingest.text import decode_text  # local import keeps this module light

    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    sample = data[:65536]
    if not utf16 and _is_binary(sample) and not _jsonl_with_binary_lines(data, ext):
        if ext == ".pdf":
            raise BadFile("PDF-filen er beskadiget (den mangler PDF-signaturen %PDF)", code="corrupt")
        if ext in (".docx", ".doc"):
            raise BadFile("Word-filen er beskadiget (den er hverken .docx eller .doc)", code="corrupt")
        if ext in TEXT_EXTENSIONS or ext in (".html", ".htm", ".json"):
            raise UnsupportedFile("Filen er binær og ikke en tekstfil")
        raise UnsupportedFile("Filen er binær, og formatet genkendes ikke. " + SUPPORTED)

    head = decode_text(sample[:8192] if not utf16 else data[:16384]).lstrip()
    head_bytes = head[:4096].encode("utf-8", errors="replace")
    if _HTML_MARKERS.search(head_bytes) or (
        ext in (".html", ".htm", ".xhtml", ".aspx", ".php") and _HTML_TAGS.search(head_bytes)
    ):
        return "html"
    if head.startswith("<?xml") or (head.startswith("<") and ext == ".xml"):
        raise UnsupportedFile("Filen er et XML-dokument, som ikke understøttes. " + SUPPORTED)
    if head.startswith("{"):
        sample = data[:2_000_000]
        if len(sample) < len(data) and b"\n" in sample:
            sample = sample[: sample.rfind(b"\n")]  # judge whole lines only
        if _looks_like_jsonl(decode_text(sample), hinted=ext in (".jsonl", ".ndjson")):
            return "jsonl"
    if ext in (".json", ".jsonl", ".ndjson"):
        raise UnsupportedFile("JSON-filen er ikke i JSON Lines-format (ét JSON-objekt pr. linje)")
    return "text"
