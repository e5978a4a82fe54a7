"""Web pages: the declared charset, main content without boilerplate, headings, title and date."""

from __future__ import annotations

from ingest.html import parse_html
from tests.ingest.ingest_files import HTML_PAGE

BOILERPLATE = ("cookies", "Accepter", "Forside", "Erhverv", "Springvandspladsen", "tracking", "Se også")


def _text(data: bytes) -> str:
    return "\n".join(b.text for b in parse_html(data).blocks)


def test_page_declared_as_windows_1252_is_decoded_with_that_charset() -> None:
    text = _text(HTML_PAGE.encode("cp1252"))
    assert "børnefaglig undersøgelse" in text
    assert "Hjørring Kommune" in text


def test_navigation_cookie_banner_scripts_aside_and_footer_are_dropped() -> None:
    text = _text(HTML_PAGE.encode("cp1252"))
    for word in BOILERPLATE:
        assert word not in text


def test_headings_keep_their_levels() -> None:
    parsed = parse_html(HTML_PAGE.encode("cp1252"))
    headings = [(b.level, b.text) for b in parsed.blocks if b.kind == "heading"]
    assert headings == [(1, "Familiebehandling"), (2, "Hvem kan få familiebehandling?"), (3, "Varighed")]


def test_lists_and_tables_keep_their_shape() -> None:
    parsed = parse_html(HTML_PAGE.encode("cp1252"))
    kinds = {b.kind: b.text for b in parsed.blocks}
    assert (
        kinds["list"]
        == "• Forældre med behov for støtte til opdragelsen\n• Familier i krise efter skilsmisse"
    )
    assert kinds["table"] == "Indsats: Familiebehandling · Varighed: 6-12 måneder"


def test_title_comes_from_og_title_and_date_from_dcterms() -> None:
    meta = parse_html(HTML_PAGE.encode("cp1252")).meta
    assert meta["title"] == "Familiebehandling i Hjørring Kommune"
    assert meta["created"] == "2021-03-12"
    assert meta["publisher"] == "Hjørring Kommune"


def test_title_falls_back_to_the_title_element_and_published_time_gives_the_date() -> None:
    page = (
        '<html><head><meta charset="utf-8"><title>Forebyggelsesstrategi | Faaborg-Midtfyn Kommune</title>'
        '<meta property="article:published_time" content="2019-09-01T08:00:00+02:00"></head>'
        "<body><main><h1>Forebyggelsesstrategi</h1><p>Strategien sætter børnenes trivsel først.</p></main>"
        "</body></html>"
    )
    meta = parse_html(page.encode("utf-8")).meta
    assert meta["title"] == "Forebyggelsesstrategi | Faaborg-Midtfyn Kommune"
    assert meta["created"] == "2019-09-01"


def test_short_page_without_clear_main_content_still_yields_its_text() -> None:
    page = (
        "<html><body><nav><a href='/'>Menu</a></nav><div id='cookie-notice'>Vi bruger cookies</div>"
        "<div class='indhold'><h2>Åben anonym rådgivning</h2><p>Ring til Familiehuset.</p></div>"
        "<footer>Kontakt os</footer></body></html>"
    )
    parsed = parse_html(page.encode("utf-8"))
    texts = [b.text for b in parsed.blocks]
    assert "Ring til Familiehuset." in texts
    assert not any("cookies" in t or "Menu" in t or "Kontakt" in t for t in texts)


def test_text_outside_paragraph_elements_is_not_lost() -> None:
    page = "<html><body><div>Referat fra mødet i Lejre Kommune<br>Punkt 1: Godkendt.</div></body></html>"
    texts = [b.text for b in parse_html(page.encode("utf-8")).blocks]
    assert "Punkt 1: Godkendt." in " ".join(texts)
