"""Typos and missing æøå: a "Mente du" suggestion from the index's own words, and close words searched too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from broker.cli import app
from broker.search import Engine
from core.settings import Settings
from language.analysis import word_term
from language.spelling import Correction, Speller, edits1, suggest

COUNTS = {
    "familiebehandling": 12,
    "familiebehandlingen": 3,
    "aflastning": 9,
    "plejefamilier": 4,
    "hjørring": 5,
}
TERMS = {word_term(w) for w in ("familiebehandling", "aflastning", "plejefamilier", "hjørring", "weekend")}


@pytest.fixture
def speller() -> Speller:
    return Speller(COUNTS, TERMS, dictionary={"weekend", "pjækker"})


def test_edits1_covers_delete_insert_replace_and_swap() -> None:
    found = edits1("aflastnig")
    assert {"aflastni", "aflastnign", "aflastnag", "aflastnig"[:-2] + "gi"} <= found


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("familiebehandlng", "familiebehandling"),
        ("aflastnig", "aflastning"),
        ("plejefamillier", "plejefamilier"),
        ("familiebehnadling", "familiebehandling"),
    ],
)
def test_a_typo_is_corrected_to_the_indexed_word(speller: Speller, typed: str, meant: str) -> None:
    correction = speller.correct(typed)
    assert correction is not None and correction.suggestion == meant


@pytest.mark.parametrize("word", ["familiebehandling", "hjorring", "weekend", "pjækker", "xyzzyq", "sag"])
def test_known_words_and_unrelated_words_are_left_alone(speller: Speller, word: str) -> None:
    assert speller.correct(word) is None


def test_a_word_asked_again_gets_the_same_answer_also_once_the_memory_is_full(
    speller: Speller, monkeypatch: pytest.MonkeyPatch
) -> None:
    import language.spelling as spelling

    monkeypatch.setattr(spelling, "_ASKED_MAX", 2)  # remembered corrections are forgotten every two words
    words = ["aflastnig", "xyzzyq", "plejefamillier", "familiebehandlng", "aflastnig", "xyzzyq"]
    first = [speller.correct(w) for w in words]
    again = [speller.correct(w) for w in reversed(words)][::-1]
    assert first == again
    assert [c.suggestion if c else None for c in first] == [
        "aflastning",
        None,
        "plejefamilier",
        "familiebehandling",
        "aflastning",
        None,
    ]


def test_the_suggestion_keeps_the_rest_of_the_query() -> None:
    correction = Correction("aflastnig", "aflastning", "aflastning")
    assert suggest("Aflastnig weekend", [correction]) == "Aflastning weekend"
    assert suggest("aflastning weekend", []) is None


@pytest.mark.slow
def test_a_typo_still_finds_its_document_and_says_mente_du(small_engine: Engine) -> None:
    result = small_engine.search("familiebehandlng", mode="lexical", k=1, collapse=True)
    assert result.suggestion == "familiebehandling"
    assert Path(result.results[0].source).name == "hjoerring_kvalitetsstandard_familiebehandling_2019.txt"


@pytest.mark.slow
def test_a_correct_query_gets_no_suggestion(small_engine: Engine) -> None:
    assert small_engine.search("familiebehandling", mode="lexical", k=1).suggestion is None


@pytest.mark.slow
def test_fuzzy_expansion_can_be_turned_off(small_index: tuple[Settings, Path], e5: object) -> None:
    settings = Settings(data_dir=small_index[0].data_dir, fuzzy=False)
    engine = Engine(settings, embedder=e5)  # type: ignore[arg-type]
    result = engine.search("familiebehandlng", mode="lexical", k=1)
    assert result.results == [] and result.suggestion == "familiebehandling"
    engine.close()


@pytest.mark.slow
def test_the_cli_and_json_show_the_suggestion(small_index: tuple[Settings, Path]) -> None:
    data = str(small_index[0].data_dir)
    shown = CliRunner().invoke(app, ["search", "aflastnig", "--data", data, "--k", "1"])
    assert "Mente du: aflastning?" in shown.output
    raw = CliRunner().invoke(app, ["search", "aflastnig", "--data", data, "--k", "1", "--json"])
    assert json.loads(raw.output)["suggestion"] == "aflastning"
