"""Danish compounds: split into known parts for the lexical index and queries, without over-splitting."""

from __future__ import annotations

from pathlib import Path

import pytest

from broker.search import Engine
from index.lexicon import Lexicon
from language.analysis import word_term
from language.decompound import Decompounder, wordlist

CORPUS_WORDS = ["anbringelse", "anbringelser", "socialrådgivere", "aflastning", "plejefamilie"]


@pytest.fixture(scope="module")
def splitter() -> Decompounder:
    return Decompounder(CORPUS_WORDS, keep_whole=["frederikshavn", "ringkøbing"])


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("familiebehandling", ("familie", "behandling")),
        ("sagsbehandling", ("sag", "behandling")),
        ("forebyggelsesstrategi", ("forebyggelse", "strategi")),
        ("dagtilbudssocialrådgiver", ("dagtilbud", "social", "rådgiver")),
        ("anbringelsesgrundlag", ("anbringelse", "grundlag")),
        ("ledelsestilsyn", ("ledelse", "tilsyn")),
        ("børnefaglig", ("børn", "faglig")),
        ("familiebehandlingen", ("familie", "behandlingen")),
        ("aflastningsfamilie", ("aflastning", "familie")),
    ],
)
def test_compounds_split_into_known_parts_with_linking_letters(
    splitter: Decompounder, word: str, parts: tuple[str, ...]
) -> None:
    assert splitter.split(word) == parts


@pytest.mark.parametrize(
    "word",
    [
        "kommune",  # not kom + mune
        "rådgiver",  # frequent in its own right: råd + giver would change its meaning
        "sammenhængende",  # a particle, not a part
        "underretning",  # "under" is a stopword
        "forældre",
        "vejledning",
        "frederikshavn",  # a place name stays whole
        "ringkøbing",
        "familie",
    ],
)
def test_words_that_are_not_compounds_stay_whole(splitter: Decompounder, word: str) -> None:
    assert splitter.split(word) == ()


def test_a_compound_tail_is_also_a_piece(splitter: Decompounder) -> None:
    pieces = splitter.pieces("skolesocialrådgivere")
    assert {"skole", "social", "rådgivere", "socialrådgivere"} <= set(pieces)


def test_the_word_list_ships_with_the_project_and_has_frequencies() -> None:
    words = wordlist()
    assert len(words) > 20_000
    assert words["familie"] > words["strategi"] > 3.0


def test_the_lexical_row_keeps_the_compound_and_adds_its_parts() -> None:
    row = Lexicon({"familiebehandling": 3}).row("Familiebehandling i hjemmet")
    assert word_term("familiebehandling") in row.terms.split()
    assert {word_term("familie"), word_term("behandling")} <= set(row.parts.split())
    assert row.words.split() == ["familiebehandling", "i", "hjemmet"]


@pytest.mark.slow
def test_behandling_af_familier_finds_familiebehandling(small_engine: Engine) -> None:
    result = small_engine.search("behandling af familier", mode="lexical", k=3, collapse=True)
    assert Path(result.results[0].source).name == "hjoerring_kvalitetsstandard_familiebehandling_2019.txt"


@pytest.mark.slow
def test_a_compound_query_finds_its_parts_written_apart(small_engine: Engine) -> None:
    # The Hvidovre text speaks of "kontaktperson" and "den unge"; the query glues a new compound.
    found = small_engine.search("ungekontaktperson", mode="lexical", k=3, collapse=True)
    assert found.results
    assert Path(found.results[0].source).name == "hvidovre_kvalitetsstandard_fast_kontaktperson_2023.pdf"
