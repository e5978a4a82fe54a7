"""The harvest's pure decisions: URLs, bounds, links, sitemaps, robots.txt, delays, names, citations, domains."""

from __future__ import annotations

import gzip

from broker.crawl import WebOptions, user_agent
from broker.crawl_rules import (
    Robots,
    Scope,
    citation,
    kind_of,
    normalize,
    page_links,
    parse_sitemap,
    stored_name,
)
from core.settings import Settings
from language.registry import municipalities, municipality_for_host, web_domains

SITE = "https://www.eksempel.dk"


def test_urls_are_normalised_and_credentials_or_other_schemes_refused() -> None:
    assert normalize("HTTPS://WWW.Eksempel.DK:443/a/../b?x=1#top") == f"{SITE}/b?x=1"
    assert normalize("http://127.0.0.1:8080") == "http://127.0.0.1:8080/"
    assert normalize("side.pdf", f"{SITE}/born/") == f"{SITE}/born/side.pdf"
    assert normalize("https://bruger:kode@www.eksempel.dk/") is None
    assert normalize("mailto:a@b.dk") is None and normalize("javascript:void(0)") is None
    assert normalize("http://[::1") is None


def test_the_scope_bounds_hosts_start_path_and_patterns() -> None:
    scope = Scope(f"{SITE}/born-og-familie", frozenset({"www.eksempel.dk", "dagsorden.eksempel.dk"}))
    assert scope.fetches(f"{SITE}/born-og-familie/kvalitet")
    assert scope.fetches(f"{SITE}/media/12/standard.pdf")  # a document linked from the start path
    assert not scope.fetches(f"{SITE}/born-og-familie-arkiv")  # a neighbour, not under the start path
    assert not scope.fetches(f"{SITE}/kultur")
    assert scope.fetches("https://dagsorden.eksempel.dk/x.pdf")  # an allowed host's document
    assert not scope.fetches("https://www.andet.dk/born-og-familie/x.pdf")
    assert not scope.follows(f"{SITE}/media/12/standard.pdf")
    narrow = Scope(f"{SITE}/born", frozenset({"www.eksempel.dk"}), include=("*.pdf",), exclude=("*/arkiv/*",))
    assert narrow.indexes(f"{SITE}/born/a.pdf") and not narrow.indexes(f"{SITE}/born/side")
    assert not narrow.fetches(f"{SITE}/born/arkiv/gammel.pdf")


def test_links_are_read_from_pages_with_base_and_nofollow() -> None:
    page = (
        b'<html><head><base href="/born/"></head><body><a href="a.pdf">A</a><a href="/b#x">B</a>'
        b'<a href="a.pdf">igen</a><a rel="nofollow" href="/c">C</a><a href="mailto:x@y.dk">@</a></body></html>'
    )
    assert page_links(page, f"{SITE}/start") == [f"{SITE}/born/a.pdf", f"{SITE}/b"]
    closed = b'<meta name="robots" content="noindex, nofollow"><a href="/d">D</a>'
    assert page_links(closed, SITE) == []


def test_sitemaps_and_sitemap_indexes() -> None:
    urlset = (
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc> https://www.eksempel.dk/a?x=1&amp;y=2 </loc></url><url><loc>ftp://x/</loc></url></urlset>"
    )
    assert parse_sitemap(urlset, f"{SITE}/sitemap.xml") == ([f"{SITE}/a?x=1&y=2"], [])
    index = b"<sitemapindex><sitemap><loc>/s1.xml</loc></sitemap></sitemapindex>"
    assert parse_sitemap(index, f"{SITE}/sitemap.xml") == ([], [f"{SITE}/s1.xml"])
    assert parse_sitemap(b"not xml at all", SITE) == ([], [])
    assert parse_sitemap(gzip.compress(urlset), SITE)[0] == [f"{SITE}/a?x=1&y=2"]  # sitemap.xml.gz
    bomb = gzip.compress(b"<urlset>" + b" " * 5_000_000 + b"<url><loc>/late</loc></url></urlset>")
    assert parse_sitemap(bomb, SITE, limit=1_000_000) == ([], [])  # unpacked only up to the limit


def test_robots_rules_and_the_delay_between_requests() -> None:
    robots = Robots.parse("User-agent: *\nDisallow: /intern/\nCrawl-delay: 5\nSitemap: /s.xml\n")
    assert not robots.allows(f"{SITE}/intern/notat") and robots.allows(f"{SITE}/born")
    assert robots.delay(1.0, 60.0) == 5.0  # the site's Crawl-delay when it is longer than ours
    assert Robots.parse("User-agent: *\nCrawl-delay: 9999\n").delay(1.0, 60.0) == 60.0  # capped
    assert Robots.parse(None).delay(1.0, 60.0) == 1.0 and Robots.parse(None).allows(f"{SITE}/intern/")
    ours = Robots.parse("User-agent: Vidensmaegler\nDisallow: /\n\nUser-agent: *\nDisallow:\n")
    assert not ours.allows(f"{SITE}/born")  # rules for this service by name are obeyed
    assert robots.sitemaps() == ["/s.xml"]


def test_the_user_agent_names_the_service_and_the_contact() -> None:
    assert user_agent(Settings(web_contact="it@eksempel.dk")).startswith("Vidensmaegler/1.0 (")
    assert "kontakt: it@eksempel.dk" in user_agent(Settings(web_contact="it@eksempel.dk"))
    assert Settings().web_delay_s >= 1.0


def test_kinds_stored_names_and_citations() -> None:
    assert kind_of("text/html; charset=utf-8", f"{SITE}/a") == "html"
    assert kind_of("application/octet-stream", f"{SITE}/a.PDF") == "pdf"
    assert kind_of("image/png", f"{SITE}/a.png") is None
    name = stored_name(f"{SITE}/media/12/Kvalitetsstandard 2021.pdf", "pdf")
    assert name.startswith("www.eksempel.dk/") and name.endswith("/Kvalitetsstandard-2021.pdf")
    assert stored_name(f"{SITE}/born/", "html").endswith("/born.html")
    assert stored_name(f"{SITE}/a?x=1", "html") != stored_name(f"{SITE}/a?x=2", "html")
    assert citation(f"{SITE}/a.pdf", "pdf", 3) == f"{SITE}/a.pdf#page=3"
    assert citation(f"{SITE}/a", "html", 1) == f"{SITE}/a"


def test_web_options_round_trip_through_json() -> None:
    options = WebOptions(f"{SITE}/born", 10, 2, ("*.pdf",), (), ("dagsorden.eksempel.dk",), "Greve")
    assert WebOptions.from_json(options.as_json()) == options


def test_the_municipality_follows_the_host() -> None:
    assert municipality_for_host("www.aarhus.dk") == "Aarhus"
    assert municipality_for_host("dagsordener.kk.dk:443") == "København"
    assert municipality_for_host("www.brk.dk") == "Bornholm"
    assert municipality_for_host("notaarhus.dk") is None and municipality_for_host("127.0.0.1:8042") is None
    assert set(web_domains().values()) <= set(municipalities())
    demo = {"Aalborg", "Aarhus", "Hjørring", "Hvidovre", "Greve", "Odense", "København", "Vejle", "Tønder"}
    assert demo <= set(web_domains().values())
