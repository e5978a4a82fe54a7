"""One harvest run after another against the fake site: what is fetched and what not, conditional requests,
changed pages, and the two-run removal rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from broker.crawl import CrawlOutcome, Harvester, WebOptions
from core.settings import Settings
from index.web_state import PageState
from tests.web_sources.site import BIG, DOCX, PDF, Page, Site, html

START = "/born-og-familie"
STORED = {
    START,
    "/born-og-familie/kvalitetsstandarder",
    "/born-og-familie/forebyggelse",
    "/born-og-familie/forsvinder",
    PDF,
    DOCX,
    "/born-og-familie/kalender?side=1",
    "/born-og-familie/kalender?side=2",
    "/born-og-familie/kalender?side=3",
}


def run(
    settings: Settings, site: Site, root: Path, known: dict[str, PageState], **options: object
) -> CrawlOutcome:
    chosen = WebOptions(url=site.url + START, max_pages=100, max_depth=3, kommune="Greve")
    chosen = WebOptions(**{**chosen.as_json(), **options})
    harvester = Harvester(settings, chosen, root, known)
    try:
        return harvester.run()
    finally:
        harvester.close()


def paths(site: Site, urls: list[str] | dict[str, object]) -> set[str]:
    return {u.removeprefix(site.url) for u in urls}


def test_first_run_fetches_exactly_the_allowed_pages_and_files(
    site: Site, other: Site, web_settings: Settings, tmp_path: Path
) -> None:
    outcome = run(web_settings, site, tmp_path / "web", {})

    assert paths(site, outcome.fetched) == STORED
    asked = set(site.paths())
    assert "/born-og-familie/intern/notat" not in asked  # robots.txt forbids the folder
    assert "/kultur/koncerter" not in asked and "/ingen/side" not in asked  # outside the start path
    assert "/born-og-familie/kalender?side=4" not in asked  # the endless calendar ends at the depth limit
    assert not other.paths()  # neither the redirect nor the link to another host was followed
    skipped = dict((u.removeprefix(site.url), why) for u, why in outcome.skipped)
    assert "anden vært" in skipped["/born-og-familie/flyttet"]
    assert "robots.txt" in skipped["/born-og-familie/intern/notat"]
    failures = {f.path.removeprefix(site.url): f.code for f in outcome.failures}
    assert failures == {"/born-og-familie/langsom": "timeout", BIG: "too_large"}
    assert not outcome.site_down
    # Stored copies keep the URL's name with the content's suffix; credentials and cookies are never sent.
    stored = {Path(p.path).name for p in outcome.pages.values()}
    assert "kvalitetsstandard-aflastning-2021.pdf" in stored and "forebyggelse.html" in stored
    assert all(
        Path(p.path).is_file() and Path(p.path).is_relative_to(tmp_path / "web")
        for p in outcome.pages.values()
    )
    assert all("authorization" not in h and "cookie" not in h for _, _, h in site.requests)
    assert all(h["user-agent"].startswith("Vidensmaegler/") for _, _, h in site.requests)


def test_second_run_asks_conditionally_and_fetches_only_what_changed(
    site: Site, web_settings: Settings, tmp_path: Path
) -> None:
    first = run(web_settings, site, tmp_path / "web", {})
    site.pages["/born-og-familie/forebyggelse"] = Page(html("Strategi for forebyggelse", "Revideret i 2024."))
    site.clear()

    second = run(web_settings, site, tmp_path / "web", first.pages)

    assert paths(site, second.fetched) == {"/born-og-familie/forebyggelse"}
    unchanged = STORED - {"/born-og-familie/forebyggelse"}
    assert paths(site, second.not_modified) == unchanged
    assert set(site.paths("304")) == unchanged  # counted at the server: one 304 for each unchanged URL
    pdf_request = next(h for p, _, h in site.requests if p == PDF)
    assert pdf_request["if-modified-since"] and "if-none-match" not in pdf_request  # files: Last-Modified
    page_request = next(h for p, _, h in site.requests if p == START)
    assert page_request["if-none-match"].startswith('"')
    changed = second.pages[site.url + "/born-og-familie/forebyggelse"]
    assert b"Revideret i 2024" in Path(changed.path).read_bytes()


def test_a_gone_page_is_removed_after_two_runs_without_it_never_after_one(
    site: Site, web_settings: Settings, tmp_path: Path
) -> None:
    root = tmp_path / "web"
    first = run(web_settings, site, root, {})
    gone_url = site.url + "/born-og-familie/forsvinder"
    copy = Path(first.pages[gone_url].path)
    del site.pages["/born-og-familie/forsvinder"]  # 404 from now on

    second = run(web_settings, site, root, first.pages)
    assert gone_url in second.gone and gone_url in second.pages and copy.is_file()

    third = run(web_settings, site, root, second.pages)
    assert third.removed == {gone_url: str(copy)}
    assert gone_url not in third.pages and not copy.exists()


def test_a_page_no_longer_linked_goes_after_two_runs(
    site: Site, web_settings: Settings, tmp_path: Path
) -> None:
    root = tmp_path / "web"
    first = run(web_settings, site, root, {})
    docx_url = site.url + DOCX
    page = site.pages["/born-og-familie/kvalitetsstandarder"]
    site.pages["/born-og-familie/kvalitetsstandarder"] = Page(page.body.replace(DOCX.encode(), b"/andet"))

    site.clear()
    second = run(web_settings, site, root, first.pages)
    assert docx_url in second.gone and DOCX not in site.paths()
    third = run(web_settings, site, root, second.pages)
    assert docx_url in third.removed


def test_a_site_that_is_down_keeps_everything_and_fails(
    site: Site, web_settings: Settings, tmp_path: Path
) -> None:
    root = tmp_path / "web"
    first = run(web_settings, site, root, {})
    del site.pages["/born-og-familie/forsvinder"]
    second = run(web_settings, site, root, first.pages)  # missing once
    site.pages["/robots.txt"] = Page(b"", "text/plain", status=503)

    down = run(web_settings, site, root, second.pages)

    assert down.site_down and down.pages == second.pages and not down.removed
    assert [f.code for f in down.failures] == ["site_down"]
    assert all(Path(p.path).is_file() for p in down.pages.values())
    site.pages["/robots.txt"] = Page(b"User-agent: *\nDisallow: /born-og-familie/intern/\n", "text/plain")
    site.pages["/born-og-familie"] = Page(b"", status=500)
    assert run(web_settings, site, root, second.pages).site_down  # the start page answering 5xx too


def test_max_pages_bounds_the_run_and_keeps_what_it_did_not_reach(
    site: Site, web_settings: Settings, tmp_path: Path
) -> None:
    root = tmp_path / "web"
    first = run(web_settings, site, root, {})
    site.clear()
    limited = run(web_settings, site, root, first.pages, max_pages=3)
    asked = [p for p in site.paths() if p not in ("/robots.txt", "/sitemap_index.xml", "/sitemap-sider.xml")]
    assert len(asked) == 3
    assert not limited.removed and not limited.gone  # unreached because of the cap is not missing
    assert set(limited.pages) == set(first.pages)


def test_include_and_exclude_patterns(site: Site, web_settings: Settings, tmp_path: Path) -> None:
    outcome = run(web_settings, site, tmp_path / "web", {}, include=("/media/*",), exclude=("*kalender*",))
    assert paths(site, outcome.fetched) == {PDF, DOCX}
    assert not any("kalender" in p for p in site.paths())


def test_a_redirect_inside_the_site_is_followed_and_kept_under_the_linked_url(
    site: Site, web_settings: Settings, tmp_path: Path
) -> None:
    site.pages["/born-og-familie/gammel-side"] = Page(b"", status=301, location="/born-og-familie/ny-side")
    site.pages["/born-og-familie/ny-side"] = Page(html("Handleplan", "Handleplan for familieområdet 2024."))
    site.pages[START] = Page(html("Børn og familie", "Forsiden.", ["/born-og-familie/gammel-side"]))

    outcome = run(web_settings, site, tmp_path / "web", {})

    assert "/born-og-familie/gammel-side" in paths(site, outcome.fetched)
    assert "/born-og-familie/ny-side" not in paths(site, outcome.fetched)  # one document, not two
    assert site.paths().count("/born-og-familie/ny-side") == 1
    stored = outcome.pages[site.url + "/born-og-familie/gammel-side"]
    assert b"Handleplan for familieomr" in Path(stored.path).read_bytes()


def test_robots_txt_is_read_through_a_redirect(site: Site, web_settings: Settings, tmp_path: Path) -> None:
    rules = site.pages["/robots.txt"]
    site.pages["/robots.txt"] = Page(b"", status=301, location="/ny/robots.txt")
    site.pages["/ny/robots.txt"] = rules

    outcome = run(web_settings, site, tmp_path / "web", {})

    assert not outcome.site_down and paths(site, outcome.fetched) == STORED
    assert "/born-og-familie/intern/notat" not in site.paths()  # its rules still hold


def test_a_fault_inside_one_harvest_keeps_the_source_and_reports_it(
    site: Site, web_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from broker import web_sources
    from index.store import Store
    from index.web_state import load

    web_sources.add_web_source(web_settings, site.url + START, "greve-web", kommune="Greve", max_depth=1)
    sources = [s for s in web_sources_list(web_settings) if s["name"] == "greve-web"]
    first = web_sources.harvest(web_settings, sources)
    assert first.outcomes["greve-web"].fetched and "site_down" not in {f.code for f in first.failures}

    def broken(self: Harvester) -> CrawlOutcome:
        raise RuntimeError("fejl i høsten")

    monkeypatch.setattr(Harvester, "run", broken)  # a unit test of the plumbing around a failing run
    second = web_sources.harvest(web_settings, sources)
    assert [f.code for f in second.failures] == ["site_down"]
    store = Store(web_settings.db_path)
    try:
        assert set(load(store.conn, "greve-web")) == set(first.outcomes["greve-web"].pages)
    finally:
        store.close()


def web_sources_list(settings: Settings) -> list[dict[str, object]]:
    from broker.reindex import list_sources

    return list_sources(settings)
