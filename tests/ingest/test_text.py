"""Plain text and Markdown: decoding that gets æøå right, and structure from lines."""

from __future__ import annotations

import pytest

from ingest.text import decode_text, parse_text
from tests.ingest.ingest_files import DANISH_SENTENCE


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"])
def test_danish_letters_survive_every_common_encoding(encoding: str) -> None:
    assert decode_text(DANISH_SENTENCE.encode(encoding)) == DANISH_SENTENCE


def test_cp1252_punctuation_is_decoded_as_windows_text() -> None:
    data = "Forældre – og børn – får “støtte”".encode("cp1252")
    assert decode_text(data) == "Forældre – og børn – får “støtte”"


def test_windows_line_endings_and_stray_control_characters_are_normalised() -> None:
    assert decode_text(b"Linje 1\r\nLinje 2\rLinje 3\x00\x07") == "Linje 1\nLinje 2\nLinje 3"


def test_markdown_atx_headings_become_headings_with_levels() -> None:
    parsed = parse_text(
        "# Strategi for tidlig indsats\n\nHerning Kommune, 2021.\n\n## Socialrådgivere på skolerne\n\n"
        "Rådgiverne sidder **fast** på skolerne.\n".encode()
    )
    kinds = [(b.kind, b.level, b.text) for b in parsed.blocks]
    assert kinds == [
        ("heading", 1, "Strategi for tidlig indsats"),
        ("paragraph", 0, "Herning Kommune, 2021."),
        ("heading", 2, "Socialrådgivere på skolerne"),
        ("paragraph", 0, "Rådgiverne sidder fast på skolerne."),
    ]


def test_setext_headings_are_recognised() -> None:
    parsed = parse_text(
        "Handleplan for skolefravær\n==========================\n\nTekst.\n\nOpfølgning\n----------\n\nMere tekst.".encode()
    )
    headings = [(b.level, b.text) for b in parsed.blocks if b.kind == "heading"]
    assert headings == [(1, "Handleplan for skolefravær"), (2, "Opfølgning")]


def test_numbered_heading_lines_get_their_numbering_depth_as_level() -> None:
    parsed = parse_text(
        "1. Formål\nFormålet er at støtte familien.\n\n2.3 Målgruppe\nBørn og unge 0-18 år.".encode()
    )
    headings = [(b.level, b.text) for b in parsed.blocks if b.kind == "heading"]
    assert headings == [(1, "1. Formål"), (2, "2.3 Målgruppe")]


def test_consecutive_numbered_sentences_are_a_list_not_headings() -> None:
    parsed = parse_text(
        "Sådan gør vi:\n\n1. Barnet høres.\n2. Forældrene inddrages.\n3. Planen følges op.".encode()
    )
    assert [b.kind for b in parsed.blocks] == ["paragraph", "list"]
    assert parsed.blocks[1].text.count("\n") == 2


def test_bullet_lists_are_list_blocks() -> None:
    parsed = parse_text(b"Tilbud:\n\n- Familiebehandling\n- Aflastning\n* Fast kontaktperson")
    assert parsed.blocks[-1].kind == "list"
    assert parsed.blocks[-1].text == "• Familiebehandling\n• Aflastning\n• Fast kontaktperson"


def test_form_feed_starts_a_new_page() -> None:
    parsed = parse_text("Side et handler om børn.\fSide to handler om unge.\f".encode())
    assert parsed.page_count == 2
    assert [b.page for b in parsed.blocks] == [1, 2]


def test_blank_lines_separate_paragraphs_and_wrapped_lines_stay_together() -> None:
    parsed = parse_text(
        "Familiebehandling gives i hjemmet og varer typisk seks måneder, hvorefter\n"
        "indsatsen evalueres med familien.\n\nAndet afsnit.".encode()
    )
    assert len(parsed.blocks) == 2
    assert parsed.blocks[0].text.startswith("Familiebehandling gives")
    assert "evalueres" in parsed.blocks[0].text


def test_a_dash_inside_an_unfinished_sentence_continues_it() -> None:
    parsed = parse_text(
        "Planen er kort. Den beskriver barnets situation\n– med familiens egne ord.\n\nTilbud:\n- aflastning".encode()
    )
    assert [b.kind for b in parsed.blocks] == ["paragraph", "paragraph", "list"]
    assert parsed.blocks[0].text.endswith("situation\n– med familiens egne ord.")
