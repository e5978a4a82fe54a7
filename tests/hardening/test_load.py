"""A short load test against uvicorn with two workers, then the same load while a re-index adds and deletes."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import httpx
import pytest

from bench.load import LoadResult, run_load, uvicorn_server
from broker.access import hash_key
from broker.reindex import add_source
from core.settings import Settings
from index.store import Store
from index.verify import check_consistency
from tests.hardening.conftest import ADMIN, ADMIN_KEY

pytestmark = pytest.mark.slow
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CLIENTS = 16


def test_mixed_load_and_a_reindex_under_load(
    private_index: tuple[Settings, Path], record_property: Callable[[str, object], None]
) -> None:
    settings, corpus = private_index
    add_source(settings, corpus, name="korpus")
    env = {"BROKER_ADMIN_KEY_SHA256": hash_key(ADMIN_KEY), "BROKER_THREADS": "1"}
    with uvicorn_server(settings.data_dir, workers=2, env=env) as url:
        plain = asyncio.run(run_load(url, clients=CLIENTS, seconds=5))
        record_property(
            "load", json.dumps({"p50_ms": plain.p50_ms, "p95_ms": plain.p95_ms, "requests": plain.requests})
        )
        print(
            f"\nbelastning: {plain.requests} forespørgsler, {plain.rps}/s, p50 {plain.p50_ms} ms, p95 {plain.p95_ms} ms"
        )
        assert plain.requests >= CLIENTS and plain.errors == 0 and plain.inconsistent == 0, plain.problems

        old = 9
        for i in range(5):
            (corpus / f"ny_{i}.txt").write_text(
                f"Notat {i} om familierådgivning\n\nViborg Kommune, 2024.\n\nFamilierådgivningen holder åbent hus nummer {i}.",
                "utf-8",
            )
        (corpus / "vejle_vejvedligeholdelse_2023.txt").unlink()
        (corpus / "greve_kvalitetsstandard_plejefamilier_2022.txt").unlink()
        new = old + 5 - 2

        async def under_reindex() -> tuple[LoadResult, float]:
            stop = asyncio.Event()
            load = asyncio.create_task(
                run_load(url, clients=CLIENTS, seconds=90, documents={old, new}, stop=stop, seed=100)
            )
            await asyncio.sleep(1.0)
            async with httpx.AsyncClient(base_url=url, timeout=60) as admin:
                started = await admin.post("/api/reindex", headers=ADMIN)
                assert started.status_code == 202, started.text
                began = time.monotonic()
                while (await admin.get("/api/stats")).json()["documents"] != new:
                    assert time.monotonic() - began < 80, "the re-index did not finish"
                    await asyncio.sleep(0.3)
                took = time.monotonic() - began
            await asyncio.sleep(1.5)  # a little load on the new state too
            stop.set()
            return await load, took

        during, took = asyncio.run(under_reindex())
        print(
            f"under genindeksering ({took:.1f} s): {during.requests} forespørgsler, "
            f"p95 {during.p95_ms} ms, dokumenttal set: {during.documents_seen}"
        )
        assert during.errors == 0 and during.inconsistent == 0, during.problems
        assert set(during.documents_seen) <= {old, new} and new in during.documents_seen
        names = {
            Path(h["source"]).name
            for h in httpx.get(
                url + "/api/search", params={"q": "familierådgivning", "k": 50}, timeout=60
            ).json()["results"]
        }
        assert "ny_0.txt" in names and "vejle_vejvedligeholdelse_2023.txt" not in names
    ARTIFACTS.mkdir(exist_ok=True)  # the numbers of this run, for CI's artefacts
    (ARTIFACTS / "load.json").write_text(
        json.dumps(
            {"load": asdict(plain), "during_reindex": asdict(during), "reindex_s": round(took, 1)}, indent=2
        ),
        encoding="utf-8",
    )
    store = Store(settings.db_path)
    assert check_consistency(store, settings.data_dir) == []
    store.close()
