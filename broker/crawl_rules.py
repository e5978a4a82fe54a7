"""Pure decisions of the web harvest: URLs, the crawl's bounds, links, sitemaps, robots.txt and file names."""

from __future__ import annotations

import fnmatch
import hashlib
import html
import re
import zlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit

from protego import Protego

ROBOTS_AGENT = "Vidensmaegler"  # the product token robots.txt rules are matched against
DOCUMENT_SUFFIXES = (".pdf", ".docx")
_KINDS = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
}
_SUFFIX = {"html": ".html", "pdf": ".pdf", "docx": ".docx"}
_LOC = re.compile(rb"<(?:\w+:)?loc>\s*(.*?)\s*</(?:\w+:)?loc>", re.S | re.I)
_SAFE_NAME = re.compile(r"[^\w.\-]+")


def normalize(url: str, base: str | None = None) -> str | None:
    """An absolute http(s) URL without fragment, host lower-cased, default port dropped; None when the link
    is of another scheme or carries credentials (a user name or password is never sent anywhere)."""
    try:
        joined = urljoin(base, url.strip()) if base else url.strip()
        parts = urlsplit(urldefrag(joined)[0])
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        return None
    host = parts.hostname.lower()
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        host = f"{host}:{port}"
    path = urlsplit(urljoin("http://h/", parts.path or "/")).path  # "/a/../b" -> "/b"
    return urlunsplit((scheme, host, path, parts.query, ""))


def host_of(url: str) -> str:
    """The host with a non-default port ("www.eksempel.dk", "127.0.0.1:8042")."""
    return urlsplit(url).netloc


def looks_like_document(url: str) -> bool:
    return urlsplit(url).path.lower().endswith(DOCUMENT_SUFFIXES)


@dataclass(frozen=True)
class Scope:
    """What one web source may fetch: its hosts, pages under the start path, and the patterns given."""

    start: str
    hosts: frozenset[str]
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    prefix: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "prefix", urlsplit(self.start).path.rstrip("/"))

    def _target(self, url: str) -> str:
        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def allows_host(self, url: str) -> bool:
        return host_of(url) in self.hosts

    def under_start(self, url: str) -> bool:
        path = urlsplit(url).path
        return host_of(url) == host_of(self.start) and (
            path.rstrip("/") == self.prefix or path.startswith(self.prefix + "/")
        )

    def excluded(self, url: str) -> bool:
        return any(fnmatch.fnmatchcase(self._target(url), p) for p in self.exclude)

    def fetches(self, url: str) -> bool:
        """Pages under the start path, and documents (PDF, Word) linked from them anywhere on the hosts."""
        if not self.allows_host(url) or self.excluded(url):
            return False
        return self.under_start(url) or looks_like_document(url)

    def follows(self, url: str) -> bool:
        """Whether links on this page are followed: only pages under the start path."""
        return self.under_start(url) and not self.excluded(url)

    def indexes(self, url: str) -> bool:
        """With --include patterns, only what matches one is stored and indexed (pages are still read
        for their links)."""
        return not self.include or any(fnmatch.fnmatchcase(self._target(url), p) for p in self.include)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.base: str | None = None
        self.nofollow = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): v or "" for k, v in attrs}
        if tag == "a" and values.get("href") and "nofollow" not in values.get("rel", "").lower():
            self.hrefs.append(values["href"])
        elif tag == "base" and values.get("href") and self.base is None:
            self.base = values["href"]
        elif tag == "meta" and values.get("name", "").lower() == "robots":
            self.nofollow = self.nofollow or "nofollow" in values.get("content", "").lower()


def page_links(data: bytes, url: str) -> list[str]:
    """The normalised links of an HTML page, in order, once each; none when the page says nofollow."""
    parser = _Links()
    try:
        parser.feed(data.decode("utf-8", errors="replace"))
        parser.close()
    except (AssertionError, ValueError):  # a badly broken page: keep the links read so far
        pass
    if parser.nofollow:
        return []
    base = normalize(parser.base, url) if parser.base else url
    found = (normalize(href, base or url) for href in parser.hrefs)
    return list(dict.fromkeys(link for link in found if link))


def parse_sitemap(data: bytes, url: str, limit: int = 50 * 1024 * 1024) -> tuple[list[str], list[str]]:
    """(page URLs, further sitemap URLs) of a sitemap or a sitemap index, also gzipped (unpacked to at most
    `limit` bytes); malformed entries are left out."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = zlib.decompressobj(wbits=31).decompress(data, limit)
        except zlib.error:
            return [], []
    is_index = b"<sitemapindex" in data[:2000].lower()
    locs = (normalize(html.unescape(m.decode("utf-8", errors="replace")), url) for m in _LOC.findall(data))
    found = list(dict.fromkeys(loc for loc in locs if loc))
    return ([], found) if is_index else (found, [])


@dataclass(frozen=True)
class Robots:
    """A host's robots.txt as it applies to this service."""

    parser: Protego | None  # None: no robots.txt (404): everything allowed

    @classmethod
    def parse(cls, text: str | None) -> Robots:
        return cls(Protego.parse(text) if text is not None else None)

    def allows(self, url: str) -> bool:
        return self.parser is None or bool(self.parser.can_fetch(url, ROBOTS_AGENT))

    def delay(self, minimum: float, maximum: float) -> float:
        """Seconds between two requests: our own minimum, or the site's Crawl-delay when longer (capped)."""
        asked = self.parser.crawl_delay(ROBOTS_AGENT) if self.parser is not None else None
        return max(minimum, min(float(asked or 0.0), maximum))

    def sitemaps(self) -> list[str]:
        return list(self.parser.sitemaps) if self.parser is not None else []


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))


def kind_of(content_type: str, url: str) -> str | None:
    """ "html", "pdf" or "docx" from the response's type (or the URL's suffix for a generic type)."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media in _KINDS:
        return _KINDS[media]
    if media in ("", "application/octet-stream", "binary/octet-stream", "application/download"):
        path = urlsplit(url).path.lower()
        return next((k for k, s in _SUFFIX.items() if k != "html" and path.endswith(s)), None)
    return None


def stored_name(url: str, kind: str) -> str:
    """Where the stored copy of a URL lives inside its source's folder: "<host>/<url hash>/<name>".

    The name keeps the URL's last segment (titles, years and types are also read from file names), with the
    suffix of the content's kind so the parsers recognise it."""
    parts = urlsplit(url)
    segment = parts.path.rstrip("/").rsplit("/", 1)[-1] or "index"
    name = _SAFE_NAME.sub("-", segment).strip("-.")[:80] or "index"
    suffix = _SUFFIX[kind]
    if not name.lower().endswith(suffix):
        name += suffix
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    host = _SAFE_NAME.sub("_", parts.netloc)
    return f"{host}/{digest}/{name}"


def citation(url: str, kind: str, page: int) -> str:
    """The link a reader follows: a PDF opens on the cited page."""
    return f"{url}#page={page}" if kind == "pdf" and page > 0 else url
