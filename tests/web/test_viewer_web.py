"""The document viewer in Chromium, offline: a multi-page PDF of the demo corpus opens at the cited page with the
quote marked on PDF.js's text layer; a text source shows its passage marked, cited as a section, not a page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Route, expect

from core.settings import Settings
from index.embed import Embedder
from tests.api.conftest import LiveServer, serve
from tests.web.conftest import LAPTOP, open_page, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def squashed(text: str) -> str:
    """Text as the viewer matches it: no spacing, hyphens or table-cell bars, any case."""
    return re.sub(r"[\s\u00ad\u2010\u2011|-]+", "", text).lower()


@pytest.fixture(scope="module")
def demo_site(demo_index: tuple[Settings, object], e5: Embedder) -> Iterator[LiveServer]:
    with serve(demo_index[0], e5) as server:
        yield server


def offline_page(browser: Browser, site: LiveServer) -> tuple[Page, list[str], list[str]]:
    """A tab that can reach the service on loopback only; it records any other request and CSP complaints."""
    context, page, errors = open_page(browser, site, LAPTOP)
    outside: list[str] = []

    def only_loopback(route: Route, request: Request) -> None:
        if urlsplit(request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(request.url)
            route.abort()

    context.route("**/*", only_loopback)
    complaints: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            complaints.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page, outside, complaints + errors


def test_a_cited_pdf_page_opens_with_the_quote_marked_on_its_text_layer_offline(
    browser: Browser, demo_site: LiveServer
) -> None:
    found = httpx.get(
        demo_site.url + "/api/search",
        params={"q": "underretninger i kvartalet", "kommune": "Aalborg", "k": 10},
        timeout=60,
    ).json()["results"]
    hit = next(h for h in found if h["paged"] and h["page"] >= 2)
    link = urlsplit(hit["viewer_url"])
    assert link.path == f"/vis/{hit['doc_id']}"
    quote = parse_qs(link.query)["citat"][0]
    assert parse_qs(link.query)["side"] == [str(hit["page"])]

    page, outside, complaints = offline_page(browser, demo_site)
    page.goto(hit["viewer_url"])
    expect(page.locator("#viewer-page")).to_have_text(re.compile(rf"^Side {hit['page']} af [3-9]$"))
    expect(
        page.locator(f".pdf-page[data-page='{hit['page']}'] .textLayer mark.cite-mark").first
    ).to_be_visible()
    marked = page.locator(".textLayer mark.cite-mark").evaluate_all(
        "ms => ms.map(m => m.textContent).join('')"
    )
    assert squashed(marked) == squashed(quote)
    expect(page.locator("#viewer-status")).to_have_text(f"Citatet er fremhævet på side {hit['page']}.")
    expect(page.locator("#viewer-title")).to_have_text(hit["title"])
    screenshot(page, "viewer")  # docs/viewer.png in the README is a copy of this one

    page.get_by_role("button", name="Næste side →").click()
    expect(page.locator("#viewer-page")).to_contain_text(f"Side {hit['page'] + 1} af")
    assert parse_qs(urlsplit(page.url).query)["side"] == [str(hit["page"] + 1)]
    page.context.close()
    assert outside == [], outside  # PDF.js and its worker come from the service itself
    assert complaints == [], complaints


def test_a_text_source_shows_the_cited_passage_marked_and_is_cited_by_section(
    browser: Browser, demo_site: LiveServer
) -> None:
    found = httpx.get(
        demo_site.url + "/api/search", params={"q": "børnesamtalen", "k": 20}, timeout=60
    ).json()["results"]
    hit = next(h for h in found if not h["paged"] and h["section"])
    assert "side=" not in hit["viewer_url"]  # a text has no pages to point at
    quote = parse_qs(urlsplit(hit["viewer_url"]).query)["citat"][0]

    page, outside, complaints = offline_page(browser, demo_site)
    page.goto(hit["viewer_url"])
    mark = page.locator(".passage mark.cite-mark").first
    expect(mark).to_be_visible()
    marked = page.locator(".passage mark.cite-mark").evaluate_all("ms => ms.map(m => m.textContent).join('')")
    assert squashed(marked) == squashed(quote)
    section = hit["section"].replace(" > ", " › ")
    expect(page.locator("#viewer-status")).to_have_text(f"Citatet er fremhævet i afsnittet »{section}«.")
    expect(page.locator("#viewer-nav")).to_be_hidden()
    # The document's own page has no made-up pages either.
    page.get_by_role("link", name="Dokumentets side").click()
    expect(page.locator(".doc-page-title")).to_have_text(["Teksten"])
    expect(page.locator(".doc-subtitle")).not_to_contain_text("side")
    expect(page.get_by_role("link", name="Vis i fremviseren")).to_have_attribute(
        "href", f"/vis/{hit['doc_id']}"
    )
    page.context.close()
    assert outside == [] and complaints == []


def test_the_viewer_for_an_unknown_document_says_so_in_danish(
    browser: Browser, demo_site: LiveServer
) -> None:
    page, _, complaints = offline_page(browser, demo_site)
    page.goto("/vis/findesikke?side=2&citat=noget")
    expect(page.locator("#viewer-title")).to_have_text("Dokumentet findes ikke")
    page.context.close()
    assert complaints == []


def test_a_search_hit_on_the_page_opens_the_viewer_at_its_page(
    browser: Browser, demo_site: LiveServer
) -> None:
    page, outside, complaints = offline_page(browser, demo_site)
    page.goto("/?q=underretninger+i+kvartalet&kommune=Aalborg")
    hit = page.locator("#search-results .hit").first
    expect(hit.locator(".hit-meta")).to_contain_text("side ")
    page_number = hit.locator(".hit-meta").inner_text().split("side ")[-1].split("–")[0].strip()
    hit.get_by_role("link", name="Vis siden med citatet").click()
    expect(page.locator("#viewer-page")).to_contain_text(f"Side {page_number} af")
    expect(page.locator(".textLayer mark.cite-mark").first).to_be_visible()
    page.context.close()
    assert outside == [] and complaints == []
