"""The web page in Debian's Chromium (Playwright), against the real service over a copy of the small index.

The copy adds a document whose text contains a <script> tag and HTML, and a broken PDF, synced as a re-index
so the status view has a real report with a failure. Only the new document is embedded (the rest come from
the embedding cache).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from broker.access import hash_key
from broker.indexing import sync
from broker.reindex import LAST_REINDEX
from core.settings import Settings
from index.embed import Embedder
from index.store import Store
from tests.api.conftest import LiveServer, serve
from tests.conftest import copy_index

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
LAPTOP = {"width": 1280, "height": 800}
TABLET = {"width": 820, "height": 1180}
PHONE = {"width": 390, "height": 844}

SCRIPT_NAME = "vejen_notat_script_2024.txt"
SCRIPT_DOC = (
    "Notat om sikker visning af tekst\n\n"
    "Vejen Kommune, Børn og Familie, 2024.\n\n"
    "Dette notat om <script>window.__pwned=1</script> <b>fed</b> tekst og "
    '<img src=x onerror="window.__pwned=2"> billeder beskriver, hvordan journalnotater fra '
    "familieafdelingen vises for sagsbehandlerne. Markup i teksten skal vises som tekst og aldrig udføres.\n"
)
BROKEN_NAME = "odelagt_rapport_2024.pdf"
READER_KEY = "laesenoegle-til-browsertest-5c1e"


@pytest.fixture(scope="session")
def web_index(
    small_index: tuple[Settings, Path], e5: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    settings, corpus = small_index
    root = tmp_path_factory.mktemp("web")
    data, copy = root / "data", root / "corpus"
    copy_index(settings.data_dir, data)
    shutil.copytree(corpus, copy)  # keeps mtimes: the copied files stay unchanged
    store = Store(data / "broker.sqlite3")
    with store.write() as conn:
        conn.execute(
            "UPDATE sources SET path = replace(path, ?, ?)", (str(corpus.resolve()), str(copy.resolve()))
        )
    store.close()
    (copy / SCRIPT_NAME).write_text(SCRIPT_DOC, encoding="utf-8")
    (copy / BROKEN_NAME).write_bytes(
        b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n% afbrudt overf\xf8rsel"
    )
    web = Settings(data_dir=data)
    report = sync([copy], web, e5, removal_roots=[copy], record_as=LAST_REINDEX)
    assert [Path(p).name for p in report.added] == [SCRIPT_NAME], report
    assert [Path(f.path).name for f in report.failed] == [BROKEN_NAME], report.failed
    return web


@pytest.fixture(scope="session")
def site(web_index: Settings, e5: Embedder) -> Iterator[LiveServer]:
    with serve(web_index, e5) as server:
        yield server


@pytest.fixture(scope="module")
def closed_site(web_index: Settings, e5: Embedder) -> Iterator[LiveServer]:
    """The same index served so that every read needs a key."""
    with serve(web_index.model_copy(update={"reader_key_sha256": hash_key(READER_KEY)}), e5) as server:
        yield server


@pytest.fixture(scope="module")
def demo_site(demo_index: tuple[Settings, object], e5: Embedder) -> Iterator[LiveServer]:
    """The demo corpus as `make demo` indexes it: one ingest, no re-index yet."""
    with serve(demo_index[0], e5) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("Chromium mangler: kør ./scripts/setup-system.sh --test")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_page(
    browser: Browser, site: LiveServer, viewport: dict[str, int], *, touch: bool = False
) -> tuple[BrowserContext, Page, list[str]]:
    """A tab; with `touch`, a phone's: a touch screen without hover, a mobile viewport."""
    context = browser.new_context(
        base_url=site.url,
        viewport=cast(Any, viewport),  # a plain dict with the ViewportSize keys
        locale="da-DK",
        reduced_motion="reduce",
        has_touch=touch,
        is_mobile=touch,
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


@pytest.fixture
def page(browser: Browser, site: LiveServer) -> Iterator[Page]:
    """A fresh laptop-sized tab; the test fails if the page throws an uncaught error."""
    context, tab, errors = open_page(browser, site, LAPTOP)
    yield tab
    context.close()
    assert not errors, errors


@pytest.fixture
def tablet(browser: Browser, site: LiveServer) -> Iterator[Page]:
    context, tab, errors = open_page(browser, site, TABLET)
    yield tab
    context.close()
    assert not errors, errors


@pytest.fixture
def phone(browser: Browser, site: LiveServer) -> Iterator[Page]:
    context, tab, errors = open_page(browser, site, PHONE, touch=True)
    yield tab
    context.close()
    assert not errors, errors


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
