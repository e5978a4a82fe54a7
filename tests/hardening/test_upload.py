"""Uploads, deletion, sources and re-index through the API: limits, names, types by content, hostile files."""

from __future__ import annotations

import io
import time
import unicodedata
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
from hypothesis import given
from hypothesis import strategies as st

from broker.reindex import add_source, reindex
from broker.reports import report_dict
from broker.uploads import Incoming, sanitize_filename, source_folder, store_uploads, typed_name
from core.errors import InvalidQuery
from core.settings import Settings
from core.types import IngestReport
from index.dense import VectorIndex
from index.embed import Embedder
from index.generations import current_generation, vectors_path
from index.lock import WriteLock
from index.store import Store
from index.verify import check_consistency
from tests.api.conftest import LiveServer, serve
from tests.hardening.conftest import ADMIN, bad_files, empty_pages_pdf, good_pdf, with_keys

pytestmark = pytest.mark.slow
REPORT_KEYS = set(report_dict(IngestReport()))


def upload(
    client: httpx.Client, files: list[tuple[str, bytes]], source: str = "test", **form: str
) -> httpx.Response:
    return client.post(
        "/api/documents",
        data={"source": source, **form},
        files=[("files", (name, data, "application/octet-stream")) for name, data in files],
        headers=ADMIN,
    )


def consistent(settings: Settings) -> list[str]:
    store = Store(settings.db_path)
    try:
        return check_consistency(store, settings.data_dir)
    finally:
        store.close()


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("Børne- og ungepolitik 2024.pdf", "Børne- og ungepolitik 2024.pdf"),
        ("C:\\Users\\sagsbehandler\\rapport.pdf", "rapport.pdf"),
        ("/etc/shadow", "shadow"),
        ("..", "dokument"),
        ("", "dokument"),
        (".bashrc", "bashrc"),
        ("nav\x00n\x1b[31m.txt", "navn_31m.txt"),
        ("faktura\u202efdp.exe", "fakturafdp.exe"),
        ("a\u0308rsrapport.txt", "ärsrapport.txt"),
        ("Hjørring: plan? <ny>.docx", "Hjørring_ plan_ _ny_.docx"),
        ("x" * 500 + ".pdf", "x" * 116 + ".pdf"),
        ("Århus Kommune – tilsyn (2023).pdf", "Århus Kommune _ tilsyn (2023).pdf"),
    ],
)
def test_file_names_are_sanitised(given: str, safe: str) -> None:
    assert sanitize_filename(given) == safe
    assert "/" not in safe and "\\" not in safe and not safe.startswith(".")
    assert all(unicodedata.category(c)[0] != "C" for c in safe)


def test_the_stored_extension_follows_the_content() -> None:
    assert typed_name("rapport.txt", "pdf") == "rapport.pdf"
    assert typed_name("side.html", "text") == "side.txt"
    assert typed_name("noget", "text") == "noget.txt"
    assert typed_name("A.PDF", "pdf") == "A.PDF"
    assert typed_name("eksport.jsonl", "jsonl") == "eksport.jsonl"


def test_source_names_stay_inside_the_upload_folder(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert source_folder(settings, "børn og unge") == (tmp_path / "uploads" / "børn og unge").resolve()
    for bad in ("../x", "a/b", ".skjult", "..", "", "x" * 81, "a\x00b", "/etc"):
        with pytest.raises(InvalidQuery):
            source_folder(settings, bad)


def test_upload_ingests_by_content_with_danish_names_kept(
    http: httpx.Client, admin_server: tuple[LiveServer, Settings], tmp_path: Path
) -> None:
    _, settings = admin_server
    text = "Børne- og ungepolitik\n\nViborg Kommune, 2024.\n\nAlle børn skal have en god skolegang og trygge fællesskaber."
    response = upload(
        http,
        [("Børne- og ungepolitik 2024.pdf", good_pdf(tmp_path)), ("politik.pdf", text.encode())],
        source="politikker",
    )
    assert response.status_code == 201, response.text
    report = response.json()
    assert set(report) == REPORT_KEYS  # the shape of `broker ingest --json`
    assert report["counts"]["added"] == 2 and report["failed"] == []
    folder = settings.uploads_dir / "politikker"
    assert sorted(p.name for p in folder.iterdir()) == ["Børne- og ungepolitik 2024.pdf", "politik.txt"]
    hit = http.get("/api/search", params={"q": "trygge fællesskaber skolegang", "kommune": "Viborg"}).json()[
        "results"
    ][0]
    assert hit["source"].endswith("politik.txt")
    served = http.get(f"/api/documents/{hit['doc_id']}/file")
    assert served.headers["content-type"].startswith("text/plain")  # not served as the PDF it claimed to be
    sources = http.get("/api/sources", headers=ADMIN).json()["sources"]
    assert {"name": "politikker", "path": str(folder.resolve()), "internal": False} in [
        {k: s[k] for k in ("name", "path", "internal")} for s in sources
    ]
    again = upload(http, [("Børne- og ungepolitik 2024.pdf", good_pdf(tmp_path))], source="politikker")
    assert again.status_code == 200 and again.json()["counts"]["unchanged"] == 1
    assert consistent(settings) == []


def test_an_internal_upload_is_hidden_from_readers(http: httpx.Client) -> None:
    text = (
        "Notat om anbringelser\n\nViborg Kommune, 2024.\n\nFortrolig gennemgang af anbringelsessager i 2024."
    )
    assert upload(http, [("fortroligt.txt", text.encode())], internal="true").status_code == 201
    query = {"q": "fortrolig gennemgang anbringelsessager", "mode": "lexical"}
    assert http.get("/api/search", params=query).json()["results"] == []
    assert http.get("/api/search", params=query, headers=ADMIN).json()["results"]


def test_upload_limits_on_size_and_count(http: httpx.Client) -> None:
    too_big = upload(http, [("stor.txt", b"Notat. " * 400_000)])  # 2.8 MB; the limit here is 2 MB
    assert too_big.status_code == 422 and too_big.json()["failed"][0]["code"] == "too_large"
    assert "for stor" in too_big.json()["error"]
    too_many = upload(http, [(f"n{i}.txt", b"Notat om unge.") for i in range(13)])
    assert too_many.status_code == 413 and "For mange filer" in too_many.json()["error"]
    huge = http.post(
        "/api/documents",
        content=b"x" * (30 * 1024 * 1024),
        headers={**ADMIN, "Content-Type": "multipart/form-data; boundary=x"},
    )
    assert huge.status_code == 413 and huge.json()["type"] == "TooLarge"
    none = http.post("/api/documents", data={"source": "x"}, headers=ADMIN)
    assert none.status_code == 422
    for source in ("../../tmp", "korpus/../..", ".git"):
        bad = upload(http, [("a.txt", b"Notat om unge.")], source=source)
        assert bad.status_code == 422 and "kildenavn" in bad.json()["error"], source


class Endless(io.RawIOBase):
    """An upload stream that never ends; reading far past the limit is a failure of the limit."""

    def __init__(self) -> None:
        self.given = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        assert self.given < 10 * 1024 * 1024, "read far past the upload limit"
        buffer[:] = b"a" * len(buffer)
        self.given += len(buffer)
        return len(buffer)


def test_an_endless_upload_is_cut_at_the_limit(private_index: tuple[Settings, Path], e5: Embedder) -> None:
    settings = private_index[0].model_copy(update={"upload_max_mb": 2.0})
    stream = Endless()
    report = store_uploads(settings, e5, "test", [Incoming("uendelig.txt", io.BufferedReader(stream))])
    assert [f.code for f in report.failed] == ["too_large"] and stream.given <= 4 * 1024 * 1024
    assert list((settings.uploads_dir / "test").iterdir()) == []


@given(st.text(st.characters(codec="utf-8"), max_size=400))
@hypothesis.settings(max_examples=300, deadline=None)
def test_any_name_becomes_a_safe_file_name(name: str) -> None:
    safe = sanitize_filename(name)
    assert safe and safe not in (".", "..") and not safe.startswith((".", " "))
    assert "/" not in safe and "\\" not in safe and "\x00" not in safe
    assert all(unicodedata.category(c)[0] != "C" for c in safe)
    assert len(safe.encode("utf-8")) <= 200
    assert sanitize_filename(safe) == safe


def test_a_replaced_file_comes_back_when_its_new_version_fails(
    private_index: tuple[Settings, Path], e5: Embedder
) -> None:
    settings = private_index[0]
    good = b"Notat om unge\n\nViborg Kommune, 2024.\n\nUngdomsklubben holder aabent hver onsdag."
    assert store_uploads(settings, e5, "test", [Incoming("notat.txt", io.BytesIO(good))]).added
    bad = store_uploads(settings, e5, "test", [Incoming("notat.txt", io.BytesIO(b"\x00\x01" * 500))])
    assert bad.failed and (settings.uploads_dir / "test" / "notat.txt").read_bytes() == good

    # A writer killed between replacing the file and committing leaves a backup: the next upload puts it back.
    folder = settings.uploads_dir / "test"
    (folder / "notat.txt").replace(folder / ".upload-bak.notat.txt")
    (folder / "notat.txt").write_bytes(b"Ny version, aldrig indekseret.")
    (folder / ".upload-0123").write_bytes(b"halv fil")
    store_uploads(settings, e5, "test", [Incoming("andet.txt", io.BytesIO(good + b" Og om fredagen."))])
    assert (folder / "notat.txt").read_bytes() == good
    assert sorted(p.name for p in folder.iterdir()) == ["andet.txt", "notat.txt"]
    assert consistent(settings) == []


def test_hostile_files_are_refused_or_handled_and_the_service_stays_up(
    http: httpx.Client, admin_server: tuple[LiveServer, Settings], tmp_path: Path
) -> None:
    _, settings = admin_server
    outcomes: dict[str, tuple[int, dict[str, object]]] = {}
    for case, (name, data) in bad_files(tmp_path).items():
        response = upload(http, [(name, data)], source="fjendtlig")
        assert response.status_code in (201, 422), (case, response.status_code, response.text)
        body = response.json()
        assert set(body) >= REPORT_KEYS, case
        if response.status_code == 422:
            assert body["failed"][0]["reason"] and body["error"] == body["failed"][0]["reason"], case
        outcomes[case] = (response.status_code, body)

    def code(case: str) -> str:
        return str(outcomes[case][1]["failed"][0]["code"])  # type: ignore[index]

    assert code("encrypted_pdf") == "encrypted"
    assert code("zip_bomb_docx") == "zip_bomb" and "zip-bombe" in str(outcomes["zip_bomb_docx"][1]["error"])
    assert code("docx_not_zip") == "corrupt"
    assert code("empty_file") == "empty" and code("empty_pages_pdf") in ("empty", "timeout")
    assert outcomes["binary_txt"][0] == 422 and "binær" in str(outcomes["binary_txt"][1]["error"])
    assert outcomes["truncated_pdf"][0] == 422 or outcomes["truncated_pdf"][1]["counts"]["added"] == 1  # type: ignore[index]

    # Scripts never reach the index, and an original is served sandboxed.
    assert outcomes["script_html"][0] == 201
    html = http.get(
        "/api/search", params={"q": "familiebehandling Viborg", "kommune": "Viborg", "mode": "lexical"}
    ).json()
    doc = http.get(f"/api/documents/{html['results'][0]['doc_id']}").json()
    text = " ".join(c["text"] for c in doc["chunks"])
    assert "familiebehandler" in text and "alert" not in text and "cookie" not in text and "<" not in text
    for case in ("script_html", "javascript_pdf"):
        if outcomes[case][0] == 201:
            path = outcomes[case][1]["added"][0]  # type: ignore[index]
            store = Store(settings.db_path)
            doc_id = store.conn.execute("SELECT doc_id FROM sources WHERE path = ?", (path,)).fetchone()[0]
            store.close()
            served = http.get(f"/api/documents/{doc_id}/file")
            assert served.headers["content-security-policy"] == "sandbox", case
            assert served.headers["x-content-type-options"] == "nosniff"

    # The file with a hostile name landed inside the source folder under a clean name.
    assert outcomes["invalid_name"][0] == 201
    folder = (settings.uploads_dir / "fjendtlig").resolve()
    assert all(path.resolve().parent == folder for path in folder.iterdir())
    kept = sorted(path.name for path in folder.iterdir())
    assert not [n for n in kept if n.startswith(".") or any(unicodedata.category(c)[0] == "C" for c in n)]
    refused = {name for case, (name, _) in bad_files(tmp_path).items() if outcomes[case][0] == 422}
    assert not {sanitize_filename(n) for n in refused} & set(kept)  # refused files are not kept

    assert http.get("/healthz").json() == {"status": "ok"}
    first = http.get("/api/search", params={"q": "familiebehandling i hjemmet"}).json()["results"][0]
    assert first["municipality"] == "Hjørring"
    assert consistent(settings) == []


def test_a_pdf_that_takes_too_long_to_read_is_refused(
    private_index: tuple[Settings, Path], e5: Embedder
) -> None:
    settings = with_keys(private_index[0], upload_parse_timeout_s=0.05)
    with serve(settings, e5) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        response = upload(client, [("mange_sider.pdf", empty_pages_pdf(3000))])
    assert response.status_code == 422
    assert response.json()["failed"][0]["code"] == "timeout" and "for lang tid" in response.json()["error"]


def test_delete_removes_a_document_everywhere_and_its_uploaded_file(
    http: httpx.Client, admin_server: tuple[LiveServer, Settings]
) -> None:
    _, settings = admin_server
    text = "Notat om fritidsjob\n\nViborg Kommune, 2024.\n\nFritidsjob til unge med særlige behov formidles af jobkonsulenten."
    added = upload(http, [("fritidsjob.txt", text.encode())]).json()["added"][0]
    query = {"q": "fritidsjob jobkonsulenten", "mode": "lexical"}
    doc_id = http.get("/api/search", params=query).json()["results"][0]["doc_id"]
    store = Store(settings.db_path)
    chunk_ids = {r[0] for r in store.conn.execute("SELECT id FROM chunks WHERE doc_id = ?", (doc_id,))}
    generation = current_generation(store)
    store.close()

    deleted = http.delete(f"/api/documents/{doc_id}", headers=ADMIN)
    assert deleted.status_code == 200 and deleted.json()["removed_files"] == [added]
    assert not Path(added).exists()
    assert http.get(f"/api/documents/{doc_id}").status_code == 404
    for mode in ("lexical", "dense", "hybrid"):
        hits = http.get("/api/search", params={**query, "mode": mode, "k": 50}).json()["results"]
        assert doc_id not in {h["doc_id"] for h in hits}, mode
    store = Store(settings.db_path)
    assert store.conn.execute("SELECT count(*) FROM sources WHERE doc_id = ?", (doc_id,)).fetchone()[0] == 0
    assert current_generation(store) == generation + 1
    vector_ids = set(
        VectorIndex.load(vectors_path(settings.data_dir, current_generation(store))).ids().tolist()
    )
    store.close()
    assert not chunk_ids & vector_ids
    assert consistent(settings) == []
    assert http.delete(f"/api/documents/{doc_id}", headers=ADMIN).status_code == 404


def test_deleting_a_document_outside_uploads_keeps_the_file_and_it_stays_deleted(
    http: httpx.Client,
    admin_server: tuple[LiveServer, Settings],
    private_index: tuple[Settings, Path],
    e5: Embedder,
) -> None:
    _, settings = admin_server
    corpus = private_index[1]
    add_source(settings, corpus, name="korpus")
    original = corpus / "vejle_vejvedligeholdelse_2023.txt"
    doc_id = http.get("/api/documents", params={"kommune": "Vejle"}).json()["documents"][0]["doc_id"]
    response = http.delete(f"/api/documents/{doc_id}", headers=ADMIN)
    assert response.status_code == 200 and response.json()["removed_files"] == []
    assert original.exists()  # never a file outside data/uploads
    report = reindex(settings, e5)
    assert str(original.resolve()) in report.unchanged and report.added == []
    assert http.get("/api/documents", params={"kommune": "Vejle"}).json()["total"] == 0
    # Uploading that content on purpose brings it back.
    back = upload(http, [("vej.txt", original.read_bytes())])
    assert back.status_code == 201
    assert http.get("/api/documents", params={"kommune": "Vejle"}).json()["total"] == 1
    assert consistent(settings) == []


def test_writers_get_409_while_another_holds_the_lock(
    http: httpx.Client, admin_server: tuple[LiveServer, Settings], private_index: tuple[Settings, Path]
) -> None:
    _, settings = admin_server
    add_source(settings, private_index[1], name="korpus")
    doc_id = http.get("/api/documents").json()["documents"][0]["doc_id"]
    with WriteLock(settings.lock_path):
        for response in (
            upload(http, [("a.txt", b"Notat om unge i Viborg Kommune.")]),
            http.delete(f"/api/documents/{doc_id}", headers=ADMIN),
            http.patch(f"/api/documents/{doc_id}", json={"internal": True}, headers=ADMIN),
            http.post("/api/reindex", headers=ADMIN),
            http.post("/api/sources", json={"name": "ny"}, headers=ADMIN),
        ):
            assert response.status_code == 409, response.text
            assert response.json()["type"] == "IndexBusy" and "optaget" in response.json()["error"]
    assert not (settings.uploads_dir / "test" / "a.txt").exists()


def test_reindex_runs_in_the_background_one_at_a_time(
    http: httpx.Client, admin_server: tuple[LiveServer, Settings], private_index: tuple[Settings, Path]
) -> None:
    _, settings = admin_server
    assert http.post("/api/reindex", headers=ADMIN).status_code == 422  # no sources yet: said at once
    corpus = private_index[1]
    add_source(settings, corpus, name="korpus")
    for i in range(4):
        (corpus / f"ny_{i}.txt").write_text(
            f"Notat {i}\n\nViborg Kommune, 2024.\n\nFamilierådgivning nummer {i}.", "utf-8"
        )
    first = http.post("/api/reindex", headers=ADMIN)
    assert first.status_code == 202 and first.json()["status_url"] == "/api/reindex"
    second = http.post("/api/reindex", headers=ADMIN)
    assert second.status_code == 409
    deadline = time.monotonic() + 120
    while (status := http.get("/api/reindex", headers=ADMIN).json())["running"]:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert status["error"] is None and status["report"]["counts"]["added"] == 4
    assert status["last_reindex"]["finished"] >= status["started"]
    assert consistent(settings) == []


def test_sources_can_be_created_listed_and_removed(
    http: httpx.Client, admin_server: tuple[LiveServer, Settings]
) -> None:
    _, settings = admin_server
    assert http.post("/api/sources", json={"name": "../etc"}, headers=ADMIN).status_code == 422
    created = http.post("/api/sources", json={"name": "børnesager", "internal": True}, headers=ADMIN)
    assert created.status_code == 201 and created.json()["internal"] is True
    assert http.post("/api/sources", json={"name": "børnesager"}, headers=ADMIN).status_code == 422
    text = "Notat om børnesager\n\nViborg Kommune, 2024.\n\nSagsgennemgang af børnesager med bekymring."
    assert upload(http, [("sager.txt", text.encode())], source="børnesager").status_code == 201
    query = {"q": "sagsgennemgang", "mode": "lexical", "kommune": "Viborg"}
    assert http.get("/api/search", params=query).json()["results"] == []  # an internal source
    assert http.get("/api/search", params=query, headers=ADMIN).json()["results"]
    removed = http.delete("/api/sources/børnesager", headers=ADMIN)
    assert removed.status_code == 200 and removed.json()["counts"]["removed"] == 1
    assert not (settings.uploads_dir / "børnesager").exists()
    assert http.get("/api/search", params=query, headers=ADMIN).json()["results"] == []
    assert http.delete("/api/sources/findesikke", headers=ADMIN).status_code == 404
    assert consistent(settings) == []
