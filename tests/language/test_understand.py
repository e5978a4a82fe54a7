"""Municipality, region, time and law in a question: recognised, applied as a boost, and shown to the user."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from broker.cli import app
from broker.search import Engine
from core.settings import Settings
from core.types import SearchFilters
from language.analysis import analyze_query
from language.registry import municipalities
from language.understand import Understood, preferred, topic_terms, understand

TODAY = datetime.date(2026, 3, 1)


@pytest.mark.parametrize(
    ("question", "kommuner"),
    [
        ("hvordan gør Herning med familiebehandling?", ["Herning"]),
        ("Hjørrings indsatspolitik", ["Hjørring"]),
        ("Hjorring familiebehandling", ["Hjørring"]),
        ("Koebenhavns Kommune kontaktperson", ["København"]),
        ("tilsyn i Høje Taastrup", ["Høje-Taastrup"]),
        ("ringkobing-skjern netværk", ["Ringkøbing-Skjern"]),
        ("Fanø samarbejde med Esbjerg", ["Fanø"]),  # the partner is what it is about, not where it looks
        ("kursus sammen med Herning og Holstebro", []),
        ("socialrådgivere i dagtilbud som i Brønderslev og Frederiksberg", []),
        ("frikommuneforsøget med Gladsaxe, Guldborgsund og Ikast-Brande", []),
        ("skolesocialrådgivere inspireret af Herning", []),
        ("tidlig indsats i Herning, Haderslev og Hvidovre", ["Herning", "Haderslev", "Hvidovre"]),
        ("Aarhus' forsøg", ["Aarhus"]),
        ("hvad er Herningmodellen?", []),
        ("Herning-modellen og sagstal", []),
        ("Herning modellen", []),
        ("Randers-trappen", []),
        ("vejen til en plan", []),  # a municipality's name that is also a word counts with a capital only
        ("Vejen Kommune", ["Vejen"]),
    ],
)
def test_municipalities_in_a_question(question: str, kommuner: list[str]) -> None:
    assert understand(question, TODAY).kommuner == kommuner


def test_all_98_municipalities_are_recognised() -> None:
    names = list(municipalities())
    assert len(names) == 98
    for name in names:
        assert understand(f"hvordan gør {name} Kommune det?", TODAY).kommuner == [name], name


@pytest.mark.parametrize(
    ("question", "regions"),
    [
        ("forebyggelse i Region Nordjylland", ["Region Nordjylland"]),
        ("nordjyske kommuners familiehuse", ["Region Nordjylland"]),
        ("aflastning i Region Sjælland", ["Region Sjælland"]),
        ("kommuner i Region Midt", ["Region Midtjylland"]),
        ("familiebehandling", []),
    ],
)
def test_regions_in_a_question(question: str, regions: list[str]) -> None:
    assert understand(question, TODAY).regions == regions


@pytest.mark.parametrize(
    ("question", "year_from", "year_to"),
    [
        ("kvalitetsstandarder fra 2023", 2023, None),
        ("strategier efter 2020", 2021, None),
        ("ledelsestilsyn før 2020", None, 2019),
        ("planer mellem 2019 og 2021", 2019, 2021),
        ("sagstal de seneste tre år", 2023, None),
        ("sagstal de sidste 2 år", 2024, None),
        ("hvor mange underretninger var der i 2014 og 2015?", None, None),  # years about the content
    ],
)
def test_time_in_a_question_is_relative_to_today(
    question: str, year_from: int | None, year_to: int | None
) -> None:
    understood = understand(question, TODAY)
    assert (understood.year_from, understood.year_to) == (year_from, year_to)


@pytest.mark.parametrize(
    ("question", "law"),
    [
        ("familiebehandling efter Barnets Lov", "Barnets Lov"),
        ("BL § 32", "Barnets Lov"),
        ("servicelovens § 50", "Serviceloven"),
        ("SEL § 50 og BL § 20", "Serviceloven og Barnets Lov"),
        ("bl.a. aflastning", None),
    ],
)
def test_the_law_named(question: str, law: str | None) -> None:
    assert understand(question, TODAY).law == law


def test_the_callers_own_filters_win() -> None:
    understood = Understood(kommuner=["Herning"], year_from=2023)
    mine = SearchFilters(kommuner=["Aarhus"])
    prefer = preferred(understood, mine)
    assert prefer is not None and prefer.kommuner == ["Aarhus"] and prefer.year_from == 2023
    assert preferred(Understood(kommuner=["Aarhus"]), mine) is None


def test_the_summary_reads_as_danish() -> None:
    understood = Understood(kommuner=["Herning"], year_from=2023, law="Barnets Lov")
    assert understood.summary() == "Herning · fra 2023 · Barnets Lov"


@pytest.mark.slow
def test_a_municipality_in_the_question_is_a_boost_not_a_filter(small_engine: Engine) -> None:
    small_engine.today = lambda: TODAY
    result = small_engine.search("familiebehandling i Hjørring", k=8, collapse=True)
    assert result.understood is not None
    assert result.understood["kommuner"] == ["Hjørring"] and result.understood["applied_as"] == "boost"
    assert result.results[0].municipality == "Hjørring"
    assert {h.municipality for h in result.results} - {"Hjørring"}  # the others are still there


@pytest.mark.slow
def test_understanding_can_be_a_filter_the_user_sees(small_index: tuple[Settings, Path], e5: object) -> None:
    settings = Settings(data_dir=small_index[0].data_dir, understand="filter")
    engine = Engine(settings, embedder=e5)  # type: ignore[arg-type]
    result = engine.search("tidlig indsats i Herning", k=5, collapse=True)
    assert {h.municipality for h in result.results} == {"Herning"}
    assert result.understood is not None and result.understood["applied_as"] == "filter"
    engine.close()


@pytest.mark.slow
def test_a_model_name_is_not_a_municipality_filter(small_engine: Engine) -> None:
    result = small_engine.search("Herningmodellen", k=5)
    assert result.understood is None or result.understood["kommuner"] == []


@pytest.mark.slow
def test_the_cli_says_what_it_understood(small_index: tuple[Settings, Path]) -> None:
    data = str(small_index[0].data_dir)
    shown = CliRunner().invoke(app, ["search", "hvordan gør Herning fra 2020?", "--data", data, "--k", "2"])
    assert shown.exit_code == 0, shown.output
    assert "Forstået: Herning · fra 2020" in shown.output
    raw = CliRunner().invoke(app, ["search", "hvordan gør Herning?", "--data", data, "--k", "2", "--json"])
    result = json.loads(raw.output)
    assert {"query", "mode", "took_ms", "results"} <= set(result)  # the contract keys are still there
    assert result["understood"]["kommuner"] == ["Herning"]


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("hvordan gør andre kommuner med familiebehandling i Herning Kommune", "familiebehandling"),
        ("Hjørrings familiehuse fra 2023", "familiehuse"),
        ("underretninger i Region Nordjylland mellem 2018 og 2020", "underretninger"),
        ("ledelsestilsyn i Høje-Taastrup 2024", "ledelsestilsyn"),  # a bare year is no topic either
        ("Fanø samarbejde med Esbjerg", "samarbejde Esbjerg"),  # the partner is part of the topic
    ],
)
def test_the_topic_leaves_out_places_years_and_the_wording_of_intent(question: str, topic: str) -> None:
    assert topic_terms(analyze_query(question), understand(question, TODAY)) == analyze_query(topic)
