"""Values read out of practice text: each kind as a caseworker writes it, normalised so texts compare."""

from __future__ import annotations

import pytest

from broker.comparison.values import extract, number


def normalized(text: str, kind: str | None = None, year: int | None = None) -> list[str]:
    return [v.normalized for v in extract(text, [kind] if kind else None, year=year)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Forløbet varer 6 måneder.", "6 måneder"),
        ("Forløbet varer normalt seks til tolv måneder.", "6-12 måneder"),
        ("Standardforløb: 3-6 måneder.", "3-6 måneder"),
        ("Indsatsen gives i op til 3 måneder.", "op til 3 måneder"),
        ("et forløb på otte uger", "8 uger"),
    ],
)
def test_durations_in_digits_words_and_ranges(text: str, expected: str) -> None:
    assert normalized(text, "varighed") == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Underretningen vurderes inden for 24 timer.", "24 timer"),
        ("Behandlingen starter senest 10 hverdage efter afgørelsen.", "10 hverdage"),
        ("Undersøgelsen afsluttes inden for fire måneder.", "4 måneder"),
    ],
)
def test_deadlines_are_not_durations(text: str, expected: str) -> None:
    assert normalized(text) == [expected]
    assert [v.kind for v in extract(text)] == ["frist"]


def test_case_counts_per_caseworker_in_several_phrasings() -> None:
    assert normalized("Hver rådgiver har højst 20 sager pr. rådgiver.", "sagstal") == [
        "20 sager pr. rådgiver"
    ]
    assert normalized("gennemsnitligt 32 børn pr. rådgiver", "sagstal") == ["32 sager pr. rådgiver"]
    assert normalized("Sagstallet er 15-25 i modellen.", "sagstal") == ["15-25 sager pr. rådgiver"]
    assert normalized("Rådgiverne har højst 25 børnesager hver.", "sagstal") == ["25 sager pr. rådgiver"]


def test_amounts_with_thousands_millions_and_unit_price() -> None:
    text = "Prisen er 745 kr. pr. time. Budgettet er 2,5 mio. kr., heraf 1.200.000 kr. til løn."
    assert normalized(text, "beløb") == ["745 kr. pr. time", "2.500.000 kr.", "1.200.000 kr."]


def test_frequencies_and_weekly_hours() -> None:
    text = "Behandleren kommer en til tre gange om ugen, op til 10 timer om ugen, og der følges op hver tredje måned."
    assert normalized(text) == ["1-3 gange pr. uge", "op til 10 timer pr. uge", "hver 3. måned"]


def test_shares_in_percent() -> None:
    assert normalized("96 procent blev vurderet, og 80 % oplevede hjælp.", "andel") == ["96 %", "80 %"]


def test_a_paragraph_of_serviceloven_reads_the_same_as_its_barnets_lov_successor() -> None:
    old = normalized("Familiebehandling efter servicelovens § 52, stk. 3, nr. 3.", "paragraf")
    new = normalized("Familiebehandling er en støttende indsats efter Barnets Lov § 32.", "paragraf")
    assert old == ["BL § 32 (SEL § 52, stk. 3, nr. 3)"]
    assert new == ["BL § 32 (SEL § 52, stk. 3)"]
    assert normalized("en børnefaglig undersøgelse efter § 50", year=2019) == ["BL § 20 (SEL § 50)"]
    assert normalized("en børnefaglig undersøgelse efter Barnets Lov § 20") == ["BL § 20 (SEL § 50)"]


def test_a_bare_paragraph_is_read_by_the_documents_year_and_an_unmoved_one_keeps_its_law() -> None:
    assert normalized("støtte efter § 32", year=2025) == ["BL § 32 (SEL § 52, stk. 3)"]
    assert normalized("handleplan efter § 140", year=2019) == ["SEL § 140"]
    assert normalized("anbringelse efter servicelovens § 52, stk. 3, nr. 8") == ["SEL § 52, stk. 3, nr. 8"]
    assert normalized("efter § 50 blev sagen lukket", year=2019) == ["BL § 20 (SEL § 50)"]  # not "§ 50b"


def test_each_value_once_and_only_the_kinds_asked_for() -> None:
    text = "Opfølgning efter 6 måneder og igen efter 6 måneder; prisen er 700 kr."
    assert normalized(text) == ["6 måneder", "700 kr."]
    assert normalized(text, "beløb") == ["700 kr."]
    assert extract("Ingen tal her.") == []


def test_danish_number_words() -> None:
    assert number("seks") == 6 and number("tolv") == 12 and number("2,5") == 2.5 and number("x") is None
