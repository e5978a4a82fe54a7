"""Saving a search on the page, and the "Nyt siden sidst" view after an upload brings a matching document."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from broker.access import hash_key
from core.settings import Settings
from index.embed import Embedder
from tests.api.conftest import LiveServer, serve
from tests.web.conftest import LAPTOP, open_page, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ADMIN_KEY = "admin-noegle-til-overvaagning-3d7e"
NEW_DOC = (
    "Kvalitetsstandard for aflastning\n\nSilkeborg Kommune, 2024.\n\n"
    "Aflastning i weekenden gives efter Barnets Lov § 32: barnet bor en weekend om måneden hos en "
    "aflastningsfamilie, så forældrene får et pusterum.\n"
)


@pytest.fixture
def watch_site(private_index: tuple[Settings, Path], e5: Embedder) -> Iterator[LiveServer]:
    """A server over a private copy of the small index: reads open, uploads with an admin key."""
    settings = private_index[0].model_copy(update={"admin_key_sha256": hash_key(ADMIN_KEY)})
    with serve(settings, e5) as server:
        yield server


def test_a_saved_search_shows_the_new_document_under_nyt_siden_sidst(
    browser: Browser, watch_site: LiveServer
) -> None:
    context, page, errors = open_page(browser, watch_site, LAPTOP)
    page.goto("/")
    expect(page.locator("#save-search")).to_be_hidden()  # nothing to save before there are words
    page.goto("/?q=aflastning+i+weekenden")
    expect(page.locator("#search-results .hit").first).to_be_visible()
    page.get_by_role("button", name="Gem søgning").click()
    expect(page.locator("#save-search-name")).to_have_value("aflastning i weekenden")
    page.locator("#save-search-name").fill("Aflastning")
    page.get_by_role("button", name="Gem", exact=True).click()
    expect(page.locator("#save-search-status")).to_contain_text("Søgningen er gemt som »Aflastning«")
    # The same name again is refused with the service's Danish message.
    page.get_by_role("button", name="Gem søgning").click()
    page.locator("#save-search-name").fill("Aflastning")
    page.get_by_role("button", name="Gem", exact=True).click()
    expect(page.locator("#save-search-message")).to_contain_text("findes allerede")

    page.locator("[data-tab=watches]").click()
    watch = page.locator(".watch[data-watch='Aflastning']")
    expect(watch.locator(".watch-count")).to_have_text("0 nye")

    files = [("files", ("silkeborg_kvalitetsstandard_aflastning_2024.txt", NEW_DOC.encode(), "text/plain"))]
    uploaded = httpx.post(
        watch_site.url + "/api/documents",
        files=files,
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
        timeout=120,
    )
    assert uploaded.status_code == 201, uploaded.text
    page.reload()
    expect(watch.locator(".watch-count")).to_have_text("1 nyt")
    watch.locator("summary").click()
    item = watch.locator(".news-item")
    expect(item).to_have_count(1)
    expect(item.locator(".muni-badge")).to_have_text("Silkeborg")
    expect(item.locator(".news-kind")).to_have_text("ny")
    expect(item.locator(".news-title")).to_have_text("Kvalitetsstandard for aflastning")
    screenshot(page, "nyt-siden-sidst")
    item.locator(".news-title").click()
    expect(page.locator("#doc-output h1")).to_contain_text("Kvalitetsstandard for aflastning")
    context.close()
    assert not errors, errors
