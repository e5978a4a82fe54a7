"""Metadata: municipality and region, document type, year, language and title."""

from __future__ import annotations

import pytest

from core.types import DOC_TYPES, Block
from ingest.metadata import (
    detect_date,
    detect_doc_type,
    detect_language,
    detect_municipality,
    detect_title,
    detect_year,
)
from language.registry import municipalities

FILLER = "Indsatsen tilrettelægges i samarbejde med familien og følges op hver tredje måned. " * 40


def test_the_98_municipalities_have_their_regions() -> None:
    table = municipalities()
    assert len(table) == 98
    assert table["Hjørring"] == "Region Nordjylland"
    assert table["København"] == "Region Hovedstaden"
    assert set(table.values()) == {
        "Region Hovedstaden",
        "Region Midtjylland",
        "Region Nordjylland",
        "Region Sjælland",
        "Region Syddanmark",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hjørring Kommunes Indsats- og Anbringelsespolitik\n\n" + FILLER, "Hjørring"),
        ("Tæt på familien\n\nKøbenhavns Kommune, Børne- og Ungdomsforvaltningen.\n" + FILLER, "København"),
        ("Bornholms Regionskommune\nHandleplan for børn og unge.\n" + FILLER, "Bornholm"),
        ("Forebyggelsesstrategi Faaborg-Midtfyn Kommune\n" + FILLER, "Faaborg-Midtfyn"),
        ("Indsatskatalog\nLyngby-Taarbæk Kommune, 2020\n" + FILLER, "Lyngby-Taarbæk"),
        ("Serviceniveau for Ringkøbing-Skjern Kommune\n" + FILLER, "Ringkøbing-Skjern"),
        ("Høje-Taastrup Kommune\nHandleplan\n" + FILLER, "Høje-Taastrup"),
        ("Sverige-modellen i Fanø Kommune\n" + FILLER, "Fanø"),
        ("Læsø Kommune\nSammenhængende børnepolitik\n" + FILLER, "Læsø"),
        ("Børne- og familiepolitik for Århus Kommune\n" + FILLER, "Aarhus"),
        ("GREVE KOMMUNE\nKvalitetsstandard for plejefamilier\n" + FILLER, "Greve"),
    ],
)
def test_municipality_from_the_title_area_including_genitive_and_variants(text: str, expected: str) -> None:
    assert detect_municipality(text, "dokument.pdf", {})[0] == expected


def test_region_comes_with_the_municipality() -> None:
    assert detect_municipality("Solrød Kommune\n" + FILLER, "", {}) == ("Solrød", "Region Sjælland")


def test_a_single_passing_mention_deep_in_the_text_never_wins() -> None:
    text = "Strategi for tidlig indsats\n\n" + FILLER + "Vi har besøgt Herning Kommune for inspiration."
    assert detect_municipality(text, "strategi.pdf", {}) == ("ukendt", None)


def test_a_passing_mention_does_not_beat_the_documents_own_municipality() -> None:
    text = (
        "Solrød Kommune\nHandleplan for tidlig indsats\n\nSolrød Kommune vil styrke den tidlige indsats. "
        + FILLER
        + "Erfaringer fra Køge Kommune og Greve Kommune er inddraget."
    )
    assert detect_municipality(text, "", {})[0] == "Solrød"


def test_herningmodellen_is_not_evidence_for_herning() -> None:
    text = "Sagstal og Herningmodellen\n\nVi arbejder efter Herningmodellen og Herning-modellen. " + FILLER
    assert detect_municipality(text, "", {})[0] == "ukendt"
    text = "Hjørringmodellen i Fanø Kommune\nFanø Kommune bruger Herningmodellen. " + FILLER
    assert detect_municipality(text, "", {})[0] == "Fanø"


def test_ordinary_words_that_are_also_names_are_not_evidence() -> None:
    text = "Vejen frem for børn og unge\n\nGreve af Danmark. Odder er dyr, og greve er en titel. " + FILLER
    assert detect_municipality(text, "vejen_frem.pdf", {})[0] == "ukendt"


def test_metadata_author_names_the_municipality() -> None:
    assert detect_municipality(FILLER, "notat.pdf", {"author": "Hjørring Kommune"})[0] == "Hjørring"
    assert detect_municipality(FILLER, "notat.pdf", {"author": "Hanne Viborg"})[0] == "ukendt"


@pytest.mark.parametrize(
    ("file_name", "expected"),
    [
        ("hjoerring_kvalitetsstandard_familiebehandling_2019.pdf", "Hjørring"),
        ("hjorring-tilbudsoversigt.pdf", "Hjørring"),
        ("Hjørring_kvalitetsstandard_2019.pdf", "Hjørring"),
        ("aarhus_kvalitetsstandard_2019.pdf", "Aarhus"),
        ("koebenhavn_taet_paa_familien.docx", "København"),
        ("kobenhavn-ledelsestilsyn-2018.pdf", "København"),
        ("Lyngby-Taarbaek_strategi.pdf", "Lyngby-Taarbæk"),
        ("familiebehandling.pdf", "ukendt"),
    ],
)
def test_municipality_from_the_file_name_in_ascii_forms(file_name: str, expected: str) -> None:
    assert detect_municipality(FILLER, file_name, {})[0] == expected


def test_explicit_export_field_wins_and_is_normalised() -> None:
    assert detect_municipality("Herning Kommune " * 10, "", {}, explicit="Greve") == (
        "Greve",
        "Region Sjælland",
    )
    assert detect_municipality("", "", {}, explicit="Københavns Kommune")[0] == "København"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "Kvalitetsstandard for fast kontaktperson for barnet, den unge eller hele familien",
            "kvalitetsstandard",
        ),
        (
            "Serviceniveauer og kvalitetsstandarder for familier, børn og unge i Allerød Kommune",
            "kvalitetsstandard",
        ),
        ("Indsatskatalog, Forebyggelse og Tidlig Indsats", "indsatskatalog"),
        ("Tilbudsoversigt - Familie og Forebyggelse", "indsatskatalog"),
        ("Forebyggelsesstrategi Faaborg-Midtfyn Kommune", "strategi"),
        ("Hjørring Kommunes Indsats- og Anbringelsespolitik", "politik"),
        ("Tønder Kommunes Handleplan til den sammenhængende børne- og ungepolitik", "handleplan"),
        ("Udviklingsplan for Familieafdelingen 2020-2022", "udviklingsplan"),
        ("Notat om sagstal", "notat"),
        ("Årsrapport 2018 for Børn og Familie", "rapport"),
        ("Evaluering af Sverigesmodellen", "evaluering"),
        ("Ledelsestilsyn i Børn og Familie & Ungeenheden. 1. kvartal 2018", "tilsyn"),
        ("Selvevaluering af myndighedsområdet", "tilsyn"),
        ("Referat fra Børne- og Ungeudvalget", "dagsorden/referat"),
        ("Projektbeskrivelse Socialrådgivere i daginstitutioner", "andet"),
    ],
)
def test_document_type_from_the_title(title: str, expected: str) -> None:
    assert detect_doc_type(title, "", "dokument.pdf") == expected
    assert expected in DOC_TYPES


def test_document_type_falls_back_to_the_opening_text_then_the_file_name() -> None:
    assert detect_doc_type("Familiehuset", "Denne kvalitetsstandard beskriver tilbuddet.", "x.pdf") == (
        "kvalitetsstandard"
    )
    assert detect_doc_type("Familiehuset", "Åben rådgivning.", "odense_strategi_2020.pdf") == "strategi"
    assert detect_doc_type("Børnesyn", "Politikerne har vedtaget et børnesyn.", "x.pdf") == "andet"


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("Kvalitetsstandard for aflastning\n30. april 2019\n" + FILLER, 2019),
        ("Handleplan for skolefravær\nMarts 2021\n" + FILLER, 2021),
        ("Ledelsestilsyn 1. kvartal 2018\n" + FILLER, 2018),
        ("Strategi\nVedtaget i Byrådet den 12. juni 2017, revideret i marts 2019.\n" + FILLER, 2019),
        ("Notat\nDato: 12.03.2021\n" + FILLER, 2021),
        ("Notat\n2020-11-05\n" + FILLER, 2020),
        ("Udviklingsplan 2020-2022 for Familieafdelingen\n" + FILLER, 2020),
    ],
)
def test_year_from_the_documents_own_date_near_the_start(text: str, year: int) -> None:
    assert detect_year(text, {"created": "2023-01-01"}, "fil_2015.pdf") == year


def test_law_dates_are_not_the_documents_year() -> None:
    text = "Kvalitetsstandard\nJf. lov nr. 1547 af 13. december 2019 og bekendtgørelse nr. 123 af 2015.\n"
    assert detect_year(text + FILLER, {"created": "2021-02-03"}, "x.pdf") == 2021


def test_year_falls_back_to_metadata_then_file_name() -> None:
    assert detect_year(FILLER, {"created": "2018-06-01"}, "x_2015.pdf") == 2018
    assert detect_year(FILLER, {}, "hjoerring_kvalitetsstandard_2019.pdf") == 2019
    assert detect_year(FILLER, {}, "x.pdf") is None
    assert detect_year("Plan\nMarts 1850\n" + FILLER, {}, "x.pdf") is None


def test_full_document_date_is_iso() -> None:
    assert detect_date("Referat\nMødedato: 30. april 2019\n") == "2019-04-30"
    assert detect_date("Plan\nMarts 2019\n") is None


DANISH_PARAGRAPHS = [
    "Familiebehandling er en indsats til familier med børn og unge, hvor der er bekymring for barnets "
    "trivsel. Kommunen tilbyder samtaler i hjemmet, og forløbet følges op af sagsbehandleren hver tredje måned.",
    "Skolesocialrådgiveren er til stede på skolen to dage om ugen. Lærere og pædagoger kan drøfte en "
    "bekymring med rådgiveren, uden at der skal sendes en underretning.",
    "Børn og unge skal have mulighed for at blive hørt. Derfor afholdes en børnesamtale, før der træffes "
    "afgørelse om en anbringelse uden for hjemmet.",
    "Sagstallet er nedbragt til 25 børn pr. rådgiver, og det har givet mere tid til den enkelte familie.",
    "Vi har en fælles forståelse af indsatstrappen og arbejder helhedsorienteret og tværprofessionelt.",
]


@pytest.mark.parametrize("paragraph", DANISH_PARAGRAPHS)
def test_danish_municipal_prose_is_danish(paragraph: str) -> None:
    assert detect_language(paragraph) == "da"


def test_other_languages_are_not_forced_to_danish() -> None:
    english = "The municipality offers family therapy to children and young people with special needs."
    swedish = "Kommunen erbjuder familjebehandling och stöd till barn och unga som inte mår bra i skolan."
    norwegian = (
        "Kommunen tilbyr veiledning til foreldre som trenger hjelp, og barna blir hørt av saksbehandleren."
    )
    assert detect_language(english) == "en"
    assert detect_language(swedish) == "sv"
    assert detect_language(norwegian) == "no"


def test_language_detection_is_deterministic() -> None:
    assert {detect_language(DANISH_PARAGRAPHS[3]) for _ in range(5)} == {"da"}


def test_title_prefers_meaningful_metadata() -> None:
    blocks = [Block("Indledning", 1, "heading", 2)]
    assert detect_title({"title": "Kvalitetsstandard for aflastning"}, blocks, "x.pdf") == (
        "Kvalitetsstandard for aflastning"
    )


@pytest.mark.parametrize(
    "junk", ["Microsoft Word - kvalitetsstandard.docx", "untitled", "Dokument1", "x.pdf"]
)
def test_junk_metadata_titles_fall_back_to_the_first_heading(junk: str) -> None:
    blocks = [Block("Tekst.", 1), Block("Strategi for tidlig indsats", 1, "heading", 1)]
    assert detect_title({"title": junk}, blocks, "x.pdf") == "Strategi for tidlig indsats"


def test_title_falls_back_to_a_cleaned_file_name() -> None:
    assert (
        detect_title({}, [Block("Tekst.")], "hjoerring_kvalitetsstandard_familiebehandling_2019.pdf")
        == "Hjoerring kvalitetsstandard familiebehandling 2019"
    )
    assert detect_title({}, [], "Ærø-handleplan-2020.docx") == "Ærø handleplan 2020"


def test_a_letterhead_with_the_municipality_name_is_not_the_title() -> None:
    blocks = [
        Block("HJØRRING KOMMUNE", 1, "heading", 1),
        Block("Handleplan for skolefravær", 1, "heading", 2),
    ]
    assert detect_title({}, blocks, "x.pdf") == "Handleplan for skolefravær"
