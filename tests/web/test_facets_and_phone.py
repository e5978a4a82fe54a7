"""The page over the demo corpus as `make demo` builds it: facets that say what a click gives, a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.api.conftest import LiveServer
from tests.web.conftest import LAPTOP, PHONE, open_page, screenshot
from tests.web.test_web import badges, params, settled

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MUNICIPALITIES = '[data-facet="municipality"]'


def facet_counts(page: Page) -> dict[str, int]:
    return dict(
        page.locator(f"{MUNICIPALITIES} button.facet-option").evaluate_all(
            "bs => bs.map(b => [b.dataset.value, Number(b.querySelector('.facet-count').firstChild.textContent)])"
        )
    )


def shown_documents(page: Page) -> set[str]:
    return set(page.locator("#search-results .hit").evaluate_all("hits => hits.map(h => h.dataset.docId)"))


def one_line(page: Page, selector: str) -> list[int]:
    """The number of text lines of each element matched."""
    return page.locator(selector).evaluate_all(
        "els => els.map(e => { const r = document.createRange(); r.selectNodeContents(e);"
        " return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; })"
    )


def rows(page: Page, selector: str) -> int:
    """The number of rows the elements matched are laid out in."""
    tops = page.locator(selector).evaluate_all(
        "els => els.map(e => Math.round(e.getBoundingClientRect().top))"
    )
    return len(set(tops))


def test_facet_counts_are_what_a_click_shows_and_the_others_stay_selectable(
    browser: Browser, demo_site: LiveServer
) -> None:
    context, page, errors = open_page(browser, demo_site, LAPTOP)
    page.goto("/?q=familiebehandling")
    expect(page.locator("#search-results .hit").first).to_be_visible(timeout=60_000)  # a cold service
    settled(page)
    # More municipalities than rows, yet every municipality of the hits on screen is in view.
    more = page.locator(MUNICIPALITIES).get_by_role("button", name=re.compile("Vis alle"))
    expect(more).to_be_visible()
    for name in set(badges(page)):
        expect(page.locator(f'{MUNICIPALITIES} button[data-value="{name}"]')).to_be_visible()
    more.click()
    counts = facet_counts(page)
    # The summary names the documents and municipalities the filter counts.
    expect(page.locator("#search-summary .matched")).to_have_text(
        f" · i alt {sum(counts.values())} relevante dokumenter fra {len(counts)} kommuner"
    )
    # Two municipalities the hits on screen do not come from, the least counted first.
    absent = sorted((n for n in counts if n not in badges(page)), key=lambda n: (counts[n], n))[:2]
    assert len(absent) == 2, counts
    chosen: list[str] = []
    for name in absent:
        page.locator(f'{MUNICIPALITIES} button[data-value="{name}"]').click()
        settled(page)
        chosen.append(name)
        assert params(page)["kommune"] == chosen
        assert set(badges(page)) == set(chosen)
        assert len(shown_documents(page)) == sum(counts[n] for n in chosen)
        # The municipality facet is counted without its own filter: the same values and counts, selectable.
        assert facet_counts(page) == counts
        for n in counts:
            pressed = "true" if n in chosen else "false"
            expect(page.locator(f'{MUNICIPALITIES} button[data-value="{n}"]')).to_have_attribute(
                "aria-pressed", pressed
            )
    context.close()
    assert not errors, errors


def test_on_a_phone_the_results_come_first_and_the_filters_open_in_a_drawer(
    browser: Browser, demo_site: LiveServer
) -> None:
    context, page, errors = open_page(browser, demo_site, PHONE, touch=True)
    page.goto("/?q=familiebehandling")
    first = page.locator("#search-results .hit").first
    expect(first).to_be_visible(timeout=60_000)
    settled(page)
    box = first.bounding_box()
    assert box is not None and box["y"] < PHONE["height"] * 0.8, box  # on the first screen
    drawer = page.locator("#search-filters")
    expect(drawer).to_be_hidden()
    # Toggles and navigation on one line each; no keyboard shortcuts on a touch screen.
    assert one_line(page, "#search-mode label") == [1, 1, 1]
    assert rows(page, ".main-nav li") == 1
    assert one_line(page, ".main-nav a") == [1, 1, 1, 1]
    expect(page.locator("#search-hint")).to_contain_text("Resultaterne kommer, mens du skriver.")
    expect(page.locator("#search-hint .key-hints")).to_be_hidden()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    screenshot(page, "demo-search-phone")

    opener = page.get_by_role("button", name="Filtre", exact=True)
    expect(opener).to_have_attribute("aria-expanded", "false")
    opener.tap()
    expect(drawer).to_be_visible()
    expect(opener).to_have_attribute("aria-expanded", "true")
    covered = drawer.bounding_box()
    assert covered is not None and covered["width"] == PHONE["width"] and covered["height"] == PHONE["height"]
    name = badges(page)[0]
    page.locator(f'{MUNICIPALITIES} button[data-value="{name}"]').tap()
    settled(page)
    expect(drawer).to_be_visible()  # more can be chosen before going back to the results
    screenshot(page, "demo-filters-phone")
    page.get_by_role("button", name="Vis resultater").tap()
    expect(drawer).to_be_hidden()
    expect(page.get_by_role("button", name="Filtre (1)")).to_be_focused()
    assert set(badges(page)) == {name}
    # Escape closes it too, for a phone with a keyboard.
    page.get_by_role("button", name="Filtre (1)").click()
    expect(drawer).to_be_visible()
    page.keyboard.press("Escape")
    expect(drawer).to_be_hidden()
    context.close()
    assert not errors, errors

    # On a laptop the filters stand beside the results, and the shortcuts are shown.
    context, page, errors = open_page(browser, demo_site, LAPTOP)
    page.goto("/?q=familiebehandling")
    expect(page.locator("#search-results .hit").first).to_be_visible()
    expect(page.locator("#search-filters")).to_be_visible()
    expect(page.locator("#filters-open")).to_be_hidden()
    expect(page.locator("#search-hint .key-hints")).to_be_visible()
    context.close()
    assert not errors, errors


def test_status_after_the_demo_ingest_shows_that_ingest(
    browser: Browser, demo_site: LiveServer, demo_index: tuple[object, object]
) -> None:
    report = demo_index[1]
    context, page, errors = open_page(browser, demo_site, LAPTOP)
    page.goto("/?view=status")
    expect(page.locator(".ingest-when")).to_contain_text("Afsluttet")
    counts = page.locator(".ingest-counts")
    expect(counts).to_contain_text(f"{len(report.added)} filer tilføjet")  # type: ignore[attr-defined]
    expect(counts).to_contain_text(f"{report.documents} dokumenter i indekset")  # type: ignore[attr-defined]
    expect(page.locator("#last-ingest")).to_contain_text("ét dokument pr. post")
    expect(page.locator(".notice", has_text="endnu ikke kørt en genindeksering")).to_be_visible()
    context.close()
    assert not errors, errors
