"""The web harvest's I/O: polite HTTP requests, robots.txt, sitemaps and links, stored copies, two-run removal."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from broker.crawl_rules import (
    ROBOTS_AGENT,
    Robots,
    Scope,
    host_of,
    kind_of,
    normalize,
    page_links,
    parse_sitemap,
    robots_url,
    stored_name,
)
from core.settings import Settings
from core.types import FileFailure
from index.web_state import PageState

MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class WebOptions:
    """A web source as registered: where to start and how far to go."""

    url: str
    max_pages: int
    max_depth: int
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()  # further hosts the crawl may fetch from (the start URL's host always)
    kommune: str | None = None  # the municipality of every document, when the host does not tell it

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WebOptions:
        return cls(
            url=str(data["url"]),
            max_pages=int(data["max_pages"]),
            max_depth=int(data["max_depth"]),
            include=tuple(data.get("include") or ()),
            exclude=tuple(data.get("exclude") or ()),
            hosts=tuple(data.get("hosts") or ()),
            kommune=data.get("kommune"),
        )

    def scope(self) -> Scope:
        return Scope(self.url, frozenset({host_of(self.url), *self.hosts}), self.include, self.exclude)


@dataclass
class CrawlOutcome:
    """What one run did. `pages` is what to remember; `removed` maps URLs dropped now to their copies."""

    pages: dict[str, PageState]
    fetched: list[str] = field(default_factory=list)  # new or changed content, stored
    not_modified: list[str] = field(default_factory=list)  # the site answered 304
    unchanged: list[str] = field(default_factory=list)  # downloaded again, same content
    gone: list[str] = field(default_factory=list)  # missing this run, kept until the next one
    removed: dict[str, str] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (URL, reason) not fetched on purpose
    failures: list[FileFailure] = field(default_factory=list)
    site_down: bool = False


class _Skip(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


class _Full(Exception):
    """The source's --max-pages is reached."""


class _Failed(Exception):
    def __init__(self, reason: str, code: str) -> None:
        self.reason, self.code = reason, code


@dataclass
class _Response:
    url: str  # after redirects inside the allowed hosts
    status: int
    headers: httpx.Headers
    body: bytes


def user_agent(settings: Settings) -> str:
    """Names the service, and whom a site can write to, in every request."""
    contact = f"; kontakt: {settings.web_contact}" if settings.web_contact else ""
    return f"{ROBOTS_AGENT}/1.0 (videnssogning i kommunale dokumenter{contact})"


class Harvester:
    """One run over one web source. Never sends credentials or cookies; follows redirects itself, and only
    to the allowed hosts; waits between requests to a host; caps every response's size and time."""

    def __init__(
        self,
        settings: Settings,
        options: WebOptions,
        root: Path,
        known: dict[str, PageState],
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.settings, self.options, self.root, self.known = settings, options, root, known
        self.scope = options.scope()
        self.limit = int(settings.web_max_mb * 1024 * 1024)
        self._robots: dict[str, Robots | None] = {}
        self._last: dict[str, float] = {}
        self.page_requests = 0
        self._client = httpx.Client(
            timeout=httpx.Timeout(settings.web_timeout_s),
            headers={"User-Agent": user_agent(settings), "Accept-Language": "da, en;q=0.5"},
            follow_redirects=False,
            trust_env=False,  # no .netrc credentials, no proxies from the environment
            proxy=settings.web_proxy,
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    # -- the run ---------------------------------------------------------------------------------
    def run(self) -> CrawlOutcome:
        out = CrawlOutcome(pages={})
        start = self.options.url
        try:
            self._robots_for(host_of(start), required=True)
            first = self._get(start, self.known.get(start))
        except (_Failed, _Skip) as exc:
            return self._down(out, exc.reason)
        if first.status not in (200, 304):
            return self._down(out, f"startsiden svarede {first.status}")
        frontier: deque[tuple[str, int, _Response | None]] = deque([(start, 0, first)])
        queued = {start, first.url}
        for url in self._sitemap_pages():
            if url not in queued:
                queued.add(url)
                frontier.append((url, 1, None))
        reached: set[str] = set()
        failed: set[str] = set()
        truncated = False
        self.page_requests = 1
        while frontier:
            url, depth, response = frontier.popleft()
            try:
                if response is None:
                    response = self._get(url, self.known.get(url), counted=True)
                queued.add(response.url)
                body = self._handle(url, response, out)
                if body is not None:
                    reached.add(url)
                    if depth < self.options.max_depth and self.scope.follows(url) and body[1] == "html":
                        for link in page_links(body[0], response.url):
                            if link not in queued and self.scope.fetches(link):
                                queued.add(link)
                                frontier.append((link, depth + 1, None))
            except _Full:
                truncated = True
                break
            except _Skip as exc:
                out.skipped.append((url, exc.reason))
            except _Failed as exc:
                failed.add(url)
                out.failures.append(FileFailure(url, exc.reason, exc.code))
        self._settle(out, reached, failed | (set(self.known) if truncated else set()))
        return out

    def failed(self, why: str) -> CrawlOutcome:
        """The outcome of a run that could not be completed: everything kept, the source reported failed."""
        return self._down(CrawlOutcome(pages={}), why)

    def _down(self, out: CrawlOutcome, why: str) -> CrawlOutcome:
        """A site that cannot be read keeps everything, and the source is reported failed."""
        out.pages = dict(self.known)
        out.site_down = True
        out.failures.append(
            FileFailure(
                self.options.url,
                f"Webstedet kunne ikke læses ({why}); kildens dokumenter er bevaret.",
                "site_down",
            )
        )
        return out

    def _handle(self, url: str, response: _Response, out: CrawlOutcome) -> tuple[bytes, str] | None:
        """Record a page's answer; returns its content and kind when it is there (for its links)."""
        prior = self.known.get(url)
        now = time.time()
        if response.status in (404, 410):
            return None  # counted as missing in _settle
        if response.status == 304 and prior is not None:
            out.not_modified.append(url)
            out.pages[url] = dataclasses.replace(prior, checked_at=now, missing_runs=0)
            with contextlib.suppress(OSError):
                return Path(prior.path).read_bytes(), prior.kind
            return b"", prior.kind
        if response.status != 200:
            raise _Failed(f"Siden svarede HTTP {response.status}", f"http_{response.status}")
        kind = kind_of(response.headers.get("content-type", ""), response.url)
        if kind is None:
            raise _Skip("ikke en side eller et dokument, der kan læses")
        if not self.scope.indexes(url):
            return response.body, kind
        digest = hashlib.sha256(response.body).hexdigest()
        etag, modified = response.headers.get("etag"), response.headers.get("last-modified")
        if prior is not None and prior.content_hash == digest and Path(prior.path).is_file():
            out.unchanged.append(url)
            out.pages[url] = dataclasses.replace(
                prior, etag=etag, last_modified=modified, checked_at=now, missing_runs=0
            )
            return response.body, kind
        path = self.root / stored_name(url, kind)
        if prior is not None and prior.path != str(path):
            with contextlib.suppress(OSError):
                os.unlink(prior.path)  # the content's kind changed: the old copy goes
        _write(path, response.body)
        out.fetched.append(url)
        out.pages[url] = PageState(url, str(path), kind, etag, modified, digest, now, now, 0)
        return response.body, kind

    def _settle(self, out: CrawlOutcome, reached: set[str], kept: set[str]) -> None:
        """Known pages not reached now: kept when their fetch failed; else missing, and after the second
        run in a row gone for good (their stored copy is deleted, so the index drops them)."""
        for url, state in self.known.items():
            if url in reached or url in out.pages:
                continue
            if url in kept:
                out.pages[url] = state
                continue
            if state.missing_runs + 1 >= 2:
                out.removed[url] = state.path
                _delete(Path(state.path))
            else:
                out.gone.append(url)
                out.pages[url] = dataclasses.replace(state, missing_runs=state.missing_runs + 1)

    def _sitemap_pages(self) -> Iterator[str]:
        """Pages listed in the sitemaps robots.txt names (else /sitemap.xml), sitemap indexes followed."""
        start = urlsplit(self.options.url)
        robots = self._robots.get(host_of(self.options.url))
        base = robots_url(self.options.url)
        listed = [u for u in (normalize(s, base) for s in (robots.sitemaps() if robots else [])) if u]
        todo = deque(listed or [urlunsplit((start.scheme, start.netloc, "/sitemap.xml", "", ""))])
        done: set[str] = set()
        while todo and len(done) < self.settings.web_max_sitemaps:
            url = todo.popleft()
            if url in done or not self.scope.allows_host(url):
                continue
            done.add(url)
            try:
                response = self._get(url, None)
            except (_Skip, _Failed):
                continue
            if response.status != 200:
                continue
            pages, more = parse_sitemap(response.body, response.url, self.limit)
            todo.extend(more)
            yield from (p for p in pages if self.scope.fetches(p))

    # -- HTTP ------------------------------------------------------------------------------------
    def _robots_for(self, host: str, *, required: bool = False) -> Robots:
        if host not in self._robots:
            scheme = urlsplit(self.options.url).scheme
            url = robots_url(f"{scheme}://{host}/")
            try:
                response = self._request(url, {}, self.settings.web_delay_s)
                for _ in range(MAX_REDIRECTS):  # RFC 9309: a robots.txt redirect is followed, five at most
                    target = _location(response, url) if response.status in _REDIRECTS else None
                    if target is None:
                        break
                    url = target
                    response = self._request(url, {}, self.settings.web_delay_s)
            except _Failed as exc:
                self._robots[host] = None
                if required:
                    raise
                raise _Failed(f"robots.txt kunne ikke hentes ({exc.reason})", "robots_unavailable") from None
            if response.status == 200:
                self._robots[host] = Robots.parse(response.body.decode("utf-8", errors="replace"))
            elif 300 <= response.status < 500:  # none (or redirects without end): nothing is forbidden
                self._robots[host] = Robots.parse(None)
            else:  # a server error: treat the whole host as forbidden for now (RFC 9309)
                self._robots[host] = None
        robots = self._robots[host]
        if robots is None:
            raise _Failed("robots.txt kunne ikke hentes", "robots_unavailable")
        return robots

    def _get(self, url: str, prior: PageState | None, *, counted: bool = False) -> _Response:
        """GET within robots.txt and the allowed hosts, conditional when a stored copy exists. A `counted`
        request (a page, not robots.txt or a sitemap) beyond the source's --max-pages raises _Full."""
        headers: dict[str, str] = {}
        if prior is not None and Path(prior.path).is_file():
            if prior.etag:
                headers["If-None-Match"] = prior.etag
            if prior.last_modified:
                headers["If-Modified-Since"] = prior.last_modified
        for _ in range(MAX_REDIRECTS + 1):
            robots = self._robots_for(host_of(url))
            if not robots.allows(url):
                raise _Skip("robots.txt forbyder den")
            delay = robots.delay(self.settings.web_delay_s, self.settings.web_max_crawl_delay_s)
            if counted:
                if self.page_requests >= self.options.max_pages:
                    raise _Full()
                self.page_requests += 1
            response = self._request(url, headers, delay)
            if response.status not in _REDIRECTS:
                return response
            target = _location(response, url)
            if target is None or not self.scope.allows_host(target):
                raise _Skip(f"viderestiller til en anden vært ({target or 'ukendt'})")
            url = target
        raise _Failed("For mange viderestillinger", "redirects")

    def _request(self, url: str, headers: dict[str, str], delay: float) -> _Response:
        self._wait(host_of(url), delay)
        deadline = time.monotonic() + self.settings.web_response_timeout_s
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                body = b""
                if response.status_code == 200:
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > self.limit:
                        raise _too_large(self.settings)
                    parts: list[bytes] = []
                    size = 0
                    for part in response.iter_bytes():
                        size += len(part)
                        if size > self.limit:
                            raise _too_large(self.settings)
                        if time.monotonic() > deadline:
                            raise _Failed("Svaret tog for lang tid", "timeout")
                        parts.append(part)
                    body = b"".join(parts)
                return _Response(url, response.status_code, response.headers, body)
        except httpx.TimeoutException:
            raise _Failed(f"Intet svar inden for {self.settings.web_timeout_s:g} s", "timeout") from None
        except httpx.HTTPError as exc:
            raise _Failed(f"Forbindelsen mislykkedes ({type(exc).__name__})", "network") from None
        finally:
            self._client.cookies.clear()  # a site's cookies are never sent back
            self._last[host_of(url)] = time.monotonic()

    def _wait(self, host: str, delay: float) -> None:
        last = self._last.get(host)
        if last is not None:
            remaining = delay - (time.monotonic() - last)
            if remaining > 0:
                time.sleep(remaining)


def _too_large(settings: Settings) -> _Failed:
    return _Failed(f"Filen er for stor (grænsen er {settings.web_max_mb:g} MB)", "too_large")


def _location(response: _Response, url: str) -> str | None:
    location = response.headers.get("location")
    return normalize(location, url) if location else None


def _write(path: Path, data: bytes) -> None:
    """Replace the stored copy in one step (a hidden temporary file renamed), so a scan never reads half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.parent / f".{path.name}.{os.getpid()}.tmp"
    temporary.write_bytes(data)
    os.replace(temporary, path)


def _delete(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
    with contextlib.suppress(OSError):
        path.parent.rmdir()  # the URL's own folder, when empty
