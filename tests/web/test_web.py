"""The web page, driven in a real Chromium against the real service and index."""

from __future__ import annotations

import contextlib
import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.api.conftest import LiveServer
from tests.web.conftest import LAPTOP, READER_KEY, SCRIPT_NAME, open_page, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def params(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def settled(page: Page, selector: str = "#search-results") -> None:
    """Wait until the view's request is done (the container is no longer busy)."""
    expect(page.locator(selector)).to_have_attribute("aria-busy", "false")


def badges(page: Page) -> list[str]:
    return page.locator("#search-results .hit").evaluate_all("hits => hits.map(h => h.dataset.municipality)")


@pytest.fixture(scope="module")
def doc_ids(site: LiveServer) -> dict[str, str]:
    """The id of a document per municipality."""
    docs = httpx.get(site.url + "/api/documents", params={"per_page": 50}, timeout=30).json()["documents"]
    return {d["municipality"]: d["doc_id"] for d in docs}


# -- search ----------------------------------------------------------------------------------------


def test_search_shows_results_while_typing(page: Page) -> None:
    searches: list[str] = []
    page.on("request", lambda r: searches.append(r.url) if "/api/search" in r.url else None)
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "da")
    expect(page.get_by_role("heading", level=1)).to_have_text("Find sammenlignelig praksis")
    page.locator("#search-q").press_sequentially("familiebehandling", delay=15)
    first = page.locator("#search-results .hit").first
    expect(first.locator(".muni-badge")).to_have_text("Hjørring")
    expect(first.locator(".hit-title")).to_contain_text("Kvalitetsstandard for familiebehandling")
    expect(first.locator(".hit-meta")).to_contain_text("Kvalitetsstandard · 2019 · side 1")
    # The snippet does not repeat the heading shown as the title; the query is marked in the snippets.
    expect(first.locator(".snippet")).not_to_contain_text("Kvalitetsstandard for familiebehandling")
    expect(page.locator("#search-results .snippet mark").first).to_have_text(
        re.compile("familiebehandl", re.I)
    )
    expect(first.get_by_role("link", name=re.compile("Åbn dokumentet på side 1"))).to_be_visible()
    expect(page.locator("#search-summary")).to_contain_text("for »familiebehandling«")
    assert params(page)["q"] == ["familiebehandling"]
    assert len(searches) <= 2, searches  # debounced: not one request per keystroke
    for name in ("Kommune", "Region", "Dokumenttype"):
        expect(page.locator("#facets .facet-title", has_text=name)).to_be_visible()
    # Grouped per municipality: one section per municipality, each with its own heading.
    page.get_by_text("Pr. kommune", exact=True).click()
    groups = page.locator("#search-results .muni-group")
    expect(groups.first.locator(".muni-badge")).to_have_text("Hjørring")
    names = groups.evaluate_all("gs => gs.map(g => g.dataset.municipality)")
    assert len(names) == len(set(names)) > 1
    assert params(page)["grupper"] == ["kommune"]


def test_a_stale_search_is_cancelled_and_never_shown(page: Page) -> None:
    held: list[Route] = []

    def hold_the_first(route: Route) -> None:
        if parse_qs(urlsplit(route.request.url).query)["q"] == ["famil"]:
            held.append(route)  # answered only after the newer search has been shown
        else:
            route.continue_()

    page.route("**/api/search?*", hold_the_first)
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto("/")
    page.locator("#search-q").fill("famil")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(20)
    assert held, "the first search was never sent"
    page.locator("#search-q").fill("familiebehandling")
    summary = page.locator("#search-summary")
    expect(summary).to_contain_text("for »familiebehandling«")
    assert any("q=famil&" in url for url in failed), failed  # aborted, not just ignored
    with contextlib.suppress(Exception):  # the browser has already given up on it
        held[0].fulfill(json={"query": "famil", "mode": "hybrid", "took_ms": 1, "results": [], "facets": {}})
    page.wait_for_timeout(200)
    expect(summary).to_contain_text("for »familiebehandling«")
    expect(page.locator("#search-results .hit").first).to_be_visible()


def test_facet_filters_with_removable_chips_and_the_back_button(page: Page) -> None:
    page.goto("/?q=kvalitetsstandard")
    settled(page)
    assert len(set(badges(page))) > 1
    facet = page.locator('[data-facet="municipality"] button[data-value="Hjørring"]')
    # Both Hjørring documents are among the results shown, so both are counted.
    expect(facet.locator(".facet-count")).to_have_text("2 dokumenter")
    facet.click()
    settled(page)
    assert params(page)["kommune"] == ["Hjørring"]
    chip = page.locator("#search-chips .chip")
    expect(chip).to_have_count(1)
    expect(chip).to_have_text(re.compile("Kommune: Hjørring"))
    expect(facet).to_have_attribute("aria-pressed", "true")
    assert set(badges(page)) == {"Hjørring"}

    chip.click()
    settled(page)
    expect(page.locator("#search-chips")).to_be_hidden()
    assert "kommune" not in params(page)
    assert len(set(badges(page))) > 1

    page.go_back()
    settled(page)
    expect(page.locator("#search-chips .chip")).to_have_text(re.compile("Kommune: Hjørring"))
    assert set(badges(page)) == {"Hjørring"}
    page.go_back()
    settled(page)
    expect(page.locator("#search-chips")).to_be_hidden()

    # Any municipality with documents can be added from the list, also one the facets do not show.
    page.locator("#add-municipality").select_option("Aarhus")
    page.get_by_role("button", name="Tilføj", exact=True).click()
    settled(page)
    expect(page.locator("#search-chips .chip")).to_have_text(re.compile("Kommune: Aarhus"))
    assert set(badges(page)) == {"Aarhus"}


def test_a_shared_address_opens_the_same_search(page: Page) -> None:
    page.goto("/?q=familiebehandling&kommune=Hjørring")
    settled(page)
    expect(page.locator("#search-q")).to_have_value("familiebehandling")
    expect(page.locator("#mode-hybrid")).to_be_checked()
    expect(page.locator("#search-chips .chip")).to_have_text(re.compile("Kommune: Hjørring"))
    expect(page.locator('[data-facet="municipality"] button[data-value="Hjørring"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    assert set(badges(page)) == {"Hjørring"}
    expect(page.locator("#search-results .hit").first).to_contain_text("familiebehandling")

    page.goto("/?q=skolefrav%C3%A6r&mode=dense&type=handleplan&year_from=2020&year_to=2022")
    settled(page)
    expect(page.locator("#mode-dense")).to_be_checked()
    expect(page.locator("#year-from")).to_have_value("2020")
    chips = page.locator("#search-chips .chip")
    expect(chips).to_have_text(
        [re.compile("Type: Handleplan"), re.compile("Fra år 2020"), re.compile("Til år 2022")]
    )
    titles = page.locator("#search-results .hit-title").all_inner_texts()
    assert titles == ["Handleplan for skolefravær"]


def test_what_the_query_was_understood_to_say_and_a_spelling_suggestion(page: Page) -> None:
    page.goto("/?q=" + "familiebehandling i Hjørring")
    settled(page)
    expect(page.locator("#search-summary .understood").first).to_contain_text("Forstået: Hjørring")
    page.goto("/?q=familiebehandlng")
    settled(page)
    suggestion = page.locator("#search-summary .suggestion button")
    expect(suggestion).to_have_text("familiebehandling")
    suggestion.click()
    expect(page.locator("#search-q")).to_have_value("familiebehandling")
    assert params(page)["q"] == ["familiebehandling"]


def test_keyboard_only(page: Page) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Spring til indhold"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "indhold"
    assert page.url.endswith("/")  # the address keeps the page's state
    for _ in range(12):
        if page.evaluate("document.activeElement.id") == "search-q":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "search-q"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.type("aflastning")
    page.keyboard.press("Enter")
    expect(page.locator("#search-results .hit").first.locator(".muni-badge")).to_have_text("Aarhus")
    assert params(page)["q"] == ["aflastning"]

    page.keyboard.press("Escape")
    expect(page.locator("#search-q")).to_have_value("")
    expect(page.locator("#search-results .intro")).to_be_visible()
    assert "q" not in params(page)

    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "search-q"
    # The mode radios are one Tab stop; arrow keys choose.
    page.locator("#mode-hybrid").focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#mode-dense")).to_be_checked()


def test_empty_and_error_states(page: Page) -> None:
    page.goto("/?q=xyzzyqwerty&mode=lexical")
    empty = page.locator("#search-results .empty-state")
    expect(empty).to_contain_text("Ingen resultater for »xyzzyqwerty«")
    expect(page.locator("#mode-lexical")).to_be_checked()

    page.goto("/?q=b%C3%B8rn&kommune=Atlantis")
    error = page.locator("#search-results [role=alert]")
    expect(error).to_contain_text("Ukendt kommune: »Atlantis«")  # the API's own message
    page.locator("#search-chips .chip").click()
    expect(page.locator("#search-results .hit").first).to_be_visible()
    expect(error).to_have_count(0)

    page.goto("/?doc=findesikke")
    expect(page.locator("#doc-output [role=alert]")).to_contain_text("Dokumentet 'findesikke' findes ikke.")


# -- ask -------------------------------------------------------------------------------------------


def test_ask_with_citations_that_open_at_the_page(page: Page) -> None:
    page.goto("/?view=ask")
    expect(page.locator("[data-tab=ask]")).to_have_attribute("aria-current", "page")
    page.locator("#ask-q").fill("Hvor ofte mødes kontaktpersonen med den unge?")
    page.locator("#ask-q").press("Enter")
    answer = page.locator(".answer-text")
    expect(answer).to_contain_text("Hvidovre Kommune")
    assert params(page)["view"] == ["ask"]
    quote = page.locator("#kilde-1 .quote")
    expect(quote).to_be_hidden()
    answer.locator(".cite-ref", has_text="[1]").first.click()
    expect(quote).to_be_visible()
    expect(quote).to_contain_text("om ugen")
    expect(page.locator("#kilde-1")).to_contain_text("side 2")

    link = page.locator("#kilde-1 a.open-file")
    href = link.get_attribute("href") or ""
    assert re.fullmatch(r"/api/documents/[^/]+/file#page=2", href), href
    original = page.request.get(href.split("#")[0])
    assert original.ok and original.headers["content-type"] == "application/pdf"

    cards = page.locator(".muni-grid .muni-card")
    expect(cards.first.locator(".muni-card-title")).to_have_text("Hvidovre")
    assert cards.count() >= 2

    # The passage in the document page, at its page.
    page.locator("#kilde-1").get_by_role("link", name="Se passagen i dokumentet").click()
    expect(page.locator("#doc-title")).to_have_text("Kvalitetsstandard for fast kontaktperson")
    assert params(page)["side"] == ["2"]
    expect(page.locator("#side-2")).to_be_in_viewport()
    expect(page.locator("#side-2")).to_contain_text("mindst en gang om ugen")
    page.go_back()
    expect(page.locator("#kilde-1 .quote")).to_be_attached()
    expect(page.locator("#ask-q")).to_have_value("Hvor ofte mødes kontaktpersonen med den unge?")


def test_ask_without_an_answer_says_why(page: Page) -> None:
    page.goto("/?view=ask")
    page.locator("#ask-q").fill("Hvordan organiserer andre kommuner familiebehandling?")
    page.locator("#ask-type").select_option("evaluering")  # no evaluations in the corpus
    page.locator("#ask-q").press("Enter")
    reason = page.locator(".no-answer .reason")
    expect(reason).to_contain_text("Der er ingen dokumenter, der matcher søgningen og filtrene.")
    expect(page.locator(".answer")).to_have_count(0)
    assert params(page)["type"] == ["evaluering"]


def test_ask_can_leave_out_ones_own_municipality(page: Page) -> None:
    page.goto("/?view=ask")
    page.locator("#ask-q").fill("familiebehandling i hjemmet")
    page.locator("#ask-exclude").fill("Hjørring")
    page.get_by_role("button", name="Spørg", exact=True).click()
    settled(page, "#ask-output")
    assert params(page)["udelad"] == ["Hjørring"]
    names = page.locator(".muni-card").evaluate_all("cs => cs.map(c => c.dataset.municipality)")
    assert names and "Hjørring" not in names


# -- documents and similar practice ----------------------------------------------------------------


def test_document_page_and_its_original(page: Page, doc_ids: dict[str, str]) -> None:
    page.goto("/?q=kontaktperson&kommune=Hvidovre")
    hit = page.locator("#search-results .hit").first
    open_link = hit.get_by_role("link", name=re.compile("Åbn dokumentet på side"))
    assert re.search(r"/api/documents/[^/]+/file#page=\d$", open_link.get_attribute("href") or "")
    hit.locator(".hit-title a").click()
    expect(page.locator("#doc-title")).to_have_text("Kvalitetsstandard for fast kontaktperson")
    assert params(page)["doc"] == [doc_ids["Hvidovre"]]
    expect(page.locator(".doc-page-title")).to_have_text(["Side 1", "Side 2", "Side 3"])
    expect(page.locator("#side-2 .chunk-section")).to_have_text("2. Indhold og omfang")
    expect(page.locator(".meta-list")).to_contain_text("Region Hovedstaden")
    original = page.get_by_role("link", name=re.compile("Åbn originalfilen"))
    assert original.get_attribute("href") == f"/api/documents/{doc_ids['Hvidovre']}/file"
    expect(page.locator(".source-path").first).to_contain_text("hvidovre_kvalitetsstandard")
    page_link = page.locator("#side-3").get_by_role("link", name=re.compile("Åbn originalen på side 3"))
    assert (page_link.get_attribute("href") or "").endswith("/file#page=3")
    similar = page.locator(".doc-similar .similar-item")
    expect(similar.first).to_be_visible()
    assert "Hvidovre" not in similar.evaluate_all("items => items.map(i => i.dataset.municipality)")

    page.go_back()
    expect(page.locator("#search-results .hit").first).to_be_visible()
    # The hash form of the address works too.
    page.goto(f"/#/dokument/{doc_ids['Hvidovre']}")
    expect(page.locator("#doc-title")).to_have_text("Kvalitetsstandard for fast kontaktperson")
    assert params(page)["doc"] == [doc_ids["Hvidovre"]]


def test_similar_practice_comes_from_other_municipalities(page: Page) -> None:
    page.goto("/?q=socialr%C3%A5dgivere+p%C3%A5+skolerne&kommune=Herning")
    hit = page.locator("#search-results .hit").first
    expect(hit.locator(".muni-badge")).to_have_text("Herning")
    button = hit.get_by_role("button", name="Vis lignende praksis fra andre kommuner")
    button.click()
    expect(hit.get_by_role("button", name="Skjul lignende praksis")).to_have_attribute(
        "aria-expanded", "true"
    )
    items = hit.locator(".similar-item")
    expect(items.first).to_be_visible()
    expect(hit.locator(".similar-title")).to_have_text("Lignende praksis fra andre kommuner end Herning")
    names = items.evaluate_all("items => items.map(i => i.dataset.municipality)")
    assert names and "Herning" not in names
    assert names[0] == "Hjørring"


def test_compare_puts_two_municipalities_in_columns(page: Page) -> None:
    page.goto("/?view=compare")
    page.locator("#compare-q").fill("socialrådgiver på skolen")
    page.locator("label.check", has_text="Herning").click()
    page.get_by_role("button", name="Sammenlign", exact=True).click()
    expect(page.locator("#compare-form-error")).to_have_text("Vælg mindst 2 kommuner.")
    page.locator("label.check", has_text="Hjørring").click()
    page.get_by_role("button", name="Sammenlign", exact=True).click()
    columns = page.locator(".compare-grid .muni-card")
    expect(columns).to_have_count(2)
    expect(columns.locator(".muni-card-title")).to_have_text(["Herning", "Hjørring"])
    for column in columns.all():
        expect(column.locator(".hit").first).to_be_visible()
    assert params(page)["kommune"] == ["Herning", "Hjørring"]
    # Up to six, as many as the API compares; the page says so.
    expect(page.locator("#compare-form legend").first).to_have_text("Vælg 2–6 kommuner")
    expect(page.locator("[data-view=compare] .lead")).to_contain_text("2–6 kommuner")
    for name in ("Aarhus", "Greve", "Hvidovre", "Odense"):
        page.locator("label.check", has_text=name).click()
    expect(page.locator("label.check", has_text="Vejle").locator("input")).to_be_disabled()
    page.get_by_role("button", name="Sammenlign", exact=True).click()
    expect(columns).to_have_count(6)
    assert len(params(page)["kommune"]) == 6


# -- safety ----------------------------------------------------------------------------------------


def test_markup_in_document_text_is_shown_as_text(page: Page, doc_ids: dict[str, str]) -> None:
    def nothing_ran() -> None:
        assert page.evaluate("[window.__pwned, window.pwned]") == [None, None]
        assert page.locator("main b, main script, main img").count() == 0

    page.goto("/?q=fed+tekst+billeder&kommune=Vejen")
    snippet = page.locator("#search-results .hit .snippet").first
    expect(snippet).to_contain_text("<b>fed</b>")
    nothing_ran()
    page.locator("#search-results .hit .hit-title a").first.click()
    text = page.locator(".chunk-text").first
    expect(text).to_contain_text(re.compile(r"<script>window\.(__)?pwned=1</script> <b>fed</b> tekst"))
    expect(text).to_contain_text('<img src=x onerror="window.')
    assert params(page)["doc"] == [doc_ids["Vejen"]]
    assert page.locator(".source-path").first.inner_text().endswith(SCRIPT_NAME)
    nothing_ran()

    page.goto("/?view=ask&q=Hvordan+vises+journalnotater+med+markup+for+sagsbehandlerne%3F")
    expect(page.locator(".answer-text")).to_contain_text("<b>fed</b>")
    page.locator(".cite-ref").first.click()
    expect(page.locator("#kilde-1 .quote")).to_contain_text("<script>")
    nothing_ran()


# -- status ----------------------------------------------------------------------------------------


def test_status_shows_the_index_and_the_last_reindex(page: Page) -> None:
    page.goto("/?view=status")
    expect(page.locator('[data-stat="documents"] dd')).to_have_text("10")
    expect(page.locator('[data-stat="municipalities"] dd')).to_have_text("9")
    expect(page.locator(".reindex-when")).to_contain_text("Afsluttet")
    expect(page.locator(".ingest-when")).to_contain_text("det var genindekseringen herunder")
    expect(page.locator('[data-count="added"] dd')).to_have_text("1")
    expect(page.locator('[data-count="unchanged"] dd')).to_have_text("9")
    expect(page.locator('[data-count="failed"] dd')).to_have_text("1")
    # Without an admin key the report is counts only: no file names or paths of the server.
    expect(page.locator(".failures")).to_have_count(0)
    expect(page.locator(".reindex-when")).not_to_contain_text("indlejret")


# -- a service that needs a key ---------------------------------------------------------------------


def test_a_service_that_needs_a_key_asks_for_it(browser: Browser, closed_site: LiveServer) -> None:
    context, page, errors = open_page(browser, closed_site, LAPTOP)
    try:
        page.goto("/?q=kontaktperson&kommune=Hvidovre")
        alert = page.locator("#search-results [role=alert]")
        expect(alert).to_contain_text("Kræver en API-nøgle")
        alert.get_by_label("API-nøgle", exact=True).fill("forkert-noegle")
        alert.get_by_label("API-nøgle", exact=True).press("Enter")
        expect(alert).to_contain_text("API-nøglen er ikke gyldig.")
        alert.get_by_label("API-nøgle", exact=True).fill(READER_KEY)
        alert.get_by_role("button", name="Brug nøglen").click()
        hit = page.locator("#search-results .hit").first
        expect(hit.locator(".muni-badge")).to_have_text("Hvidovre")
        expect(page.locator("#key-status")).to_be_visible()
        assert READER_KEY not in page.url
        assert params(page)["q"] == ["kontaktperson"]  # the same search, now with the key

        # A link cannot carry the key: the original is fetched with it and opened in a new tab.
        with page.expect_popup() as popup, page.expect_request(lambda r: "/file" in r.url) as sent:
            hit.get_by_role("link", name=re.compile("Åbn dokumentet på side")).click()
        assert sent.value.headers.get("authorization") == f"Bearer {READER_KEY}"
        response = sent.value.response()
        assert response is not None and response.status == 200
        assert response.headers["content-type"] == "application/pdf"
        popup.value.close()

        page.get_by_role("button", name="Glem nøglen").click()
        expect(alert).to_contain_text("Kræver en API-nøgle")
        expect(page.locator("#key-status")).to_be_hidden()
    finally:
        context.close()
    assert not errors, errors


# -- screenshots at laptop, tablet and phone width --------------------------------------------------------


@pytest.mark.parametrize("device", ["laptop", "tablet", "phone"])
def test_main_views_fit_and_are_saved_as_screenshots(
    device: str, request: pytest.FixtureRequest, doc_ids: dict[str, str]
) -> None:
    page: Page = request.getfixturevalue({"laptop": "page"}.get(device, device))
    views = [
        ("search", "/?q=familiebehandling+i+hjemmet", "#search-results .hit"),
        (
            "ask",
            "/?view=ask&q=Hvordan+f%C3%A5r+skolerne+hj%C3%A6lp+fra+socialr%C3%A5dgivere%3F",
            ".muni-card",
        ),
        (
            "compare",
            "/?view=compare&q=socialr%C3%A5dgiver&kommune=Herning&kommune=Hj%C3%B8rring&kommune=Hvidovre",
            ".compare-grid .hit",
        ),
        ("document", f"/?doc={doc_ids['Hvidovre']}", ".doc-similar .similar-item"),
        ("status", "/?view=status", ".count-grid"),
    ]
    for name, url, ready in views:
        page.goto(url)
        expect(page.locator(ready).first).to_be_visible()
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} scrolls sideways at {device} width"
        expect(page.locator(".site-footer")).to_contain_text(
            "Vidensmægler – find sammenlignelig kommunal praksis"
        )
        screenshot(page, f"{name}-{device}")
