"""The aspects file a knowledge broker extends, and how a passage is judged to speak to an aspect."""

from __future__ import annotations

import pytest

from broker.comparison.aspects import choose_aspects, load_aspects, parse_aspects
from core.errors import InvalidQuery

REQUIRED = {
    "målgruppe",
    "indhold og metode",
    "omfang og varighed",
    "frister og sagsbehandlingstid",
    "organisering og ansvar",
    "lovgrundlag",
    "økonomi og ressourcer",
    "opfølgning og resultater",
}


def test_the_shipped_file_has_the_aspects_of_a_practice_comparison() -> None:
    aspects = {a.name: a for a in load_aspects()}
    assert set(aspects) >= REQUIRED
    assert "sagstal" in aspects["økonomi og ressourcer"].values
    assert aspects["lovgrundlag"].values == ("paragraf",)
    assert all(a.cues for a in aspects.values())


def test_a_heading_naming_the_aspect_weighs_more_than_a_passing_word() -> None:
    aspect = {a.name: a for a in load_aspects()}["målgruppe"]
    headed = aspect.score("Kvalitetsstandard > 2. Målgruppe", "Familier med børn fra 0 til 17 år.")
    passing = aspect.score("Kvalitetsstandard > 4. Indhold", "Målgruppen inddrages i samtalerne.")
    assert headed > passing > 0
    assert aspect.score("Kvalitetsstandard > Pris", "Prisen er 700 kr. pr. time.") == 0


def test_values_of_the_aspects_kinds_count_as_evidence() -> None:
    aspect = {a.name: a for a in load_aspects()}["frister og sagsbehandlingstid"]
    assert [v.normalized for v in aspect.extract("Vi svarer inden for 24 timer; prisen er 700 kr.")] == [
        "24 timer"
    ]


def test_spelling_without_danish_letters_still_matches() -> None:
    aspect = parse_aspects('[[aspekt]]\nnavn = "målgruppe"\nord = ["målgruppe"]\n')[0]
    assert aspect.cue_count("Maalgruppen er unge") == 1


def test_a_knowledge_broker_can_add_an_aspect() -> None:
    text = (
        '[[aspekt]]\nnavn = "Inddragelse"\ntitel = "Inddragelse af barnet"\noverskrift = ["inddragelse"]\n'
        'ord = ["børnesamtale", "bisidder"]\ntal = ["frist"]\n'
    )
    aspect = parse_aspects(text)[0]
    assert (aspect.name, aspect.title, aspect.values) == ("inddragelse", "Inddragelse af barnet", ("frist",))
    assert aspect.cue_count("Barnet kan have en bisidder med til børnesamtalen.") == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[aspekt]]\nnavn = 'x'\n", "mangler feltet"),
        ("[[aspekt]]\nnavn = 'x'\nord = ['a']\ntal = ['kilo']\n", "ukendte tal"),
        ("aspekt = [", "ikke gyldig TOML"),
        ("", "ingen aspekter"),
    ],
)
def test_a_broken_aspects_file_is_a_clear_danish_error(text: str, message: str) -> None:
    with pytest.raises(InvalidQuery, match=message):
        parse_aspects(text)


def test_choosing_aspects_by_name_keeps_the_files_order_and_rejects_unknown_names() -> None:
    chosen = choose_aspects(["lovgrundlag", "Maalgruppe"])
    assert [a.name for a in chosen] == ["målgruppe", "lovgrundlag"]
    assert [a.name for a in choose_aspects(["lovgrundlag,målgruppe"])] == ["målgruppe", "lovgrundlag"]
    with pytest.raises(InvalidQuery, match=r"Ukendt aspekt »pris«\. Vælg blandt: målgruppe"):
        choose_aspects(["pris"])
