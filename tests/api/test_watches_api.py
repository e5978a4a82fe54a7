"""Saved searches over HTTP: each key holder's own, found after an upload, internal documents only for those
allowed, in /api/stats too; delivered to a JSON Lines feed and by e-mail through a real SMTP server."""

from __future__ import annotations

import datetime
import json
import threading
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import cast

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from core.settings import Settings
from index.embed import Embedder
from tests.api.conftest import free_port, serve
from tests.hardening.conftest import ADMIN, INTERNAL, READER, with_keys

pytestmark = pytest.mark.slow

PUBLIC_DOC = (
    "Kvalitetsstandard for aflastning i weekender\n\nSilkeborg Kommune, 2024.\n\n"
    "Aflastning gives efter Barnets Lov § 32: barnet bor en weekend om måneden hos en aflastningsfamilie, "
    "så forældrene får et pusterum.\n"
)
INTERNAL_DOC = (
    "Internt notat om aflastning\n\nGladsaxe Kommune, 2024.\n\n"
    "Aflastningsfamilierne i weekenderne er for få; ventelisten til aflastning er nu seks måneder.\n"
)


class Inbox:
    """What a real SMTP server on loopback received."""

    def __init__(self) -> None:
        self.messages: list[tuple[Envelope, bytes]] = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content or b""
        self.messages.append(
            (envelope, content.encode("utf-8") if isinstance(content, str) else bytes(content))
        )
        self.arrived.set()
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def test_watches_per_key_find_an_upload_and_never_show_a_reader_internal_documents(
    private_index: tuple[Settings, Path], e5: Embedder, tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    feed = tmp_path / "feed" / "overvaagning.jsonl"
    settings = with_keys(
        private_index[0],
        readers=True,
        watch_feed=feed,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_from="vidensmaegler@kommune.example",
        smtp_to="vidensmaegler@kommune.example",
    )
    with serve(settings, e5) as server, httpx.Client(base_url=server.url, timeout=120) as http:
        body = {"name": "aflastning", "query": "aflastning i weekenden"}
        assert http.post("/api/watches", json=body, headers=READER).status_code == 201
        assert http.post("/api/watches", json=body, headers=INTERNAL).status_code == 201
        again = http.post("/api/watches", json=body, headers=READER)
        assert again.status_code == 422 and "findes allerede" in again.json()["error"]
        bad = http.post("/api/watches", json={**body, "name": "x", "kommuner": ["Atlantis"]}, headers=READER)
        assert bad.status_code == 422 and "Ukendt kommune" in bad.json()["error"]
        assert http.get("/api/watches").status_code == 401

        files = [("files", ("silkeborg_aflastning_2024.txt", PUBLIC_DOC.encode(), "text/plain"))]
        assert http.post("/api/documents", files=files, headers=ADMIN).status_code == 201
        files = [("files", ("gladsaxe_notat_aflastning_2024.txt", INTERNAL_DOC.encode(), "text/plain"))]
        uploaded = http.post("/api/documents", files=files, data={"internal": "true"}, headers=ADMIN)
        assert uploaded.status_code == 201
        assert sorted((w["owner"], w["new"]) for w in uploaded.json()["watches"]) == [
            ("internal-1", 1),
            ("reader-1", 0),
        ]

        mine = http.get("/api/watches", headers=READER).json()["watches"]
        assert [(w["owner"], w["name"], w["new"]) for w in mine] == [("reader-1", "aflastning", 1)]
        news = http.get("/api/watches/aflastning/news", headers=READER).json()["news"]
        assert [(n["municipality"], n["kind"]) for n in news] == [("Silkeborg", "ny")]
        # The internal key's watch found one document per upload: the last run's, and both in the last hour.
        internal_news = http.get("/api/watches/aflastning/news", headers=INTERNAL).json()["news"]
        assert [n["municipality"] for n in internal_news] == ["Gladsaxe"]
        hour_ago = (datetime.datetime.now() - datetime.timedelta(hours=1)).isoformat(timespec="minutes")
        since_today = http.get("/api/watches/aflastning/news", params={"since": hour_ago}, headers=INTERNAL)
        assert sorted(n["municipality"] for n in since_today.json()["news"]) == ["Gladsaxe", "Silkeborg"]
        wrong = http.get("/api/watches/aflastning/news", params={"since": "i går"}, headers=INTERNAL)
        assert wrong.status_code == 422 and "Ugyldig dato" in wrong.json()["error"]
        reader_stats = http.get("/api/stats", headers=READER).json()["watches"]
        assert [(w["owner"], w["new"]) for w in reader_stats] == [("reader-1", 1)]
        assert "Gladsaxe" not in json.dumps(http.get("/api/stats", headers=READER).json())
        everyone = http.get("/api/watches", headers=ADMIN).json()["watches"]
        assert sorted((w["owner"], w["new"]) for w in everyone) == [("internal-1", 1), ("reader-1", 1)]

        # A reader cannot reach another key holder's watch, not even by naming the owner.
        other = http.get("/api/watches/aflastning/news", params={"owner": "internal-1"}, headers=READER)
        assert [n["municipality"] for n in other.json()["news"]] == ["Silkeborg"]
        assert http.delete("/api/watches/aflastning", headers=READER).status_code == 200
        assert http.get("/api/watches/aflastning/news", headers=READER).status_code == 404
        assert [w["owner"] for w in http.get("/api/watches", headers=ADMIN).json()["watches"]] == [
            "internal-1"
        ]

    lines = [json.loads(line) for line in feed.read_text("utf-8").splitlines()]
    assert sorted((line["owner"], line["municipality"], line["internal"]) for line in lines) == [
        ("internal-1", "Gladsaxe", True),
        ("internal-1", "Silkeborg", False),
        ("reader-1", "Silkeborg", False),
    ]
    assert inbox.arrived.wait(10)
    bodies = [
        cast(bytes, message_from_bytes(raw).get_payload(decode=True)).decode("utf-8")
        for _, raw in inbox.messages
    ]
    assert any("Silkeborg" in b for b in bodies)
    assert not any("Gladsaxe" in b for b in bodies)  # internal documents never go into an e-mail
    assert inbox.messages[0][0].rcpt_tos == ["vidensmaegler@kommune.example"]
