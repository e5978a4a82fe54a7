"""Shared fixtures: the real default model once per session, and small real indexes built once per session."""

from __future__ import annotations

import datetime
import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from broker.indexing import sync
from broker.search import Engine
from core.settings import Settings
from index.embed import E5Embedder, Embedder
from index.store import Store

# Chunk vectors are kept between test runs (keyed by model and text), so a second run does not embed the demo
# corpus again; subprocesses the tests start inherit it. BROKER_EMBED_CACHE= (empty) turns it off.
os.environ.setdefault(
    "BROKER_EMBED_CACHE", str(Path(__file__).resolve().parents[1] / ".cache" / "embeddings.sqlite3")
)

# Every hit of `broker search --json` and `GET /api/search` carries these fields (the contract).
HIT_FIELDS = {
    "rank", "score", "doc_id", "chunk_id", "title", "municipality", "region", "doc_type", "year", "page",
    "page_end", "section", "source", "text", "snippet", "paged", "viewer_url",
}  # fmt: skip

# A small corpus of Danish municipal texts, written for the tests. Each file is short (one chunk or two) so the
# real model embeds the whole set in seconds.
SMALL_CORPUS: dict[str, str] = {
    "hjoerring_kvalitetsstandard_familiebehandling_2019.txt": (
        "Kvalitetsstandard for familiebehandling\n\n"
        "Hjørring Kommune, vedtaget i Børne- og Ungeudvalget den 30. april 2019.\n\n"
        "Formål\n\n"
        "Familiebehandling efter Serviceloven § 52, stk. 3, nr. 3 skal styrke forældrenes evne til at drage "
        "omsorg for deres børn. En familiebehandler kommer i hjemmet en til tre gange om ugen og arbejder med "
        "rutiner, konflikter og samspillet mellem forældre og børn. Forløbet varer normalt seks til tolv "
        "måneder og følges op hver tredje måned.\n"
    ),
    "hjoerring_handleplan_skolefravaer_2021.txt": (
        "Handleplan for skolefravær\n\n"
        "Hjørring Kommune, marts 2021.\n\n"
        "Når et barn har højt fravær, holder skolen et møde med forældrene inden for to uger. Skolens "
        "socialrådgiver deltager, og der lægges en plan for at få barnet tilbage i undervisningen.\n"
    ),
    "herning_strategi_tidlig_indsats_2021.md": (
        "# Strategi for tidlig indsats\n\n"
        "Herning Kommune, 12. maj 2021.\n\n"
        "## Socialrådgivere på skolerne\n\n"
        "Herning Kommune har placeret socialrådgivere fast på alle skoler og i dagtilbuddene. Lærere og "
        "pædagoger kan drøfte en bekymring for et barn med rådgiveren samme dag, uden en formel "
        "underretning. Hver rådgiver har højst 20 sager, så der er tid til tæt opfølgning.\n"
    ),
    "aarhus_kvalitetsstandard_aflastning_2025.md": (
        "# Kvalitetsstandard for aflastning\n\n"
        "Aarhus Kommune, januar 2025.\n\n"
        "## Lovgrundlag\n\n"
        "Aflastning gives efter Barnets Lov § 32. Aflastning betyder, at barnet nogle weekender om måneden "
        "bor hos en aflastningsfamilie, så forældrene får et pusterum. Det gives typisk til familier med et "
        "barn med nedsat funktionsevne.\n"
    ),
    "koebenhavn_ledelsestilsyn_2018.txt": (
        "Ledelsestilsyn med underretninger, 1. kvartal 2018\n\n"
        "Københavns Kommune, Børne- og Ungdomsforvaltningen.\n\n"
        "Tilsynet viser, at 96 procent af underretningerne blev vurderet inden for 24 timer. En børnefaglig "
        "undersøgelse efter § 50 blev afsluttet inden for fire måneder i 81 procent af sagerne. Sagsnummer "
        "27.00.00-A00-1-18 indeholder stikprøverne.\n"
    ),
    "odense_familiehus_2020.md": (
        "# Familiehuset – åben anonym rådgivning\n\n"
        "Odense Kommune, 2020.\n\n"
        "I Familiehuset kan forældre og unge få åben, anonym rådgivning efter Serviceloven § 11 uden at "
        "der oprettes en sag. Fællesskabet i huset bygger på forældregrupper og samtaler med en "
        "familierådgiver.\n"
    ),
    "greve_kvalitetsstandard_plejefamilier_2022.txt": (
        "Kvalitetsstandard for plejefamilier\n\n"
        "Greve Kommune, 2022.\n\n"
        "Når et barn anbringes uden for hjemmet, vælger kommunen så vidt muligt en plejefamilie i barnets "
        "netværk. Plejefamilien får supervision fire gange om året og et kursus det første år.\n"
    ),
    "vejle_vejvedligeholdelse_2023.txt": (
        "Notat om vejvedligeholdelse\n\n"
        "Vejle Kommune, 2023.\n\n"
        "Snerydning og saltning af kommunens veje sker efter en fast prioritering: først busruter og "
        "skoleveje, derefter villaveje. Huller i asfalten udbedres inden for fjorten dage.\n"
    ),
}


# A three-page PDF: each page answers a different question, so citations can be checked page by page.
PDF_PAGES: list[tuple[str, str]] = [
    (
        "1. Formål",
        "Hvidovre Kommune, kvalitetsstandard for fast kontaktperson, vedtaget 14. juni 2023. En fast "
        "kontaktperson er en voksen, som barnet eller den unge kan støtte sig til i hverdagen.",
    ),
    (
        "2. Indhold og omfang",
        "Kontaktpersonen mødes med den unge mindst en gang om ugen i to til fire timer. Kontaktpersonen "
        "hjælper med skolegang, fritidsliv og kontakten til forældrene.",
    ),
    (
        "3. Opfølgning",
        "Rådgiveren følger op på indsatsen hver sjette måned sammen med den unge og forældrene, og "
        "indsatsen ophører, når målene i handleplanen er nået.",
    ),
]
PDF_NAME = "hvidovre_kvalitetsstandard_fast_kontaktperson_2023.pdf"


def write_pdf(path: Path, title: str, pages: list[tuple[str, str]]) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(False)  # the footer sits at the bottom of its own page
    pdf.set_title(title)
    pdf.set_author("Hvidovre Kommune")
    pdf.set_creation_date(datetime.datetime(2023, 6, 14, tzinfo=datetime.UTC))
    for number, (heading, text) in enumerate(pages, 1):
        pdf.add_page()
        pdf.set_font("Helvetica", size=9)
        pdf.cell(0, 8, f"Hvidovre Kommune · {title}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "B", 14)
        pdf.cell(0, 12, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, text)
        pdf.set_y(-20)
        pdf.set_font("Helvetica", size=9)
        pdf.cell(0, 8, f"Side {number} af {len(pages)}")
    pdf.output(str(path))


def write_corpus(folder: Path, files: dict[str, str] = SMALL_CORPUS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    write_pdf(folder / PDF_NAME, "Kvalitetsstandard for fast kontaktperson", PDF_PAGES)
    return folder


@pytest.fixture(scope="session")
def e5() -> Embedder:
    """The real default model, loaded once per test session."""
    return E5Embedder()


@pytest.fixture(scope="session")
def small_index(tmp_path_factory: pytest.TempPathFactory, e5: Embedder) -> tuple[Settings, Path]:
    """The small corpus indexed once per session with the real model: (settings, corpus folder)."""
    root = tmp_path_factory.mktemp("small")
    corpus = write_corpus(root / "corpus")
    settings = Settings(data_dir=root / "data")
    report = sync([corpus], settings, e5)
    assert not report.failed, report.failed
    return settings, corpus


@pytest.fixture(scope="session")
def small_engine(small_index: tuple[Settings, Path], e5: Embedder) -> Iterator[Engine]:
    engine = Engine(small_index[0], embedder=e5)
    yield engine
    engine.close()


def copy_index(source: Path, target: Path) -> None:
    """Copy a data directory that is open in this process: the database through SQLite's backup API.

    Copying the database file with plain open/close would drop this process's POSIX locks on it (closing any
    descriptor of a file releases them all), so another process could then take it for the last connection and
    delete the shared-memory file under the open ones ("disk I/O error" later)."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("write.lock", "*.lock", "broker.sqlite3*"))
    if (source / "broker.sqlite3").exists():
        src = sqlite3.connect(source / "broker.sqlite3")
        dst = sqlite3.connect(target / "broker.sqlite3")
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()


@pytest.fixture
def copied_engine(small_index: tuple[Settings, Path], e5: Embedder, tmp_path: Path) -> Iterator[Engine]:
    """An engine over a copy of the small index in `tmp_path / "data"`, which the test may re-index."""
    copy_index(small_index[0].data_dir, tmp_path / "data")
    engine = Engine(Settings(data_dir=tmp_path / "data"), embedder=e5)
    yield engine
    engine.close()


@pytest.fixture
def private_index(small_index: tuple[Settings, Path], tmp_path: Path) -> tuple[Settings, Path]:
    """A copy of the small index and its corpus that a test may change; vectors come from the cache."""
    settings, corpus = small_index
    data = tmp_path / "data"
    copy_index(settings.data_dir, data)
    copy = tmp_path / "corpus"
    shutil.copytree(corpus, copy)  # keeps mtimes, so an unchanged file stays unchanged
    store = Store(data / "broker.sqlite3")
    with store.write() as conn:
        conn.execute(
            "UPDATE sources SET path = replace(path, ?, ?)", (str(corpus.resolve()), str(copy.resolve()))
        )
    store.close()
    return Settings(data_dir=data), copy


CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@pytest.fixture(scope="session")
def demo_index(tmp_path_factory: pytest.TempPathFactory, e5: Embedder) -> tuple[Settings, object]:
    """The demo corpus indexed once per session with the real model: (settings, ingest report)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("demo") / "data")
    report = sync([CORPUS], settings, e5)
    return settings, report


@pytest.fixture(scope="session")
def demo_engine(demo_index: tuple[Settings, object], e5: Embedder) -> Iterator[Engine]:
    engine = Engine(demo_index[0], embedder=e5)
    yield engine
    engine.close()
