"""Latest request wins: a slow earlier answer never replaces a later one on the page (real service, real Chromium).

A route handler holds one request of the page until the test lets it through; that delays the service's real
answer, it does not stand in for it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Page, Request, Route, expect

from tests.api.conftest import LiveServer
from tests.web.test_web import settled

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIRST = "Hvordan foregår familiebehandling?"
SECOND = "Hvor ofte mødes kontaktpersonen med den unge?"
TOPIC = "socialrådgiver"


def hold(page: Page, pattern: str, held_if: Callable[[Request], bool]) -> list[Route]:
    """Hold the requests matching `held_if` (the others go straight through); the list fills as they come."""
    held: list[Route] = []

    def handler(route: Route) -> None:
        if held_if(route.request):
            held.append(route)
        else:
            route.continue_()

    page.route(pattern, handler)
    return held


def wait_for(page: Page, held: list[Route]) -> None:
    for _ in range(250):
        if held:
            return
        page.wait_for_timeout(20)
    raise AssertionError("the request to hold was never sent")


def let_through(held: list[Route]) -> None:
    """Answer the held request with the service's own, by now late, answer."""
    with contextlib.suppress(Exception):  # the page has already given up on it
        held[0].fulfill(response=held[0].fetch())


def test_a_slow_answer_to_an_earlier_question_never_replaces_the_one_asked_again(
    page: Page, site: LiveServer
) -> None:
    first = httpx.post(site.url + "/api/ask", json={"question": FIRST, "k": 20}, timeout=60).json()
    second = httpx.post(site.url + "/api/ask", json={"question": SECOND, "k": 20}, timeout=60).json()
    assert first["citations"] and first["citations"] != second["citations"]  # the two answers differ

    held = hold(page, "**/api/ask", lambda r: (r.post_data_json or {}).get("question") == SECOND)
    failed: list[str] = []

    def on_failed(request: Request) -> None:
        if "/api/ask" in request.url:
            failed.append((request.post_data_json or {}).get("question", ""))

    page.on("requestfailed", on_failed)
    output = page.locator("#ask-output")
    page.goto("/?" + str(httpx.QueryParams({"view": "ask", "q": FIRST})))
    settled(page, "#ask-output")
    shown = output.inner_text()
    expect(output.locator(".citation")).to_have_count(len(first["citations"]))

    page.locator("#ask-q").fill(SECOND)
    page.locator("#ask-q").press("Enter")
    wait_for(page, held)
    # Back to the first question while the second is still on its way: the first is asked again and shown.
    page.go_back()
    assert parse_qs(urlsplit(page.url).query)["q"] == [FIRST]
    settled(page, "#ask-output")
    expect(page.locator("#ask-q")).to_have_value(FIRST)
    assert output.inner_text() == shown
    assert failed == [SECOND]  # the second request was aborted, not just left to arrive

    let_through(held)
    page.wait_for_timeout(300)
    assert output.inner_text() == shown
    expect(output.locator(".citation")).to_have_count(len(first["citations"]))


def test_a_slow_comparison_of_other_municipalities_never_replaces_the_current_one(page: Page) -> None:
    held = hold(page, "**/api/compare?*", lambda r: "Hvidovre" in parse_qs(urlsplit(r.url).query)["kommune"])
    page.goto(
        "/?" + str(httpx.QueryParams({"view": "compare", "q": TOPIC, "kommune": ["Herning", "Hjørring"]}))
    )
    settled(page, "#compare-output")
    title = page.locator("#compare-output .compare-title")
    expect(title).to_have_text(f"»{TOPIC}« i 2 kommuner")

    page.locator("#compare-municipalities input[value='Hvidovre']").check()
    page.get_by_role("button", name="Sammenlign", exact=True).click()
    wait_for(page, held)
    page.go_back()
    settled(page, "#compare-output")
    expect(title).to_have_text(f"»{TOPIC}« i 2 kommuner")

    let_through(held)
    page.wait_for_timeout(300)
    expect(title).to_have_text(f"»{TOPIC}« i 2 kommuner")
    names = page.locator("#compare-output .muni-card").evaluate_all(
        "cs => cs.map(c => c.dataset.municipality)"
    )
    assert names == ["Herning", "Hjørring"]
