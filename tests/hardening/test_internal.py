"""Internal documents: found only with a key that may see them, everywhere, counts and facets included."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from broker.indexing import sync
from broker.reindex import add_source, reindex
from broker.search import Engine
from core.settings import Settings
from core.types import SearchFilters
from index.embed import Embedder
from index.store import Store, filter_clause
from tests.api.conftest import serve
from tests.hardening.conftest import ADMIN, INTERNAL, READER, with_keys

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
MODES = ("lexical", "dense", "hybrid")


@pytest.fixture
def closed_private(
    private_index: tuple[Settings, Path], e5: Embedder
) -> Iterator[tuple[httpx.Client, Settings, Path]]:
    settings = with_keys(private_index[0], readers=True)
    with serve(settings, e5) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        yield client, settings, private_index[1]


def doc_id_of(client: httpx.Client, kommune: str) -> str:
    docs = client.get("/api/documents", params={"kommune": kommune}, headers=ADMIN).json()["documents"]
    return str(docs[0]["doc_id"])


def everything_seen(
    client: httpx.Client, headers: dict[str, str], hidden: str, hidden_kommune: str
) -> dict[str, Any]:
    """Every read endpoint, asked about the hidden document's topic; returns what mentions it."""
    seen: dict[str, Any] = {}
    for mode in MODES:
        body = client.get(
            "/api/search", params={"q": "snerydning af veje", "mode": mode, "k": 50}, headers=headers
        ).json()
        seen[f"search-{mode}"] = [h["doc_id"] for h in body["results"] if h["doc_id"] == hidden]
        seen[f"facets-{mode}"] = body["facets"]["municipality"].get(hidden_kommune, 0)
    only = client.get(
        "/api/search",
        params={"q": "snerydning", "kommune": hidden_kommune, "mode": "lexical"},
        headers=headers,
    ).json()
    seen["search-filtered"] = len(only["results"])
    ask = client.post(
        "/api/ask", json={"question": "Hvordan prioriteres snerydning af veje?"}, headers=headers
    ).json()
    seen["ask-citations"] = [c["doc_id"] for c in ask["citations"] if c["doc_id"] == hidden]
    seen["ask-groups"] = [
        g["municipality"] for g in ask["by_municipality"] if g["municipality"] == hidden_kommune
    ]
    compare = client.get(
        "/api/compare",
        params=[("q", "snerydning"), ("kommune", hidden_kommune), ("kommune", "Herning")],
        headers=headers,
    ).json()
    seen["compare"] = sum(
        len(c["results"]) for c in compare["columns"] if c["municipality"] == hidden_kommune
    )
    herning = doc_id_of(client, "Herning")
    similar = client.get(f"/api/documents/{herning}/similar", params={"k": 50}, headers=headers).json()
    seen["similar"] = [r["doc_id"] for r in similar["results"] if r["doc_id"] == hidden]
    listing = client.get("/api/documents", params={"per_page": 200}, headers=headers).json()
    seen["list"] = [d["doc_id"] for d in listing["documents"] if d["doc_id"] == hidden]
    seen["list-total"] = listing["total"]
    seen["list-filtered"] = client.get(
        "/api/documents", params={"kommune": hidden_kommune}, headers=headers
    ).json()["total"]
    seen["detail"] = client.get(f"/api/documents/{hidden}", headers=headers).status_code
    seen["file"] = client.get(f"/api/documents/{hidden}/file", headers=headers).status_code
    seen["own-similar"] = client.get(f"/api/documents/{hidden}/similar", headers=headers).status_code
    names = client.get("/api/municipalities", headers=headers).json()["municipalities"]
    seen["municipalities"] = [m["name"] for m in names if m["name"] == hidden_kommune]
    stats = client.get("/api/stats", headers=headers).json()
    seen["stats"] = (stats["documents"], stats["chunks"], stats["vectors"], stats["municipalities"])
    seen["ready"] = client.get("/readyz").json()["documents"]
    return seen


def test_an_internal_document_is_invisible_without_the_right_key(
    closed_private: tuple[httpx.Client, Settings, Path],
) -> None:
    client, _, _ = closed_private
    vejle = doc_id_of(client, "Vejle")
    before = everything_seen(client, READER, vejle, "Vejle")
    assert before["search-lexical"] == [vejle] and before["list"] == [vejle] and before["detail"] == 200

    marked = client.patch(f"/api/documents/{vejle}", json={"internal": True}, headers=ADMIN)
    assert marked.status_code == 200 and marked.json()["internal"] is True

    hidden = everything_seen(client, READER, vejle, "Vejle")
    for key in (
        "search-lexical",
        "search-dense",
        "search-hybrid",
        "ask-citations",
        "ask-groups",
        "similar",
        "list",
        "municipalities",
    ):
        assert hidden[key] == [], (key, hidden[key])
    for key in (
        "facets-lexical",
        "facets-dense",
        "facets-hybrid",
        "search-filtered",
        "compare",
        "list-filtered",
    ):
        assert hidden[key] == 0, (key, hidden[key])
    assert hidden["detail"] == hidden["file"] == hidden["own-similar"] == 404
    assert hidden["list-total"] == before["list-total"] - 1
    docs, chunks, vectors, municipalities = hidden["stats"]
    assert docs == before["stats"][0] - 1 and chunks < before["stats"][1] and vectors == chunks
    assert municipalities == before["stats"][3] - 1
    assert hidden["ready"] == before["stats"][0] - 1
    missing = client.get("/api/documents/findesikke", headers=READER).json()["error"]
    assert client.get(f"/api/documents/{vejle}", headers=READER).json()["error"] == missing.replace(
        "findesikke", vejle
    )

    for headers in (INTERNAL, ADMIN):
        seen = everything_seen(client, headers, vejle, "Vejle")
        assert seen["search-lexical"] == [vejle] and seen["list"] == [vejle], headers
        assert seen["detail"] == seen["file"] == 200 and seen["stats"] == before["stats"]

    public = client.patch(f"/api/documents/{vejle}", json={"internal": False}, headers=ADMIN)
    assert public.json()["internal"] is False
    assert everything_seen(client, READER, vejle, "Vejle")["search-lexical"] == [vejle]


def test_the_last_reindex_report_hides_internal_files(
    closed_private: tuple[httpx.Client, Settings, Path], e5: Embedder
) -> None:
    client, settings, corpus = closed_private
    add_source(settings, corpus, name="korpus")
    (corpus / "vejle_vejvedligeholdelse_2023.txt").write_text(
        "Notat om vejvedligeholdelse\n\nVejle Kommune, 2024.\n\nSnerydning sker efter en ny plan.", "utf-8"
    )
    vejle = doc_id_of(client, "Vejle")
    client.patch(f"/api/documents/{vejle}", json={"internal": True}, headers=ADMIN)
    reindex(settings, e5)
    full = client.get("/api/stats", headers=ADMIN).json()["last_reindex"]
    names = [Path(p).name for p in full["updated"] + full["unchanged"]]
    assert "vejle_vejvedligeholdelse_2023.txt" in names
    for headers, shown in ((READER, False), (INTERNAL, True)):
        stats = client.get("/api/stats", headers=headers).json()
        for key in ("last_reindex", "last_ingest"):  # a re-index is also the last ingest
            report = stats[key]
            assert "updated" not in report and "unchanged" not in report, (headers, key)  # counts, no paths
            counted = report["counts"]["updated"] + report["counts"]["unchanged"]
            assert counted == len(names) - (0 if shown else 1), (headers, key)
    # The changed file kept its mark: its new document is internal too.
    assert (
        client.get("/api/search", params={"q": "snerydning", "mode": "lexical"}, headers=READER).json()[
            "results"
        ]
        == []
    )
    assert client.get("/api/search", params={"q": "snerydning", "mode": "lexical"}, headers=INTERNAL).json()[
        "results"
    ]


def test_a_source_registered_as_internal_hides_its_documents(
    closed_private: tuple[httpx.Client, Settings, Path], e5: Embedder, tmp_path: Path
) -> None:
    client, settings, _ = closed_private
    folder = tmp_path / "interne"
    folder.mkdir()
    (folder / "viborg_notat_2024.txt").write_text(
        "Notat om underretninger\n\nViborg Kommune, 2024.\n\nUnderretninger om skolebørn vurderes inden for et døgn.",
        "utf-8",
    )
    sync([folder], settings, e5)  # indexed first as public ...
    query = {"q": "underretninger skolebørn døgn", "mode": "lexical", "kommune": "Viborg"}
    assert client.get("/api/search", params=query, headers=READER).json()["results"]
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "broker.cli",
            "sources",
            "add",
            str(folder),
            "--internal",
            "--data",
            str(settings.data_dir),
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 0, cli.stderr
    # ... and hidden as soon as its folder is registered as internal, before any re-index.
    assert client.get("/api/search", params=query, headers=READER).json()["results"] == []
    reindex(settings, e5)
    assert client.get("/api/search", params=query, headers=READER).json()["results"] == []
    hits = client.get("/api/search", params=query, headers=INTERNAL).json()["results"]
    assert hits
    refused = client.patch(f"/api/documents/{hits[0]['doc_id']}", json={"internal": False}, headers=ADMIN)
    assert refused.status_code == 422 and "intern" in refused.json()["error"]


def test_internal_is_a_filter_inside_both_retrievers(small_index: tuple[Settings, Path]) -> None:
    where, params = filter_clause(SearchFilters())
    assert where == "d.internal = 0" and params == []
    assert filter_clause(SearchFilters(include_internal=True)) == ("1", [])
    assert filter_clause(None) == ("1", [])
    assert not SearchFilters().is_empty() and SearchFilters(include_internal=True).is_empty()


def test_without_internal_documents_the_fast_path_stays(
    private_index: tuple[Settings, Path], e5: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No allowed-id list for the vector index while nothing is internal; one once something is."""
    settings = private_index[0]
    engine = Engine(settings, embedder=e5)
    calls: list[object] = []
    real = Store.chunk_ids

    def counting(self: Store, filters: SearchFilters | None = None) -> Any:
        calls.append(filters)
        return real(self, filters)

    monkeypatch.setattr(Store, "chunk_ids", counting)
    public = engine.search("snerydning", mode="dense", k=3)
    assert calls == []
    store = Store(settings.db_path)
    vejle = store.conn.execute("SELECT doc_id FROM documents WHERE municipality = 'Vejle'").fetchone()[0]
    with store.write():
        store.set_internal([vejle], True)
    store.close()
    hidden = engine.search("snerydning", mode="dense", k=3)
    assert len(calls) == 1
    assert vejle in {h.doc_id for h in public.results} and vejle not in {h.doc_id for h in hidden.results}
    shown = engine.search("snerydning", mode="dense", k=3, filters=SearchFilters(include_internal=True))
    assert vejle in {h.doc_id for h in shown.results} and len(calls) == 1
    engine.close()


def test_the_command_line_marks_and_deletes_documents(private_index: tuple[Settings, Path]) -> None:
    settings = private_index[0]
    store = Store(settings.db_path)
    vejle = store.conn.execute("SELECT doc_id FROM documents WHERE municipality = 'Vejle'").fetchone()[0]
    store.close()

    def broker(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "broker.cli", *args, "--data", str(settings.data_dir)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )

    marked = broker("documents", "set", vejle, "--internal", "--json")
    assert marked.returncode == 0, marked.stderr
    store = Store(settings.db_path)
    assert store.document(vejle)["internal"] is True  # type: ignore[index]
    store.close()
    assert (
        "snerydning" in broker("search", "snerydning", "--mode", "lexical").stdout.lower()
    )  # the CLI sees all
    assert broker("documents", "delete", vejle).returncode == 0
    missing = broker("documents", "delete", vejle)
    assert missing.returncode == 4 and "findes ikke" in missing.stderr
