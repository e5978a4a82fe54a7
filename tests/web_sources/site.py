"""A small fake municipal website on loopback: sitemap, nested pages, PDF and Word files, robots.txt, ETag and
Last-Modified, a redirect away, a slow page, an oversized file and a link loop; every request is logged."""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import io
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LAST_MODIFIED = "Tue, 03 Sep 2024 08:00:00 GMT"
PDF = "/media/1234/kvalitetsstandard-aflastning-2021.pdf"
DOCX = "/media/5678/indsatskatalog-familieomraadet-2022.docx"
BIG = "/media/9999/stor-rapport.pdf"


def build_pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title("Kvalitetsstandard for aflastning 2021")
    pdf.set_creation_date(datetime.datetime(2021, 5, 3, tzinfo=datetime.UTC))
    for heading, text in (
        (
            "Kvalitetsstandard for aflastning",
            "Aflastning gives efter Barnets Lov til familier med et barn med "
            "nedsat funktionsevne, så forældrene får et pusterum og familien kan fungere i hverdagen.",
        ),
        (
            "Opfølgning",
            "Rådgiveren følger op på aflastningen hvert halve år sammen med familien og "
            "aflastningsfamilien, og indsatsen ophører, når målene i handleplanen er nået.",
        ),
    ):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 14)
        pdf.cell(0, 12, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def build_docx() -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.title = "Indsatskatalog for familieområdet 2022"
    document.core_properties.created = datetime.datetime(2022, 2, 1, 9, 0)
    document.add_heading("Indsatskatalog for familieområdet", level=0)
    document.add_paragraph(
        "Kataloget beskriver indsatstrappen fra den tidlige forebyggende indsats til familiebehandling og "
        "anbringelse. Skole- og dagtilbudssocialrådgivere giver åben anonym rådgivning i familiehuset."
    )
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def html(title: str, body: str, links: list[str] = ()) -> bytes:  # type: ignore[assignment]
    anchors = "".join(f'<li><a href="{href}">{href}</a></li>' for href in links)
    return (
        f"<!doctype html><html lang='da'><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f"<main><h1>{title}</h1><p>{body}</p><ul>{anchors}</ul></main></body></html>"
    ).encode()


@dataclass
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    etag: bool = True  # HTML pages answer with an ETag; files only with Last-Modified
    status: int = 200
    location: str | None = None
    delay_s: float = 0.0


@dataclass
class Site:
    """The site's pages (changed by tests between runs) and what was asked of it."""

    pages: dict[str, Page] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)  # (path, answer, headers)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0
    fallback: Callable[[str], Page | None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def paths(self, answer: str | None = None) -> list[str]:
        with self.lock:
            return [p for p, a, _ in self.requests if answer is None or a == answer]

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            page = site.pages.get(self.path) or (site.fallback(self.path) if site.fallback else None)
            headers = {k.lower(): v for k, v in self.headers.items()}
            if page is None:
                self._log("404", headers)
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if page.delay_s:
                time.sleep(page.delay_s)
            etag = '"' + hashlib.sha256(page.body).hexdigest()[:16] + '"'
            fresh = (page.etag and headers.get("if-none-match") == etag) or (
                not page.etag and headers.get("if-modified-since") == LAST_MODIFIED
            )
            if page.status == 200 and fresh:
                self._log("304", headers)
                self.send_response(304)
                self.end_headers()
                return
            self._log(str(page.status), headers)
            self.send_response(page.status)
            if page.location:
                self.send_header("Location", page.location)
            self.send_header("Content-Type", page.content_type)
            self.send_header("Content-Length", str(len(page.body)))
            self.send_header("Last-Modified", LAST_MODIFIED)
            self.send_header("Set-Cookie", "sporing=1; Path=/")
            if page.etag:
                self.send_header("ETag", etag)
            self.end_headers()
            # The crawler may give up on a slow or big answer halfway.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(page.body)

        def _log(self, answer: str, headers: dict[str, str]) -> None:
            with site.lock:
                site.requests.append((self.path, answer, headers))

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


class Server:
    """ThreadingHTTPServer on 127.0.0.1 with a free port, in a daemon thread."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
        self.httpd.daemon_threads = True
        site.port = int(self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Site:
        self.thread.start()
        return self.site

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def municipal_site(other: str) -> Site:
    """The fake site of a municipality's children-and-families department; `other` is another host."""
    site = Site()
    start = "/born-og-familie"
    site.pages = {
        "/robots.txt": Page(
            b"User-agent: *\nDisallow: /born-og-familie/intern/\n\nSitemap: /sitemap_index.xml\n",
            "text/plain",
        ),
        "/born-og-familie": Page(
            html(
                "Børn og familie",
                "Her finder du kommunens kvalitetsstandarder og tilbud til børn, unge og familier.",
                [
                    "/born-og-familie/kvalitetsstandarder",
                    "/born-og-familie/forebyggelse",
                    PDF,
                    "/born-og-familie/intern/notat",
                    "/kultur/koncerter",
                    "/born-og-familie/flyttet",
                    "/born-og-familie/langsom",
                    BIG,
                    "/born-og-familie/kalender?side=1",
                    "mailto:familie@eksempel.dk",
                    "http://bruger:hemmelig@127.0.0.1/born-og-familie/login",
                    f"{other}/fremmed-side",
                ],
            )
        ),
        "/born-og-familie/kvalitetsstandarder": Page(
            html(
                "Kvalitetsstandarder for børn og familier",
                "Kvalitetsstandarderne beskriver kommunens serviceniveau for familiebehandling, aflastning og "
                "fast kontaktperson efter Barnets Lov.",
                [start, DOCX, "/born-og-familie/forsvinder", "/born-og-familie/kvalitetsstandarder"],
            )
        ),
        "/born-og-familie/forebyggelse": Page(
            html(
                "Strategi for forebyggelse",
                "Strategien for den tidlige forebyggende indsats 2023 samler familiehuse og åben rådgivning.",
            )
        ),
        "/born-og-familie/forsvinder": Page(
            html(
                "Notat om sagstal",
                "Notatet viser sagstallet pr. socialrådgiver i 2022: i gennemsnit 28 børnesager.",
            )
        ),
        "/born-og-familie/intern/notat": Page(html("Internt notat", "Må ikke høstes.")),
        "/kultur/koncerter": Page(html("Koncerter", "Uden for startstien.")),
        "/born-og-familie/flyttet": Page(b"", status=302, location=f"{other}/ny-plads"),
        "/born-og-familie/langsom": Page(html("Langsom side", "Svarer for sent."), delay_s=2.0),
        PDF: Page(build_pdf(), "application/pdf", etag=False),
        DOCX: Page(
            build_docx(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            etag=False,
        ),
        BIG: Page(b"%PDF-1.4\n" + b"0" * 400_000, "application/pdf", etag=False),
        "/sitemap_index.xml": Page(
            b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            b"<sitemap><loc>/sitemap-sider.xml</loc></sitemap></sitemapindex>",
            "application/xml",
        ),
    }
    site.fallback = _calendar
    return site


def _calendar(path: str) -> Page | None:
    """An endless calendar: every page links to the next one (a loop only a depth limit ends)."""
    prefix = "/born-og-familie/kalender?side="
    if not path.startswith(prefix) or not path[len(prefix) :].isdigit():
        return None
    number = int(path[len(prefix) :])
    return Page(html(f"Kalender side {number}", "Arrangementer.", [f"{prefix}{number + 1}"]))


def add_sitemap(site: Site) -> None:
    """The sitemap with absolute URLs (known only once the port is)."""
    urls = [
        "/born-og-familie/forebyggelse",
        "/born-og-familie/intern/notat",
        "/kultur/koncerter",
        "/ingen/side",
    ]
    locs = "".join(f"<url><loc>{site.url}{u}</loc></url>" for u in urls)
    site.pages["/sitemap-sider.xml"] = Page(
        f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'.encode(),
        "application/xml",
    )
