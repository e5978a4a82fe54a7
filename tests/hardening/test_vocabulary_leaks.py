"""Internal words and files never reach callers without internal rights: suggestions, query plans, the re-index
report, and no difference in the work done between an internal-only word and a word no document has."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from broker.indexing import remove_documents, sync
from broker.reindex import add_source, reindex
from broker.search import Engine, QueryPlan
from core.settings import Settings
from core.types import SearchFilters
from index.embed import Embedder
from index.store import Store
from tests.api.conftest import serve
from tests.hardening.conftest import ADMIN, INTERNAL, READER, with_keys

pytestmark = pytest.mark.slow
MODES = ("lexical", "dense", "hybrid")
NO_KEY: dict[str, str] = {}
PERSON = "mette_hansen"  # a made-up name in an internal file's name
SECRET = (
    "Notat om zyxorbehandling\n\nVejle Kommune, 2024.\n\n"
    "Zyxorbehandling er et internt forløb for udsatte familier. Zyxor er navnet på metoden, og zyxor-teamet "
    "følger hver zyxorbehandling op hver fjortende dag. Kvornikrådgiveren leder zyxorbehandlingen."
)
NOT_A_WORD = "qwertbehandling"  # built like the internal word, found in no document at all


@pytest.fixture
def internal_index(
    private_index: tuple[Settings, Path], e5: Embedder, tmp_path: Path
) -> tuple[Settings, Path]:
    """The small index, its corpus registered as a public source, and an internal source with made-up words."""
    settings, corpus = private_index
    folder = tmp_path / "interne"
    folder.mkdir()
    (folder / f"samtale_{PERSON}_2024.txt").write_text(SECRET, "utf-8")
    add_source(settings, corpus, name="korpus")
    add_source(settings, folder, name="interne", internal=True)
    report = reindex(settings, e5)
    assert len(report.added) == 1 and not report.failed, report
    return settings, folder


@pytest.fixture
def callers(
    internal_index: tuple[Settings, Path], e5: Embedder
) -> Iterator[dict[str, tuple[httpx.Client, dict[str, str]]]]:
    """Anonymous callers (reads open), reader, internal and admin keys (reads closed), over the same index."""
    settings = internal_index[0]
    with (
        serve(with_keys(settings), e5) as open_server,
        serve(with_keys(settings, readers=True), e5) as closed_server,
        httpx.Client(base_url=open_server.url, timeout=120) as open_client,
        httpx.Client(base_url=closed_server.url, timeout=120) as closed_client,
    ):
        yield {
            "anonymous": (open_client, NO_KEY),
            "reader": (closed_client, READER),
            "internal": (closed_client, INTERNAL),
            "admin": (closed_client, ADMIN),
        }


SEES_INTERNAL = {"anonymous": False, "reader": False, "internal": True, "admin": True}


def spelling_seen(client: httpx.Client, headers: dict[str, str]) -> dict[str, Any]:
    """The suggestion for a typo of the internal word in every mode and in ask, and what the word finds."""
    seen: dict[str, Any] = {}
    for mode in MODES:
        body = client.get(
            "/api/search", params={"q": "Zyxorbehandlinx", "mode": mode}, headers=headers
        ).json()
        seen[f"suggestion-{mode}"] = body["suggestion"]
    asked = client.post("/api/ask", json={"question": "Hvad er Zyxorbehandlinx?"}, headers=headers).json()
    seen["suggestion-ask"] = asked["suggestion"]
    found = client.get(
        "/api/search", params={"q": "zyxorbehandling", "mode": "lexical"}, headers=headers
    ).json()
    seen["found"] = len(found["results"])
    return seen


def test_did_you_mean_offers_only_words_of_documents_the_caller_may_see(
    callers: dict[str, tuple[httpx.Client, dict[str, str]]],
) -> None:
    for name, (client, headers) in callers.items():
        seen = spelling_seen(client, headers)
        suggestions = [v for k, v in seen.items() if k.startswith("suggestion")]
        if SEES_INTERNAL[name]:
            assert suggestions[:3] == ["Zyxorbehandling"] * 3, (name, seen)
            assert suggestions[3] == "Hvad er Zyxorbehandling?" and seen["found"] >= 1, (name, seen)
        else:
            assert suggestions == [None] * 4 and seen["found"] == 0, (name, seen)


def test_the_vocabulary_follows_a_document_marked_internal_and_public_again(
    internal_index: tuple[Settings, Path], e5: Embedder, tmp_path: Path
) -> None:
    settings = internal_index[0]
    folder = tmp_path / "marked"
    folder.mkdir()
    (folder / "vejle_plimqvist_2024.txt").write_text(
        "Plimqvistmodellen i Vejle\n\nVejle Kommune, 2024.\n\nPlimqvistmodellen samler rådgivningen.", "utf-8"
    )
    sync([folder], settings, e5)
    typo = {"q": "Plimqvestmodellen", "mode": "lexical"}
    with serve(with_keys(settings, readers=True), e5) as server, httpx.Client(base_url=server.url) as client:

        def suggestions() -> tuple[str | None, str | None]:
            return tuple(
                client.get("/api/search", params=typo, headers=h).json()["suggestion"]
                for h in (READER, INTERNAL)
            )

        assert suggestions() == ("Plimqvistmodellen", "Plimqvistmodellen")
        doc_id = client.get("/api/search", params={"q": "plimqvistmodellen"}, headers=READER).json()[
            "results"
        ]
        doc_id = doc_id[0]["doc_id"]
        assert (
            client.patch(f"/api/documents/{doc_id}", json={"internal": True}, headers=ADMIN).status_code
            == 200
        )
        assert suggestions() == (None, "Plimqvistmodellen")
        assert (
            client.patch(f"/api/documents/{doc_id}", json={"internal": False}, headers=ADMIN).status_code
            == 200
        )
        assert suggestions() == ("Plimqvistmodellen", "Plimqvistmodellen")


def test_the_vocabulary_per_visibility_adds_up_to_the_lexical_index(
    internal_index: tuple[Settings, Path],
) -> None:
    """After adding, marking and deleting, the two vocabularies together hold exactly the indexed words."""
    settings = internal_index[0]
    store = Store(settings.db_path)
    try:
        secret = store.conn.execute("SELECT doc_id FROM documents WHERE internal = 1").fetchone()[0]
        public = store.conn.execute("SELECT doc_id FROM documents WHERE internal = 0 LIMIT 1").fetchone()[0]
        for marks in ([(public, True)], [(public, False), (secret, False)], [(secret, True)]):
            with store.write():
                for doc_id, internal in marks:
                    store.set_internal([doc_id], internal)
            assert_vocabularies_add_up(store)
        assert "zyxorbehandling" in store.vocabulary("words") and "zyxorbehandling" not in store.vocabulary(
            "words", include_internal=False
        )
    finally:
        store.close()
    remove_documents([secret], settings)
    store = Store(settings.db_path)
    try:
        assert_vocabularies_add_up(store)
        assert "zyxorbehandling" not in store.vocabulary("words")
    finally:
        store.close()


def assert_vocabularies_add_up(store: Store) -> None:
    def counted(sql: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for (text,) in store.conn.execute(sql):
            for token in text.split():
                counts[token] = counts.get(token, 0) + 1
        return counts

    # Each chunk's lexical entry is kept beside the vocabulary (chunks_lexical): the counts are its tokens.
    entries = "SELECT {} FROM chunks_lexical e JOIN chunks c ON c.id = e.id JOIN documents d ON d.doc_id = c.doc_id "
    kept, chunks = (
        store.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("chunks_lexical", "chunks")
    )
    assert kept == chunks  # every chunk's entry, and no entry of a deleted chunk
    assert store.vocabulary("words") == counted(entries.format("e.words"))
    public_words = counted(entries.format("e.words") + "WHERE d.internal = 0")
    assert store.vocabulary("words", include_internal=False) == public_words
    public_terms = counted(entries.format("e.terms") + "WHERE d.internal = 0")
    assert store.vocabulary("terms", include_internal=False) == public_terms


def test_the_public_plan_of_an_internal_only_word_is_that_of_a_word_no_document_has(
    internal_index: tuple[Settings, Path], e5: Embedder
) -> None:
    """No timed test: the public path is shown to do exactly the same work (plan and SQL statements) for an
    internal-only word as for a made-up one, so its time cannot tell them apart."""
    engine = Engine(internal_index[0], embedder=e5)
    try:
        for secret, unknown in (
            ("Zyxorbehandling", NOT_A_WORD.capitalize()),
            (
                "familiebehandling zyxorbehandling kvornikrådgiveren",
                f"familiebehandling {NOT_A_WORD} kvornikraadgiveren",
            ),
            ("zyxor", "qwert"),
        ):
            # (Lexical mode: the dense retriever reads the query's text itself, never the vocabulary.)
            public = [traced(engine, q, "lexical", None) for q in (secret, unknown)]
            assert public[0][0] == public[1][0], secret  # the same terms, parts and corrections
            assert public[0][1] == public[1][1], secret  # the same SQL statements, in order
            assert public[0][2] == public[1][2], secret  # and the same hits
            # With internal rights the word is known: the comparison does tell them apart.
            shown = [
                traced(engine, q, "lexical", SearchFilters(include_internal=True)) for q in (secret, unknown)
            ]
            assert shown[0][0] != shown[1][0] and shown[0][1] != shown[1][1], secret
    finally:
        engine.close()


def traced(
    engine: Engine, query: str, mode: str, filters: SearchFilters | None
) -> tuple[tuple[object, ...], list[str], list[str]]:
    """A search's plan (without the query text), the SQL it ran, and its hits."""
    engine.search(query, mode=mode, filters=filters)  # the vocabulary is loaded once, not in the trace
    with engine.store.snapshot():
        plan = engine.plan(query, filters)
    statements: list[str] = []
    conn = engine.store.conn
    conn.set_trace_callback(statements.append)
    try:
        result = engine.search(query, mode=mode, filters=filters, facets=True)
    finally:
        conn.set_trace_callback(None)
    return plan_shape(plan), statements, [h.doc_id for h in result.results]


def plan_shape(plan: QueryPlan) -> tuple[object, ...]:
    return (
        plan.terms,
        sorted(plan.expansions.items()),
        [c.suggestion for c in plan.corrections],
        plan.prefer,
    )


def stats_seen(callers: dict[str, tuple[httpx.Client, dict[str, str]]]) -> dict[str, dict[str, Any]]:
    return {
        name: client.get("/api/stats", headers=headers).json()["last_reindex"]
        for name, (client, headers) in callers.items()
    }


def test_the_reindex_report_shows_internal_files_to_an_admin_only(
    internal_index: tuple[Settings, Path],
    callers: dict[str, tuple[httpx.Client, dict[str, str]]],
    e5: Embedder,
    tmp_path: Path,
) -> None:
    settings, folder = internal_index
    secret_file = next(folder.iterdir())

    def check(listed: str) -> dict[str, dict[str, Any]]:
        seen = stats_seen(callers)
        for name in ("anonymous", "reader", "internal"):
            shown = json.dumps(seen[name])
            assert PERSON not in shown and str(tmp_path) not in shown and "interne" not in shown, (
                name,
                shown,
            )
            assert set(seen[name]).isdisjoint(("added", "updated", "removed", "failed", "unchanged")), name
        for name in ("anonymous", "reader"):
            assert "chunks_embedded" not in seen[name] and "total_seconds" not in seen[name], name
            assert seen[name]["counts"][listed] == 0, (name, seen[name])
        admin = seen["admin"]
        assert any(PERSON in json.dumps(e) or "interne" in json.dumps(e) for e in admin[listed]), admin
        assert admin["counts"][listed] == len(admin[listed]) >= 1
        assert seen["internal"]["counts"] == admin["counts"]
        return seen

    # An internal file added: counted for keys that see internal documents only, with its new chunks.
    seen = check("added")
    assert seen["reader"]["counts"]["unchanged"] == seen["admin"]["counts"]["unchanged"] >= 9
    assert seen["internal"]["chunks_embedded"] == seen["admin"]["chunks_embedded"] >= 1
    assert seen["reader"]["documents"] == seen["admin"]["documents"] - 1

    # Its file deleted: the last internal document is removed, and its path (with a name) stays hidden.
    secret_file.unlink()
    reindex(settings, e5)
    store = Store(settings.db_path)
    try:
        assert not store.has_internal()
    finally:
        store.close()
    check("removed")

    # The internal source folder missing altogether: a failure only an admin sees.
    shutil.rmtree(folder)
    reindex(settings, e5)
    check("failed")
