"""Chunking: sections from headings, paragraphs packed to a target, hard word and token bounds."""

from __future__ import annotations

import hashlib
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from core.types import Block
from ingest.chunking import chunk_blocks, split_sentences

SENTENCE = (
    "Familiebehandleren kommer i hjemmet to gange om ugen og arbejder med rutiner og samspil."  # 14 words
)


def _paragraph(sentences: int, start: int = 0) -> str:
    return " ".join(f"Punkt {i}: {SENTENCE}" for i in range(start, start + sentences))


def test_danish_abbreviations_do_not_end_a_sentence() -> None:
    text = (
        "Indsatsen gives efter § 50, stk. 3, jf. servicelovens regler. Det gælder f.eks. børn i alderen ca. "
        "12 år, bl.a. i dagtilbud. Mødet er kl. 10 i lokale nr. 4. Prisen er 200 kr. pr. time! Er det nok?"
    )
    assert split_sentences(text) == [
        "Indsatsen gives efter § 50, stk. 3, jf. servicelovens regler.",
        "Det gælder f.eks. børn i alderen ca. 12 år, bl.a. i dagtilbud.",
        "Mødet er kl. 10 i lokale nr. 4.",
        "Prisen er 200 kr. pr. time!",
        "Er det nok?",
    ]


def test_dates_and_paragraph_citations_stay_whole() -> None:
    assert split_sentences("Vedtaget den 30. april 2019. Se § 50. Stk. 2 gælder også.") == [
        "Vedtaget den 30. april 2019.",
        "Se § 50. Stk. 2 gælder også.",
    ]


def test_a_heading_starts_a_chunk_and_the_section_path_follows_heading_levels() -> None:
    blocks = [
        Block("Kvalitetsstandard for familiebehandling", 1, "heading", 1),
        Block("Indledende tekst om standarden.", 1),
        Block("Målgruppe", 1, "heading", 2),
        Block("Familier med børn 0-18 år.", 1),
        Block("Lovgrundlag", 2, "heading", 2),
        Block("Serviceloven § 52, stk. 3.", 2),
        Block("Praktisk", 3, "heading", 1),
        Block("Kontakt rådgiveren.", 3),
    ]
    chunks = chunk_blocks(blocks)
    assert [c.section for c in chunks] == [
        "Kvalitetsstandard for familiebehandling",
        "Kvalitetsstandard for familiebehandling > Målgruppe",
        "Kvalitetsstandard for familiebehandling > Lovgrundlag",
        "Praktisk",
    ]
    assert chunks[1].text == "Målgruppe\nFamilier med børn 0-18 år."
    assert [(c.page_start, c.page_end) for c in chunks] == [(1, 1), (1, 1), (2, 2), (3, 3)]
    assert [c.ord for c in chunks] == [0, 1, 2, 3]


def test_consecutive_headings_all_appear_at_the_start_of_the_chunk() -> None:
    blocks = [
        Block("Kvalitetsstandard for aflastning", 1, "heading", 1),
        Block("1. Formål", 1, "heading", 2),
        Block("Aflastning giver forældrene et pusterum.", 1),
    ]
    (chunk,) = chunk_blocks(blocks)
    assert (
        chunk.text == "Kvalitetsstandard for aflastning\n1. Formål\nAflastning giver forældrene et pusterum."
    )
    assert chunk.section == "Kvalitetsstandard for aflastning > 1. Formål"


def test_small_paragraphs_are_packed_up_to_the_target() -> None:
    blocks = [Block(_paragraph(2, start=i * 2)) for i in range(20)]  # 20 paragraphs of ~32 words
    chunks = chunk_blocks(blocks, target_words=100, max_words=150, overlap_words=0)
    assert all(len(c.text.split()) <= 100 for c in chunks)
    assert len(chunks) < 10
    assert " ".join(c.text.replace("\n", " ") for c in chunks) == " ".join(b.text for b in blocks)


def test_a_long_paragraph_is_split_on_sentences_with_a_small_overlap() -> None:
    chunks = chunk_blocks([Block(_paragraph(40))], target_words=80, max_words=120, overlap_words=20)
    assert len(chunks) > 3
    for previous, chunk in itertools.pairwise(chunks):
        last_sentence = split_sentences(previous.text)[-1]
        assert chunk.text.startswith(last_sentence)  # one 16-word sentence fits the 20-word overlap
    for chunk in chunks:
        assert all(s.endswith(".") for s in split_sentences(chunk.text))  # never cut mid-sentence


def test_a_sentence_longer_than_the_bound_is_split_on_words_never_mid_word() -> None:
    words = [f"ord{i}" for i in range(700)]
    chunks = chunk_blocks([Block(" ".join(words))], max_words=300, target_words=220)
    assert all(len(c.text.split()) <= 300 for c in chunks)
    assert [w for c in chunks for w in c.text.split()][: len(words)] == words[: len(words)]


def test_token_bound_holds_with_a_given_token_counter() -> None:
    def count_tokens(text: str) -> int:
        return len(text.split()) * 2  # a tokenizer that needs two tokens a word

    text = _paragraph(30)
    chunks = chunk_blocks([Block(text)], max_words=300, max_tokens=100, count_tokens=count_tokens)
    assert len(chunks) > 1  # the text needs more than 100 tokens, so it is split
    assert all(0 < count_tokens(c.text) <= 100 for c in chunks)
    assert set(" ".join(c.text for c in chunks).split()) == set(text.split())  # nothing is lost


def test_default_token_estimate_bounds_long_words() -> None:
    chunks = chunk_blocks([Block("x" * 5000)], max_tokens=480)
    assert all(len(c.text) // 3 + 1 <= 480 for c in chunks)
    assert "".join(c.text for c in chunks) == "x" * 5000


def test_a_very_small_trailing_piece_joins_the_previous_chunk_of_its_section() -> None:
    blocks = [Block(_paragraph(6)), Block(_paragraph(6, start=6)), Block("Kort afslutning.")]
    chunks = chunk_blocks(blocks, target_words=100, max_words=150, overlap_words=0)
    assert chunks[-1].text.endswith("Kort afslutning.")
    assert len(chunks[-1].text.split()) > 10


def test_table_rows_are_split_on_rows() -> None:
    rows = "\n".join(f"Indsats: Aflastning {i} · Varighed: {i} måneder" for i in range(100))
    chunks = chunk_blocks([Block(rows, 1, "table")], max_words=60, target_words=50)
    for chunk in chunks:
        assert all(line.startswith("Indsats:") for line in chunk.text.split("\n"))


def test_text_hash_is_the_sha256_of_the_text() -> None:
    (chunk,) = chunk_blocks([Block("Åben anonym rådgivning i Familiehuset.")])
    assert chunk.text_hash == hashlib.sha256(chunk.text.encode("utf-8")).hexdigest()


_words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzæøå", min_size=1, max_size=25)
_sentence = st.lists(_words, min_size=1, max_size=80).map(lambda ws: " ".join(ws).capitalize() + ".")
_block = st.one_of(
    st.lists(_sentence, min_size=1, max_size=30).map(lambda ss: Block(" ".join(ss))),
    _words.map(lambda w: Block(w.capitalize(), 1, "heading", 2)),
)


@settings(max_examples=60, deadline=None, database=None)
@given(
    blocks=st.lists(_block, min_size=1, max_size=12),
    max_words=st.integers(min_value=20, max_value=300),
    max_tokens=st.integers(min_value=40, max_value=480),
)
def test_every_chunk_respects_both_bounds_whatever_the_input(
    blocks: list[Block], max_words: int, max_tokens: int
) -> None:
    chunks = chunk_blocks(blocks, target_words=max_words * 2 // 3, max_words=max_words, max_tokens=max_tokens)
    for chunk in chunks:
        assert len(chunk.text.split()) <= max_words
        assert len(chunk.text) // 3 + 1 <= max_tokens
    body_words = [w for b in blocks if b.kind != "heading" for w in b.text.split()]
    chunk_words = {w for c in chunks for w in c.text.split()}
    assert set(body_words) <= chunk_words  # nothing is lost


def test_bound_holds_even_for_a_tokenizer_that_is_not_additive() -> None:
    def count_tokens(text: str) -> int:
        words = len(text.split())
        return words * words // 20 + 2  # grows faster than the sum of its parts

    chunks = chunk_blocks([Block(_paragraph(30))], max_words=300, max_tokens=200, count_tokens=count_tokens)
    assert all(count_tokens(c.text) <= 200 for c in chunks)
    assert "".join(c.text for c in chunks).count("Punkt") >= 30


def test_an_expensive_tokenizer_is_called_on_whole_chunks_only_near_the_bound() -> None:
    calls: list[str] = []

    def count_tokens(text: str) -> int:
        calls.append(text)
        return len(text.split()) + 2

    blocks = [Block(_paragraph(5, start=i * 5)) for i in range(40)]
    chunks = chunk_blocks(blocks, max_words=300, max_tokens=120, count_tokens=count_tokens)
    pieces = {b.text for b in blocks} | {s for b in blocks for s in split_sentences(b.text)}
    whole_chunk_calls = [t for t in calls if t not in pieces]
    assert len(whole_chunk_calls) <= 3 * len(chunks)
