"""Viewer links on every hit and citation (page for a PDF, passage for a text), the viewer page itself, and
the PDF.js copy the page ships: the version the lock file pins, served from the service's own origin."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

from broker.viewer_links import MAX_QUOTE_CHARS, paged, viewer_quote, viewer_url
from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "api" / "static" / "vendor" / "pdfjs"


def test_a_pdf_is_cited_by_page_and_anything_else_by_passage() -> None:
    assert paged("/srv/korpus/notat.PDF") and not paged("/srv/korpus/notat.docx")
    assert not paged("/srv/eksport.jsonl#linje-3")
    assert viewer_url("ab12", 3, "Kontaktpersonen mødes  med\nden unge") == (
        "/vis/ab12?side=3&citat=Kontaktpersonen%20m%C3%B8des%20med%20den%20unge"
    )
    assert viewer_url("ab12", 1, "Formål", is_paged=False) == "/vis/ab12?citat=Form%C3%A5l"
    long = viewer_quote("ord " * 200)
    assert len(long) <= MAX_QUOTE_CHARS and long.endswith("ord")
    assert viewer_quote("Måned | Antal |") == "Måned | Antal"


def test_search_hits_and_answer_citations_carry_a_viewer_link(client: httpx.Client) -> None:
    hits = client.get("/api/search", params={"q": "fast kontaktperson", "k": 20}).json()["results"]
    pdf = next(h for h in hits if h["source"].endswith(".pdf"))
    text = next(h for h in hits if not h["source"].endswith(".pdf"))
    assert pdf["paged"] is True and text["paged"] is False
    assert parse_qs(urlsplit(pdf["viewer_url"]).query)["side"] == [str(pdf["page"])]
    assert "side" not in parse_qs(urlsplit(text["viewer_url"]).query)
    start = " ".join(pdf["text"].split())[:40]
    assert parse_qs(urlsplit(pdf["viewer_url"]).query)["citat"][0].startswith(start)

    body = client.post("/api/ask", json={"question": "Hvor ofte mødes kontaktpersonen med den unge?"}).json()
    first = body["citations"][0]
    assert first["paged"] is True
    assert first["viewer_url"] == viewer_url(first["doc_id"], first["page"], first["quote"])
    assert all(
        p["viewer_url"].startswith(f"/vis/{p['doc_id']}")
        for g in body["by_municipality"]
        for p in g["passages"]
    )


def test_the_cli_json_carries_the_viewer_link(small_index: tuple[Settings, Path]) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "broker.cli",
            "search",
            "aflastning",
            "--json",
            "--data",
            str(small_index[0].data_dir),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    hits = json.loads(run.stdout)["results"]
    assert hits and all(h["viewer_url"].startswith(f"/vis/{h['doc_id']}?") for h in hits)


def test_the_viewer_page_is_one_static_page_under_the_strict_policy(client: httpx.Client) -> None:
    page = client.get("/vis/findes-ikke?side=2&citat=x")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "unsafe" not in policy and "blob:" not in policy
    assert page.text == client.get("/vis/en-anden").text  # nothing in it depends on the document
    worker = client.get("/vendor/pdfjs/pdf.worker.min.mjs")
    assert worker.status_code == 200 and "javascript" in worker.headers["content-type"]
    assert not re.search(r"https?://", (ROOT / "api" / "static" / "viewer.html").read_text("utf-8"))


def test_the_shipped_pdfjs_is_the_version_the_lock_file_pins() -> None:
    lock = json.loads((ROOT / "web-vendor" / "package-lock.json").read_text("utf-8"))
    pinned = lock["packages"]["node_modules/pdfjs-dist"]["version"]
    for name in ("pdf.min.mjs", "pdf.worker.min.mjs"):
        shipped = re.findall(r'"(\d+\.\d+\.\d+)"', (VENDOR / name).read_text("utf-8"))
        assert pinned in shipped, name
    assert "Apache License" in (VENDOR / "LICENSE").read_text("utf-8")
