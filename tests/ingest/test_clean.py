"""Cleaning: running headers/footers, page numbers, TOC leaders, hyphenation and whitespace."""

from __future__ import annotations

from core.types import Block
from ingest.clean import clean_blocks, join_lines
from ingest.pdf import parse_pdf


def _page(n: int, body: str, total: int = 4) -> list[Block]:
    return [
        Block("Ringkøbing-Skjern Kommune · Handleplan 2021", n),
        Block(body, n),
        Block(f"Side {n} af {total}", n),
    ]


def test_running_header_and_side_n_af_m_footer_are_removed() -> None:
    bodies = ["Skolen holder møde.", "Forældrene inddrages.", "Planen følges op.", "Fraværet falder."]
    blocks = [b for n, body in enumerate(bodies, start=1) for b in _page(n, body)]
    assert [b.text for b in clean_blocks(blocks, 4)] == bodies


def test_header_on_two_of_two_pages_is_removed() -> None:
    blocks = _page(1, "Første tekst.", total=2) + _page(2, "Anden tekst.", total=2)
    assert [b.text for b in clean_blocks(blocks, 2)] == ["Første tekst.", "Anden tekst."]


def test_a_repeated_sentence_with_changing_numbers_is_not_a_running_header() -> None:
    blocks = [b for n in range(1, 5) for b in _page(n, f"Afsnit {n + 10} om handleplanen for børn og unge.")]
    assert len(clean_blocks(blocks, 4)) == 4


def test_a_line_repeated_on_too_few_pages_stays() -> None:
    blocks = [Block("Fælles overskrift", 1), Block("a.", 1), Block("Fælles overskrift", 2), Block("b.", 2)]
    blocks += [Block(f"Tekst {n}.", n) for n in range(3, 7)]
    assert "Fælles overskrift" in [b.text for b in clean_blocks(blocks, 6)]


def test_page_number_lines_are_removed() -> None:
    blocks = [
        Block("Indhold på side et.\n- 1 -", 1),
        Block("Indhold på side to.\n2/12", 2),
        Block("Side 3\nIndhold på side tre.", 3),
        Block("Indhold på side fire.\n4", 4),
    ]
    assert [b.text for b in clean_blocks(blocks, 12)] == [
        "Indhold på side et.",
        "Indhold på side to.",
        "Indhold på side tre.",
        "Indhold på side fire.",
    ]


def test_numbers_inside_the_page_are_kept() -> None:
    blocks = [Block(text, n) for n, text in enumerate(["Indledning.", "Baggrund.", "Afslutning."], start=1)]
    blocks.insert(
        1, Block("Sagstal pr. rådgiver\n32\nGennemsnit i 2019 for hele landet.\nKilde: DS.\nSlut.", 1)
    )
    assert "32" in clean_blocks(blocks, 3)[1].text


def test_table_of_contents_dot_leaders_are_dropped() -> None:
    blocks = [
        Block("Indholdsfortegnelse", 1, "heading", 2),
        Block(
            "1. Formål ........................ 3\n2. Målgruppe . . . . . . . . 4\n3. Varighed …………… 5",
            1,
            "list",
        ),
        Block("Formålet er at støtte familien.", 2),
    ]
    assert [b.text for b in clean_blocks(blocks, 2)] == ["Formålet er at støtte familien."]


def test_line_break_hyphens_are_joined_only_before_a_lower_case_letter() -> None:
    assert join_lines("familie-\nbehandling i hjemmet") == "familiebehandling i hjemmet"
    assert join_lines("Børne-\nog Ungeudvalget") == "Børne- og Ungeudvalget"
    assert join_lines("Ringkøbing-\nSkjern Kommune") == "Ringkøbing-Skjern Kommune"
    assert join_lines("perioden 2019-\n2022") == "perioden 2019-2022"


def test_whitespace_is_collapsed_and_invisible_characters_dropped() -> None:
    cleaned = clean_blocks([Block("Sags\u00adbehandling  af\n  under\u200bretninger\u00a0i  tide")], 1)
    assert cleaned[0].text == "Sagsbehandling af underretninger i tide"


def test_list_items_stay_on_their_own_lines_and_wrapped_items_are_joined() -> None:
    cleaned = clean_blocks([Block("• Forældre med behov for\nstøtte\n• Familier i krise", 1, "list")], 1)
    assert cleaned[0].text == "• Forældre med behov for støtte\n• Familier i krise"


def test_real_pdf_loses_its_header_footer_and_toc(kvalitetsstandard_pdf: bytes) -> None:
    parsed = parse_pdf(kvalitetsstandard_pdf)
    text = "\n".join(b.text for b in clean_blocks(parsed.blocks, parsed.page_count))
    assert "Side 3 af 5" not in text
    assert "Hjørring Kommune · Kvalitetsstandard" not in text
    assert "....." not in text and "Indholdsfortegnelse" not in text
    assert "1. Formål" in text and "Kvalitetsstandard for familiebehandling" in text
