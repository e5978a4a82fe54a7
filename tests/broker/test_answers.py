"""Answer prose: what a sentence of an answer may be, whose name it carries, how it is cited."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from broker.answers.extractive import Answerer, Candidate, choose, cite, passage_similarities
from broker.answers.intent import DEADLINE, NUMBER, PRACTICE, WHICH, kind_fit, question_kind
from broker.answers.sentences import Unit, strip_label, units
from broker.search import Engine
from core.settings import Settings
from core.types import Hit
from language.registry import genitive, official_name, official_names

KOMMUNER = Path(__file__).resolve().parents[2] / "language" / "data" / "kommuner.csv"


def hit(chunk_id: int, municipality: str, page: int = 1, doc_id: str | None = None) -> Hit:
    return Hit(
        rank=chunk_id, score=1.0, doc_id=doc_id or f"doc-{municipality}", chunk_id=chunk_id, title="Titel",
        municipality=municipality, region=None, doc_type="notat", year=2020, page=page, section="",
        source="x.md", text="", snippet="",
    )  # fmt: skip


def candidate(text: str, h: Hit, position: int = 0, similarity: float = 0.9, rank: int = 0) -> Candidate:
    return Candidate(Unit(text, text, position), h, rank, words=0.5, similarity=similarity)


# -- what a sentence may be -------------------------------------------------------------------------------


def test_a_table_header_is_never_a_sentence_and_its_rows_become_prose() -> None:
    text = (
        "Måned | Underretninger | Vurderet inden for 24 timer | Andel\n"
        "Januar | 398 | 379 | 95 %\n"
        "Februar | 412 | 397 | 96 %"
    )
    said = [u.text for u in units(text)]
    assert not any("Måned" in s for s in said)
    assert said[0] == "Januar: underretninger 398, vurderet inden for 24 timer 379, andel 95 %."
    assert not any("|" in s for s in said)
    assert units(text)[0].quote == "Januar | 398 | 379 | 95 %"  # the quote is the row as it stands


def test_label_and_value_rows_read_as_sentences() -> None:
    row = "Tilbud: Åben dør · Tidspunkt: mandag og torsdag kl. 13-17 · Ventetid: ingen"
    assert [u.text for u in units(row)] == [
        "Åben dør: tidspunkt mandag og torsdag kl. 13-17, ventetid ingen."
    ]


def test_a_row_of_a_broken_table_is_quoted_not_guessed() -> None:
    text = "3 | Let støtte efter afgørelse | kortvarig familiestøtte\n4 | Familieterapeutiske forløb | aflastning i weekender"
    said = [u.text for u in units(text)]
    assert said == ["»4 · Familieterapeutiske forløb · aflastning i weekender«"]


def test_a_title_or_heading_is_never_a_sentence() -> None:
    text = (
        "Kvalitetsstandard for åben anonym rådgivning i Familiehuset\n"
        "4. Sådan foregår det\n"
        "Rådgiveren tilbyder op til fire samtaler i Familiehuset."
    )
    assert [u.text for u in units(text)] == ["Rådgiveren tilbyder op til fire samtaler i Familiehuset."]


def test_field_labels_and_bullet_glyphs_are_left_out() -> None:
    assert strip_label("Sagsfremstilling: Frederiksberg Kommune har et forsøg.") == (
        "Frederiksberg Kommune har et forsøg."
    )
    assert (
        strip_label("• Sagstallet er sænket fra 38 til 22 børn.")
        == "Sagstallet er sænket fra 38 til 22 børn."
    )
    said = [
        u.text
        for u in units(
            "Beslutning: Forslaget er godkendt af hele udvalget.\n• at give forældre en samtale uden sag"
        )
    ]
    assert said == ["Forslaget er godkendt af hele udvalget.", "At give forældre en samtale uden sag"]
    # A sentence that merely starts with a capitalised word and a colon keeps it.
    assert (
        strip_label("Herning Kommune: socialrådgivere på skolerne.")
        == "Herning Kommune: socialrådgivere på skolerne."
    )


def test_a_sentence_a_pdf_broke_over_two_lines_is_one_sentence() -> None:
    said = [u.text for u in units("Standarden gælder fra 1.\nmaj 2019 og revideres senest i 2021.")]
    assert said == ["Standarden gælder fra 1. maj 2019 og revideres senest i 2021."]


# -- names ------------------------------------------------------------------------------------------------


def test_every_municipality_has_its_official_danish_name() -> None:
    with KOMMUNER.open(encoding="utf-8") as handle:
        names = [row["kommune"] for row in csv.DictReader(handle)]
    assert len(names) == 98 and set(official_names()) == set(names)
    assert official_name("København") == "Københavns Kommune"
    assert official_name("Vesthimmerland") == "Vesthimmerlands Kommune"
    assert official_name("Bornholm") == "Bornholms Regionskommune"
    assert official_name("Herning") == "Herning Kommune"
    assert all(official_name(n).startswith(n) and "kommune" in official_name(n).lower() for n in names)


def test_the_genitive_of_a_name() -> None:
    assert genitive("Herning") == "Hernings"
    assert genitive("Aarhus") == "Aarhus'"
    assert genitive("Faaborg-Midtfyn") == "Faaborg-Midtfyns"


# -- citations --------------------------------------------------------------------------------------------


def test_two_sentences_of_one_passage_share_one_citation_and_citations_point_to_distinct_passages() -> None:
    kbh, herning = hit(1, "København"), hit(2, "Herning")
    chosen = [
        candidate("Kontaktpersonen mødes med barnet mindst én gang om ugen.", kbh, position=3),
        candidate("Socialrådgiveren har kontor på skolen to dage om ugen.", herning, position=1),
        candidate("En kontaktperson ses typisk 2-4 timer om ugen.", kbh, position=1),
    ]
    text, citations = cite(chosen)
    assert [c.n for c in citations] == [1, 2]
    assert len({(c.doc_id, c.page) for c in citations}) == len(citations)
    assert text == (
        "Københavns Kommune: En kontaktperson ses typisk 2-4 timer om ugen. "
        "Kontaktpersonen mødes med barnet mindst én gang om ugen. [1] "
        "Herning Kommune: Socialrådgiveren har kontor på skolen to dage om ugen. [2]"
    )
    assert citations[0].quote == (
        "En kontaktperson ses typisk 2-4 timer om ugen. … Kontaktpersonen mødes med barnet mindst én gang om ugen."
    )
    assert "København Kommune" not in text


def test_which_questions_name_one_sentence_per_municipality() -> None:
    a1, a2, b = hit(1, "Aabenraa"), hit(2, "Aabenraa", doc_id="other"), hit(3, "Køge")
    found = [
        candidate("Aabenraa etablerer et familiehus med åben rådgivning.", a1, similarity=0.90),
        candidate("Familiehuset i Aabenraa har åbent uden visitation.", a2, similarity=0.899),
        candidate("Køge har åben anonym rådgivning i Familiehuset.", b, similarity=0.895),
    ]
    chosen = choose(found, 0.875, one_per_municipality=True)
    assert [c.hit.municipality for c in chosen] == ["Aabenraa", "Køge"]


# -- sentences that fit the question ----------------------------------------------------------------------


def test_the_kind_of_question() -> None:
    assert question_kind("Hvordan gør andre kommuner med familiebehandling?") == PRACTICE
    assert question_kind("Hvor mange underretninger modtog Aalborg?") == NUMBER
    assert question_kind("Hvad koster aflastning?") == NUMBER
    assert question_kind("Hvad er fristen for en børnefaglig undersøgelse?") == DEADLINE
    assert question_kind("Hvilke kommuner har familiehuse?") == WHICH


def test_how_questions_prefer_practice_over_purpose() -> None:
    purpose = Unit("Formålet med familiebehandling er at styrke forældrenes evne til omsorg.", "", 0)
    practice = Unit("Familiebehandleren kommer i hjemmet to gange om ugen i fire måneder.", "", 1)
    assert kind_fit(PRACTICE, practice) > 0 > kind_fit(PRACTICE, purpose)


def test_number_and_deadline_questions_prefer_the_sentence_with_the_number_or_deadline() -> None:
    vague = Unit("Underretninger vurderes hurtigt af en erfaren rådgiver.", "", 0)
    deadline = Unit("Underretningen vurderes inden for 24 timer.", "", 1)
    count = Unit("Kommunen modtog 1.243 underretninger i kvartalet.", "", 2)
    assert kind_fit(DEADLINE, deadline) > kind_fit(DEADLINE, vague)
    assert kind_fit(NUMBER, count) > kind_fit(NUMBER, vague)


def test_a_fitting_sentence_a_little_less_similar_still_joins_the_answer() -> None:
    h = hit(1, "Aalborg")
    general = candidate(
        "Aalborg Kommune modtager underretninger om børn og unge.", h, position=0, similarity=0.90
    )
    number = candidate(
        "I kvartalet modtog Aalborg Kommune 1.243 underretninger.", h, position=1, similarity=0.88
    )
    number.fit = kind_fit(NUMBER, number.unit)
    general.fit = kind_fit(NUMBER, general.unit)
    chosen = choose([general, number], 0.875)
    assert chosen[0] is number


# -- what an answer costs ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_an_answer_embeds_no_sentence_and_reads_each_passage_similarity_from_its_stored_vector(
    demo_index: tuple[Settings, object], demo_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    question = "Hvor mange sager har hver sagsbehandler i Hjørringmodellen?"
    hits = demo_engine.search(question, k=6).results
    question_vector = demo_engine.embedder.embed_queries([question])[0]
    embedded = [
        f"{' – '.join(p for p in (h.title, h.section) if p)}\n{h.text}" if h.title or h.section else h.text
        for h in hits
    ]  # what ingest embedded for each passage
    expected = demo_engine.embedder.embed_passages(embedded) @ question_vector
    calls: list[list[str]] = []
    real = demo_engine.embedder.embed_passages

    def counted(texts: list[str]) -> np.ndarray:
        calls.append(texts)
        return real(texts)

    monkeypatch.setattr(demo_engine.embedder, "embed_passages", counted)
    similarities = passage_similarities(demo_engine, hits, question_vector)
    answer = Answerer(demo_engine, demo_index[0]).ask(question)
    assert np.allclose(similarities, expected, atol=1e-3)
    assert min(similarities) > 0.8  # a real similarity, not the 0 of a vector not found
    assert answer.answer is not None and calls == []
