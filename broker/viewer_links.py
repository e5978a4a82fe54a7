"""Links to the document viewer (/vis/…): the cited page and quote for a PDF, the cited passage otherwise."""

from __future__ import annotations

from urllib.parse import quote as escape_url

MAX_QUOTE_CHARS = 300  # enough to find the passage; keeps links short


def paged(source: str) -> bool:
    """True when the document's page numbers are real: only a PDF has pages (Word, web pages and text
    have passages, cited as "afsnit")."""
    return source.partition("#")[0].lower().endswith(".pdf")


def viewer_quote(text: str) -> str:
    """The start of a passage, cut at a word, as the viewer looks for it."""
    words = " ".join(text.split())
    if len(words) > MAX_QUOTE_CHARS:
        cut = words[:MAX_QUOTE_CHARS]
        words = cut[: cut.rfind(" ")] if " " in cut else cut
    return words.rstrip(" |")  # a table cell's bar is the index's, not the document's


def viewer_url(doc_id: str, page: int | None, quote: str, *, is_paged: bool = True) -> str:
    """The viewer opened at the cited page (PDF) with the quote highlighted."""
    parts = []
    if page and is_paged:
        parts.append(f"side={page}")
    if quote.strip():
        parts.append("citat=" + escape_url(viewer_quote(quote), safe=""))
    return f"/vis/{escape_url(doc_id, safe='')}" + ("?" + "&".join(parts) if parts else "")
