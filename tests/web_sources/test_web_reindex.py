"""A web source in the weekly re-index, on the real index and model: the allowed documents with the site's
municipality, type, year and URL citations; unchanged pages cost a 304; removal only after two good runs."""

from __future__ import annotations

import datetime
import json
import time
from pathlib import Path

import httpx
import pytest

from broker.paths import SourcePaths
from broker.reindex import LAST_REINDEX, list_sources, reindex, remove_source
from broker.report_views import report_view
from broker.reports import result_dict
from broker.search import Engine
from broker.web_sources import add_web_source
from core.errors import InvalidQuery
from core.settings import Settings
from core.types import SearchFilters
from index.embed import Embedder
from index.store import Store
from tests.api.conftest import serve
from tests.broker.test_cli import broker
from tests.hardening.conftest import ADMIN, with_keys
from tests.hardening.test_upload import consistent
from tests.web_sources.site import DOCX, PDF, Page, Site, html
from tests.web_sources.test_harvest import STORED

pytestmark = pytest.mark.slow
START = "/born-og-familie"


@pytest.fixture
def indexed(private_index: tuple[Settings, Path], web_settings: Settings) -> Settings:
    """The small index's private copy with the harvest's test settings."""
    fast = {k: getattr(web_settings, k) for k in ("web_delay_s", "web_timeout_s", "web_max_mb")}
    return private_index[0].model_copy(update=fast)


def web_documents(settings: Settings, site: Site) -> dict[str, dict[str, object]]:
    """URL -> document metadata of the web source's documents."""
    store = Store(settings.db_path)
    try:
        links = store.web_links()
        out = {}
        for path, (url, _, _) in links.items():
            row = store.conn.execute("SELECT doc_id FROM sources WHERE path = ?", (path,)).fetchone()
            if row is not None:
                out[url.removeprefix(site.url)] = store.document(row[0]) or {}
        return out
    finally:
        store.close()


def test_a_web_source_through_four_weekly_runs(indexed: Settings, site: Site, e5: Embedder) -> None:
    settings = indexed
    added = add_web_source(settings, site.url + START, "greve-web", kommune="greve", max_depth=3)
    assert added["kind"] == "web" and added["web"]["kommune"] == "Greve"
    assert [s["url"] for s in list_sources(settings) if s["kind"] == "web"] == [site.url + START]

    first = reindex(settings, e5)
    assert {f.path.removeprefix(site.url): f.code for f in first.failed} == {
        "/born-og-familie/langsom": "timeout",
        "/media/9999/stor-rapport.pdf": "too_large",
    }
    assert {p.removeprefix(site.url) for p in first.added} == STORED
    docs = web_documents(settings, site)
    assert set(docs) == STORED
    assert {d["municipality"] for d in docs.values()} == {"Greve"}  # the site's, not the text's ("ukendt")
    assert {d["region"] for d in docs.values()} == {"Region Sjælland"}
    assert (docs[PDF]["doc_type"], docs[PDF]["year"]) == ("kvalitetsstandard", 2021)
    assert (docs[DOCX]["doc_type"], docs[DOCX]["year"]) == ("indsatskatalog", 2022)
    assert docs["/born-og-familie/forebyggelse"]["doc_type"] == "strategi"
    assert consistent(settings) == []
    store = Store(settings.db_path)
    try:  # a search reads the links of its hits' pages only
        every = store.web_links()
        one = next(iter(every))
        assert store.web_links([one, one, "/ingen/side"]) == {one: every[one]}
    finally:
        store.close()

    engine = Engine(settings, embedder=e5)
    try:
        result = engine.search(
            "opfølgning på aflastningen hvert halve år", k=3, filters=SearchFilters(kommuner=["Greve"])
        )
        shown = result_dict(
            result, SourcePaths(engine.store.registered_sources(), engine.store.web_links()), admin=False
        )
    finally:
        engine.close()
    top = shown["results"][0]
    assert top["source"] == site.url + PDF  # the URL, never the stored copy's path
    assert top["url"] == f"{site.url}{PDF}#page={top['page']}" and top["page"] == 2
    assert top["fetched"] == datetime.datetime.now(datetime.UTC).date().isoformat()
    assert str(settings.data_dir) not in json.dumps(shown)

    site.pages["/born-og-familie/forebyggelse"] = Page(
        html("Strategi for forebyggelse", "Strategien er revideret i 2024 med flere familiehuse.")
    )
    del site.pages["/born-og-familie/forsvinder"]
    site.clear()
    second = reindex(settings, e5)
    assert [p.removeprefix(site.url) for p in second.updated] == ["/born-og-familie/forebyggelse"]
    assert not second.added and not second.removed  # the vanished page is missing once: kept
    assert set(site.paths("304")) == STORED - {"/born-og-familie/forebyggelse", "/born-og-familie/forsvinder"}
    assert "/born-og-familie/forsvinder" in web_documents(settings, site)
    assert web_documents(settings, site)["/born-og-familie/forebyggelse"]["year"] == 2024

    site.pages["/robots.txt"] = Page(b"", "text/plain", status=503)  # the site is down this week
    third = reindex(settings, e5)
    assert "site_down" in {f.code for f in third.failed} and not third.removed
    assert "/born-og-familie/forsvinder" in web_documents(settings, site)

    site.pages["/robots.txt"] = Page(b"User-agent: *\nDisallow: /born-og-familie/intern/\n", "text/plain")
    fourth = reindex(settings, e5)
    assert [p.removeprefix(site.url) for p in fourth.removed] == ["/born-og-familie/forsvinder"]
    assert set(web_documents(settings, site)) == STORED - {"/born-og-familie/forsvinder"}
    assert consistent(settings) == []

    remove_source(settings, "greve-web", e5)
    assert web_documents(settings, site) == {} and not (settings.web_dir / "greve-web").exists()


def test_bad_web_sources_get_a_clear_danish_error(indexed: Settings) -> None:
    for url, wanted in (
        ("ftp://www.eksempel.dk/", "Ugyldig webadresse"),
        ("https://bruger:kode@www.eksempel.dk/", "uden brugernavn"),
    ):
        with pytest.raises(InvalidQuery, match=wanted):
            add_web_source(indexed, url, "x")
    with pytest.raises(InvalidQuery, match="Ukendt kommune"):
        add_web_source(indexed, "https://www.eksempel.dk/", "x", kommune="Atlantis")
    with pytest.raises(InvalidQuery, match="--max-pages"):
        add_web_source(indexed, "https://www.eksempel.dk/", "x", max_pages=0)
    add_web_source(indexed, "https://www.greve.dk/borger", "greve")
    with pytest.raises(InvalidQuery, match="allerede"):
        add_web_source(indexed, "https://www.greve.dk/andet", "greve")


def test_the_api_registers_a_web_source_and_readers_see_urls(
    indexed: Settings, site: Site, e5: Embedder
) -> None:
    settings = with_keys(indexed)
    with serve(settings, e5) as server, httpx.Client(base_url=server.url, timeout=120) as http:
        body = {"name": "greve-web", "url": site.url + START, "kommune": "Greve", "max_depth": 1}
        assert http.post("/api/sources", json=body).status_code == 401
        created = http.post("/api/sources", json=body, headers=ADMIN)
        assert created.status_code == 201, created.text
        assert created.json()["web"]["max_depth"] == 1
        assert http.post("/api/reindex", headers=ADMIN).status_code == 202
        deadline = time.monotonic() + 300
        while http.get("/api/reindex", headers=ADMIN).json()["running"] and time.monotonic() < deadline:
            time.sleep(0.2)
        status = http.get("/api/reindex", headers=ADMIN).json()
        assert status["error"] is None, status
        hits = http.get(
            "/api/search", params={"q": "aflastning", "kommune": "Greve", "mode": "lexical"}
        ).json()
        pdf = next(h for h in hits["results"] if h["source"] == site.url + PDF)
        assert "absolute_path" not in pdf and pdf["url"].startswith(site.url + PDF + "#page=")
        document = http.get(f"/api/documents/{pdf['doc_id']}").json()
        assert [s["path"] for s in document["sources"]] == [site.url + PDF]
        served = http.get(f"/api/documents/{pdf['doc_id']}/file")
        assert served.status_code == 200 and served.content == site.pages[PDF].body  # the stored copy


def test_the_command_line_adds_and_lists_a_web_source(tmp_path: Path) -> None:
    data = tmp_path / "data"
    added = broker(
        "sources",
        "add",
        "https://www.greve.dk/borger/born-og-familie",
        "--web",
        "--name",
        "greve-web",
        "--max-pages",
        "50",
        "--max-depth",
        "2",
        "--include",
        "*.pdf",
        "--exclude",
        "*/arkiv/*",
        "--allow-host",
        "dagsorden.greve.dk",
        "--json",
        data=data,
    )
    assert added.returncode == 0, added.stderr
    web = json.loads(added.stdout)["web"]
    assert web == {
        "url": "https://www.greve.dk/borger/born-og-familie",
        "max_pages": 50,
        "max_depth": 2,
        "include": ["*.pdf"],
        "exclude": ["*/arkiv/*"],
        "hosts": ["dagsorden.greve.dk"],
        "kommune": None,
    }
    listed = broker("sources", "list", data=data)
    assert listed.stdout.split() == ["greve-web", "https://www.greve.dk/borger/born-og-familie"]
    bad = broker("sources", "add", "www.greve.dk", "--web", data=data)
    assert bad.returncode != 0 and "Ugyldig webadresse" in bad.stderr and "Traceback" not in bad.stderr


def test_an_internal_web_source_stays_hidden_with_its_failures(
    indexed: Settings, site: Site, e5: Embedder
) -> None:
    add_web_source(indexed, site.url + START, "intern-web", internal=True, kommune="Greve", max_depth=1)
    report = reindex(indexed, e5)
    assert len(report.failed) == 2 and all(f.path.startswith(site.url) for f in report.failed)
    store = Store(indexed.db_path)
    try:
        record = store.get_json(LAST_REINDEX)
        public = report_view(record, admin=False, sees_internal=False)
    finally:
        store.close()
    assert public is not None and public["counts"]["failed"] == 0 and public["counts"]["added"] == 0
    engine = Engine(indexed, embedder=e5)
    try:
        hidden = engine.search("aflastning", k=5, filters=SearchFilters(kommuner=["Greve"]))
        seen = engine.search(
            "aflastning", k=5, filters=SearchFilters(kommuner=["Greve"], include_internal=True)
        )
    finally:
        engine.close()
    web_ids = {d["doc_id"] for d in web_documents(indexed, site).values()}
    assert web_ids and {d["internal"] for d in web_documents(indexed, site).values()} == {True}
    assert not web_ids & {h.doc_id for h in hidden.results}
    assert web_ids & {h.doc_id for h in seen.results}
