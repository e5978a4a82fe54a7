"""Answers over the demo corpus: the answer set's scores stay above their floor, and the reported defects stay gone."""

from __future__ import annotations

import re
from typing import Any

import pytest

from broker.answers.evaluation import evaluate_answers, load_answer_cases, normalise
from broker.answers.extractive import Answerer
from broker.search import Engine
from core.settings import Settings
from tests.conftest import CORPUS

# Measured on corpus/answers.jsonl (see the README's table) minus a margin; a change below them fails CI.
ANSWERED_FLOOR = 0.75
VERBATIM_FLOOR = 0.98
OFF_TOPIC_REFUSED_FLOOR = 0.9


@pytest.fixture(scope="module")
def answerer(demo_index: tuple[Settings, object], demo_engine: Engine) -> Answerer:
    return Answerer(demo_engine, demo_index[0])


@pytest.fixture(scope="module")
def scores(answerer: Answerer) -> dict[str, Any]:
    return evaluate_answers(answerer, load_answer_cases(CORPUS / "answers.jsonl"))


def test_the_answer_set_is_large_and_its_facts_stand_on_the_pages_it_names(answerer: Answerer) -> None:
    from broker.answers.evaluation import PageTexts
    from broker.evaluate import matches

    cases = load_answer_cases(CORPUS / "answers.jsonl")
    on = [c for c in cases if not c.off_topic]
    assert len(on) >= 40 and len(cases) - len(on) >= 20
    assert {"hvordan", "hvor-mange", "hvilke", "frist"} <= {c.kind for c in on}
    store = answerer.engine.store
    texts = PageTexts(store)
    names: dict[str, str] = {}  # file name or export record id -> doc_id
    for (doc_id,) in store.conn.execute("SELECT doc_id FROM documents").fetchall():
        for known in store.sources_of(doc_id):
            names[known.record_id or known.path.rsplit("/", 1)[-1]] = doc_id
    for case in on:
        for source in case.sources:
            doc_id = names.get(source.doc)
            assert doc_id is not None, source.doc
            assert any(matches(source.doc, s) for s in store.sources_of(doc_id))
            page = texts.pages(doc_id)[source.page]
            assert any(normalise(a) in page for facts in case.facts for a in facts), (case.question, source)


def test_answers_hold_the_facts_cited_from_the_right_page(scores: dict[str, Any]) -> None:
    assert scores["answered"] >= ANSWERED_FLOOR, scores["answered"]


def test_every_quote_stands_word_for_word_on_the_cited_page(scores: dict[str, Any]) -> None:
    assert scores["verbatim_citations"] >= VERBATIM_FLOOR, scores["verbatim_citations"]


def test_off_topic_questions_are_refused(scores: dict[str, Any]) -> None:
    assert scores["off_topic_refused"] >= OFF_TOPIC_REFUSED_FLOOR, scores["off_topic_refused"]


def test_how_do_others_do_family_treatment_is_answered_with_practice(answerer: Answerer) -> None:
    answer = answerer.ask("hvordan gør andre kommuner med familiebehandling?")
    assert answer.answer is not None
    # Practice: how often, for how long, where; not the purpose of the service.
    assert re.search(r"om ugen|måneder|i hjemmet", answer.answer)
    assert not answer.answer.split(": ", 1)[1].startswith("Formålet")


@pytest.mark.parametrize(
    "question",
    [
        "hvor mange underretninger blev vurderet inden for 24 timer i Aalborg?",
        "hvilke kommuner har familiehuse med åben anonym rådgivning?",
        "hvad gør Københavns Kommune med kontaktpersoner?",
        "hvordan arbejder socialrådgiverne i daginstitutionerne i Brønderslev?",
    ],
)
def test_answers_read_as_danish_prose_with_distinct_citations(answerer: Answerer, question: str) -> None:
    answer = answerer.ask(question)
    assert answer.answer is not None
    text = answer.answer
    assert "|" not in text and "•" not in text
    assert not re.search(r"\b(Sagsfremstilling|Indstilling|Beslutning|Resume|Sagsbeskrivelse)[:.] ", text)
    assert "København Kommune" not in text and "Bornholm Kommune" not in text
    places = [(c.doc_id, c.page) for c in answer.citations]
    assert len(places) == len(set(places))
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    for sentence in re.split(r"(?<=\]) ", text):
        assert re.search(r"\[\d+\]$", sentence), sentence  # every sentence group ends with its citation
