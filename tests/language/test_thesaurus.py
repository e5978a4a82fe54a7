"""The field's vocabulary: a readable data file with a source per entry, used for query expansion."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import pytest

from broker.search import Engine
from language.thesaurus import thesaurus


def test_every_entry_names_its_source_and_groups_have_two_expressions() -> None:
    data = tomllib.loads(resources.files("language").joinpath("data/thesaurus.toml").read_text("utf-8"))
    assert len(data["gruppe"]) >= 15 and len(data["paragraf"]) >= 2
    for group in data["gruppe"]:
        assert len(group["udtryk"]) >= 2, group
        assert group["kilde"].strip() and group["type"].strip(), group
    for moved in data["paragraf"]:
        assert moved["serviceloven"].startswith("§") and moved["barnets_lov"].startswith("§")
        assert moved["kilde"].strip(), moved


def test_the_verified_paragraph_pairs_are_there() -> None:
    pairs = {(m.old, m.new) for m in thesaurus().paragraphs}
    assert ("§ 50", "§ 20") in pairs and ("§ 52, stk. 3", "§ 32") in pairs


def test_bfu_expands_to_boernefaglig_undersoegelse() -> None:
    expansion = thesaurus().expand("BFU frister")
    assert "bornefag undersog" in expansion.terms
    assert expansion.notes == ["BFU = børnefaglig undersøgelse / § 50-undersøgelse"]


def test_expansions_weigh_less_than_the_users_own_words() -> None:
    assert set(thesaurus().expand("PPR").terms.values()) == {0.5}


@pytest.mark.parametrize(
    ("query", "added", "absent"),
    [
        ("Barnets Lov § 20", "p50", "p20"),
        ("SEL § 50", "p20", "p50"),
        ("servicelovens § 52, stk. 3", "p32", "p52stk3"),
        ("BL § 32 familiebehandling", "p52stk3", "p32"),
    ],
)
def test_old_and_new_paragraph_numbers_find_each_other(query: str, added: str, absent: str) -> None:
    terms = thesaurus().expand(query).terms
    assert added in terms and absent not in terms


def test_a_paragraph_named_with_the_other_law_is_not_mapped() -> None:
    assert "p20" not in thesaurus().expand("Barnets Lov § 50").terms


def test_capital_only_abbreviations_need_capitals() -> None:
    assert "kommun landsforening" in thesaurus().expand("KL anbefalinger").terms
    assert not thesaurus().expand("mødet kl. 14").terms


def test_a_one_way_entry_does_not_expand_backwards() -> None:
    assert "tat famili" not in thesaurus().expand("Sverigesmodellen").terms
    assert "sverigesmodel" in thesaurus().expand("Tæt på familien").terms


@pytest.mark.slow
def test_a_2025_question_finds_the_2018_paragraph(small_engine: Engine) -> None:
    # The 2018 supervision report cites § 50; the question uses Barnets Lov's number.
    found = small_engine.search(
        "børnefaglig undersøgelse Barnets Lov § 20", mode="lexical", k=1, collapse=True
    )
    assert Path(found.results[0].source).name == "koebenhavn_ledelsestilsyn_2018.txt"
    assert any("§ 50" in note for note in found.understood["expansions"])  # type: ignore[index, union-attr]


@pytest.mark.slow
def test_an_old_paragraph_finds_the_new_law(small_engine: Engine) -> None:
    # Aarhus 2025 grants respite care under Barnets Lov § 32; the question uses Serviceloven § 52, stk. 3.
    found = small_engine.search("SEL § 52, stk. 3 weekender", mode="lexical", k=2, collapse=True)
    assert "aarhus_kvalitetsstandard_aflastning_2025.md" in [Path(h.source).name for h in found.results]
