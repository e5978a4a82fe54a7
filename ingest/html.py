"""HTML reading: declared charset, main content without navigation/cookie/footer boilerplate, headings."""

from __future__ import annotations

import logging
import re
from typing import Any

from core.types import Block, ParsedFile
from ingest.text import decode_text

log = logging.getLogger(__name__)

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_\-.]+)""", re.I)
_BOILERPLATE_TAGS = (
    "script",
    "style",
    "noscript",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "template",
    "svg",
)
_BOILERPLATE_ATTR = re.compile(
    r"cookie|consent|gdpr|(?:^|[\s_-])(?:menu|nav|navigation|navbar|breadcrumbs?|banner|share|skip-?link|sidebar)(?:$|[\s_-])",
    re.I,
)
_DATE_META = (
    "date",
    "dcterms.created",
    "dc.date",
    "dc.date.created",
    "dcterms.date",
    "dcterms.issued",
    "article:published_time",
    "publication_date",
    "pubdate",
)


def decode_html(data: bytes) -> str:
    """Decode with the charset the page declares (meta or XML declaration), else like plain text."""
    head = data[:4096]
    m = _CHARSET.search(head) or _XML_ENCODING.search(head)
    if m and not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        encoding = m.group(1).decode("ascii", errors="ignore")
        try:
            return data.decode(encoding).replace("\r\n", "\n").replace("\r", "\n")
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_text(data)


def _iso_date(value: str) -> str | None:
    m = re.search(r"(\d{4})-(\d{2})-(\d{2})", value) or re.search(r"(\d{4})(\d{2})(\d{2})", value)
    if m:
        return f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
    m = re.search(r"\b(\d{1,2})[./-](\d{1,2})[./-](\d{4})\b", value)
    if m:
        return f"{m.group(3)}-{int(m.group(2)):02d}-{int(m.group(1)):02d}"
    return None


def _metadata(soup: Any) -> dict[str, str]:
    meta: dict[str, str] = {}
    found: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        key = str(tag.get("property") or tag.get("name") or tag.get("itemprop") or "").strip().lower()
        content = " ".join(str(tag.get("content") or "").split())
        if key and content and key not in found:
            found[key] = content
    title_tag = soup.find("title")
    h1 = soup.find("h1")
    for candidate in (
        found.get("og:title"),
        found.get("dc.title") or found.get("dcterms.title"),
        title_tag.get_text(" ", strip=True) if title_tag else None,
        h1.get_text(" ", strip=True) if h1 else None,
    ):
        if candidate:
            meta["title"] = " ".join(candidate.split())
            break
    for key in ("author", "dc.creator", "dcterms.creator", "article:author"):
        if found.get(key):
            meta["author"] = found[key]
            break
    publisher = found.get("og:site_name") or found.get("dc.publisher") or found.get("dcterms.publisher")
    if publisher:
        meta["publisher"] = publisher
    for key in ("description", "og:description"):
        if found.get(key):
            meta["subject"] = found[key]
            break
    if found.get("keywords"):
        meta["keywords"] = found["keywords"]
    for key in _DATE_META:
        if found.get(key):
            iso = _iso_date(found[key])
            if iso:
                meta["created"] = iso
                break
    if "created" not in meta:
        time_tag = soup.find("time", attrs={"datetime": True})
        iso = _iso_date(str(time_tag.get("datetime"))) if time_tag else None
        if iso:
            meta["created"] = iso
    return meta


def _blocks_from_trafilatura(html: str) -> list[Block]:
    import trafilatura
    from lxml import etree

    try:
        xml = trafilatura.extract(
            html, output_format="xml", include_tables=True, include_comments=False, favor_recall=True
        )
    except Exception as exc:  # trafilatura gives up on odd markup; the fallback handles it
        log.debug("trafilatura fejlede: %s", exc)
        return []
    if not xml:
        return []
    try:
        root = etree.fromstring(xml.encode("utf-8"))
    except etree.XMLSyntaxError:
        return []
    main = root.find("main")
    blocks: list[Block] = []
    for node in main if main is not None else root:
        tag = node.tag
        text = " ".join("".join(node.itertext()).split())
        if tag == "head" and text:
            rend = str(node.get("rend") or "h2")
            level = int(rend[1]) if re.fullmatch(r"h[1-6]", rend) else 2
            blocks.append(Block(text, 1, "heading", level))
        elif tag == "list":
            items = [" ".join("".join(i.itertext()).split()) for i in node.iter("item")]
            items = [i for i in items if i]
            if items:
                blocks.append(Block("\n".join("• " + i for i in items), 1, "list"))
        elif tag == "table":
            rows = [
                [(" ".join("".join(c.itertext()).split()), c.get("role") == "head") for c in row.iter("cell")]
                for row in node.iter("row")
            ]
            text = _table_text(rows)
            if text:
                blocks.append(Block(text, 1, "table"))
        elif text:
            blocks.append(Block(text, 1, "paragraph"))
    return blocks


def _table_text(rows: list[list[tuple[str, bool]]]) -> str:
    rows = [r for r in rows if any(text for text, _ in r)]
    if not rows:
        return ""
    if len(rows) >= 2 and all(is_head for _, is_head in rows[0]):
        header = [text for text, _ in rows[0]]
        lines = []
        for row in rows[1:]:
            pairs = [
                f"{header[i]}: {text}" if i < len(header) and header[i] else text
                for i, (text, _) in enumerate(row)
                if text
            ]
            lines.append(" · ".join(pairs))
        return "\n".join(lines)
    return "\n".join(" | ".join(text for text, _ in row if text) for row in rows)


def strip_boilerplate(soup: Any) -> None:
    """Drop scripts, navigation, menus, cookie/consent banners, asides and the page's header/footer."""
    for tag in soup.find_all(_BOILERPLATE_TAGS):
        if tag.decomposed:
            continue
        if tag.name in ("header", "footer") and tag.find_parent(["article", "main"]) is not None:
            continue  # an article's own header holds its title
        tag.decompose()
    for tag in soup.find_all(
        attrs={"role": re.compile("navigation|banner|contentinfo|dialog|alertdialog", re.I)}
    ):
        if not tag.decomposed:
            tag.decompose()
    total = len(soup.get_text(" ", strip=True)) or 1
    for tag in soup.find_all(True):
        if tag.decomposed or tag.name in ("body", "html", "main", "article"):
            continue
        marker = " ".join([str(tag.get("id") or ""), *[str(c) for c in tag.get("class") or []]])
        if not marker.strip() or not _BOILERPLATE_ATTR.search(marker):
            continue
        if len(tag.get_text(" ", strip=True)) < 0.5 * total:  # never a wrapper holding most of the page
            tag.decompose()


def _blocks_from_soup(soup: Any) -> list[Block]:
    """The page's own structure (after strip_boilerplate): headings, paragraphs, list items, tables."""
    root = soup.find("main") or soup.find("article") or soup.body or soup
    blocks: list[Block] = []
    for node in root.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "table", "blockquote", "pre"]):
        if node.find_parent("table") is not None:
            continue  # the table is rendered as a whole
        if node.name != "table" and node.find_parent(["li", "blockquote"]) is not None:
            continue  # its text is part of the enclosing item or quote
        if node.name == "table":
            rows = [
                [(c.get_text(" ", strip=True), c.name == "th") for c in tr.find_all(["th", "td"])]
                for tr in node.find_all("tr")
            ]
            text = _table_text(rows)
            if text:
                blocks.append(Block(text, 1, "table"))
            continue
        text = " ".join(node.get_text(" ", strip=True).split())
        if not text:
            continue
        if node.name[0] == "h":
            blocks.append(Block(text, 1, "heading", int(node.name[1])))
        elif node.name == "li":
            if blocks and blocks[-1].kind == "list":
                blocks[-1] = Block(blocks[-1].text + "\n• " + text, 1, "list")
            else:
                blocks.append(Block("• " + text, 1, "list"))
        else:
            blocks.append(Block(text, 1, "paragraph"))
    if not blocks:  # text straight inside <div>s and <br>s
        lines = (" ".join(x.split()) for x in root.get_text("\n").split("\n"))
        blocks = [Block(line, 1, "paragraph") for line in lines if line]
    return blocks


def _words(blocks: list[Block]) -> int:
    return sum(len(b.text.split()) for b in blocks)


def parse_html(data: bytes) -> ParsedFile:
    """Parse a web page: main content as heading/paragraph/list/table blocks, title and date metadata."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode_html(data), "lxml")
    meta = _metadata(soup)
    strip_boilerplate(soup)
    cleaned = str(soup)
    blocks = _blocks_from_trafilatura(cleaned)
    fallback = _blocks_from_soup(soup)
    # trafilatura is the better judge of main content on real pages, but on short pages it may drop
    # most of the text or flatten the headings; then the page's own structure is used.
    lost_text = _words(blocks) < 0.3 * _words(fallback)
    lost_headings = any(b.kind == "heading" for b in fallback) and not any(
        b.kind == "heading" for b in blocks
    )
    if not blocks or lost_text or lost_headings:
        blocks = fallback
    return ParsedFile(blocks=blocks, page_count=1, meta=meta)
