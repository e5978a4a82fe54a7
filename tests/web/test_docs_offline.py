"""/docs and /redoc render in Chromium with every request off the machine blocked: no CDN is needed."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route

from tests.api.conftest import LiveServer
from tests.web.conftest import LAPTOP, open_page, screenshot

pytestmark = pytest.mark.browser
LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}


def offline_page(browser: Browser, site: LiveServer) -> tuple[Page, list[str], list[str]]:
    """A tab whose requests to any host but loopback are aborted and recorded, as on a machine offline."""
    context, page, errors = open_page(browser, site, LAPTOP)
    blocked: list[str] = []

    def only_loopback(route: Route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if host in LOOPBACK or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", only_loopback)
    return page, errors, blocked


def test_swagger_ui_renders_the_api_offline(browser: Browser, site: LiveServer) -> None:
    page, errors, blocked = offline_page(browser, site)
    page.goto("/docs")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "Vidensmægler" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator(".opblock-summary-path", has_text="/api/search").first.wait_for()
    screenshot(page, "docs-offline")
    assert blocked == [] and errors == [], (blocked, errors)
    page.context.close()


def test_redoc_renders_the_api_offline(browser: Browser, site: LiveServer) -> None:
    page, errors, blocked = offline_page(browser, site)
    page.goto("/redoc")
    page.locator("h1", has_text="Vidensmægler").wait_for()
    page.get_by_text("/api/search", exact=False).first.wait_for(state="attached")
    screenshot(page, "redoc-offline")
    assert blocked == [] and errors == [], (blocked, errors)
    page.context.close()


def test_the_docs_pages_name_no_other_host(site: LiveServer) -> None:
    import httpx

    for path in ("/docs", "/redoc"):
        response = httpx.get(site.url + path)
        assert response.status_code == 200
        assert "https://" not in response.text and "http://" not in response.text, path
        assert "https://" not in response.headers["content-security-policy"], path
