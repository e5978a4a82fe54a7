"""The service loads a re-index's new generation before the first search asks for it."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from api.app import create_app
from broker.indexing import sync
from broker.search import Engine
from broker.search.loaded import Preloader
from core.settings import Settings
from index.embed import Embedder
from tests.api.conftest import LiveServer
from tests.conftest import copy_index

NEW_FILE = "viborg_kvalitetsstandard_ridefysioterapi_2025.txt"
NEW_TEXT = (
    "Kvalitetsstandard for ridefysioterapi til børn med handicap\n\n"
    "Viborg Kommune tilbyder ridefysioterapi til børn med nedsat funktionsevne, når en fysioterapeut vurderer, "
    "at træning på hesteryg styrker barnets balance og kropsholdning. Et forløb er tolv ugentlige ture.\n"
)


def reindexed(data: Path, tmp_path: Path, e5: Embedder) -> None:
    """A re-index that adds one document: a new vector file, a new Tantivy generation, a new vocabulary."""
    extra = tmp_path / "nyt"
    extra.mkdir(exist_ok=True)
    (extra / NEW_FILE).write_text(NEW_TEXT, encoding="utf-8")
    report = sync([extra], Settings(data_dir=data), e5)
    assert len(report.added) == 1, report


def test_preload_loads_the_new_generation_so_a_search_loads_nothing(
    copied_engine: Engine, e5: Embedder, tmp_path: Path
) -> None:
    engine = copied_engine
    engine.preload()
    assert engine.loaded.ready()
    reindexed(tmp_path / "data", tmp_path, e5)
    assert not engine.loaded.ready()  # nothing looks for it without a preloader
    engine.preload()
    assert engine.loaded.ready()
    hits = engine.search("ridefysioterapi på hesteryg", k=3).results
    assert hits and hits[0].source.endswith(NEW_FILE)


def test_the_service_preloads_a_re_index_on_its_own(
    small_index: tuple[Settings, Path], e5: Embedder, tmp_path: Path
) -> None:
    copy_index(small_index[0].data_dir, tmp_path / "data")
    app = create_app(Settings(data_dir=tmp_path / "data", preload_interval_s=0.05), embedder=e5)
    with LiveServer(app) as server:
        engine: Engine = app.state.engine
        assert engine.loaded.ready()  # start-up loaded the index, not only the model
        reindexed(tmp_path / "data", tmp_path, e5)
        deadline = time.monotonic() + 60  # a bound on waiting, not a measured time
        while not engine.loaded.ready() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert engine.loaded.ready(), "the new generation was not loaded without a search"
        found = httpx.get(server.url + "/api/search", params={"q": "ridefysioterapi"}, timeout=30).json()
        assert found["results"] and found["results"][0]["source"].endswith(NEW_FILE)


def test_an_interval_of_zero_starts_no_thread(small_engine: Engine) -> None:
    preloader = Preloader(small_engine.loaded, 0)
    preloader.start()
    assert not preloader._thread.is_alive()
    preloader.stop()
