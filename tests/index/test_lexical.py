"""The Tantivy lexical index: weights per term group, filters and exclusions inside retrieval, generations."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.types import SearchFilters
from index.lexical import LexicalDoc, LexicalIndex, build_query, lexical_path, remove_stale, write_generation


def doc(
    chunk_id: int,
    terms: str,
    parts: str = "",
    *,
    doc_id: str | None = None,
    municipality: str = "Vejle",
    region: str | None = "Region Syddanmark",
    doc_type: str = "kvalitetsstandard",
    year: int | None = 2023,
) -> LexicalDoc:
    return LexicalDoc(
        chunk_id, terms, parts, doc_id or f"d{chunk_id}", municipality, region, doc_type, "da", year
    )


DOCS = [
    doc(1, "snerydning vej vinter", year=2021),
    doc(
        2, "familiebehandl hjem born", "famili behandl", municipality="Hjørring", region="Region Nordjylland"
    ),
    doc(3, "behandl af famili i hjem", municipality="Odense", year=None),
    doc(
        4,
        "§52 stk plejefamili",
        "plej famili",
        municipality="Greve",
        region="Region Sjælland",
        doc_type="notat",
    ),
    doc(5, "famili famili famili sag", doc_id="intern", municipality="Viborg", region="Region Midtjylland"),
]


@pytest.fixture
def index(tmp_path: Path) -> LexicalIndex:
    return LexicalIndex.load(write_generation(tmp_path, 1, add=DOCS))


def ids(index: LexicalIndex, terms: list[str], **kwargs: object) -> list[int]:
    return [i for i, _ in index.search(build_query(terms, **kwargs), 10)]  # type: ignore[arg-type]


def test_every_term_is_ored_and_the_best_match_comes_first(index: LexicalIndex) -> None:
    found = ids(index, ["snerydning", "vinter", "hjem"])
    assert found[0] == 1 and set(found) == {1, 2, 3}


def test_tokens_are_kept_exactly_as_analysed(index: LexicalIndex) -> None:
    assert ids(index, ["§52"]) == [4]
    assert ids(index, ["52"]) == []  # no tokenizer of Tantivy's own splits or changes a term


def test_compound_parts_match_at_half_the_weight_of_a_word(index: LexicalIndex) -> None:
    assert ids(index, ["behandl"]) == [3, 2]  # the word itself beats a part of a compound
    assert ids(index, ["plej"]) == [4]  # a part alone still finds its compound


def test_a_term_counts_as_a_word_and_as_a_part_in_its_document_frequency(tmp_path: Path) -> None:
    index = LexicalIndex.load(write_generation(tmp_path, 1, add=[doc(1, "x famili"), doc(2, "y", "famili")]))
    assert index.chunk_shares(["famili"]) == {"famili": 1.0}
    assert {i for i, _ in index.search(build_query(["famili"]), 10)} == {1, 2}


def test_an_expansion_counts_less_than_the_querys_own_terms(index: LexicalIndex) -> None:
    assert ids(index, ["snerydning"], expansions={"hjem": 0.5})[0] == 1
    assert ids(index, ["hjem"], expansions={"snerydning": 0.5})[0] != 1
    assert ids(index, ["hjem"], expansions={"snerydning": 0.0}) == ids(index, ["hjem"])


def test_a_phrase_expansion_needs_its_terms_in_order(index: LexicalIndex) -> None:
    assert ids(index, [], expansions={"behandl af": 1.0}) == [3]
    assert ids(index, [], expansions={"af behandl": 1.0}) == []


def test_filters_narrow_inside_retrieval_and_never_change_a_score(index: LexicalIndex) -> None:
    query = ["famili", "hjem"]
    plain = dict(index.search(build_query(query), 10))
    only = SearchFilters(kommuner=["Hjørring", "Odense"])
    narrowed = dict(index.search(build_query(query, filters=only), 10))
    assert set(narrowed) == {2, 3} and all(narrowed[i] == pytest.approx(plain[i]) for i in narrowed)
    assert set(ids(index, query, filters=SearchFilters(exclude_kommuner=["Hjørring"]))) == {3, 4, 5}
    assert ids(index, query, filters=SearchFilters(regions=["Region Nordjylland"])) == [2]
    assert ids(index, ["famili"], filters=SearchFilters(types=["notat"])) == [4]
    assert set(ids(index, ["famili"], filters=SearchFilters(doc_ids=["d2", "d4"]))) == {2, 4}
    years = SearchFilters(year_from=2022, year_to=2023)
    assert 3 not in ids(index, ["hjem", "famili"], filters=years)  # no year: outside any year filter
    assert ids(index, ["snerydning"], filters=SearchFilters(year_from=2022)) == []


def test_excluded_documents_are_never_retrieved(index: LexicalIndex) -> None:
    assert 5 in ids(index, ["famili"])
    assert 5 not in ids(index, ["famili"], exclude_doc_ids={"intern"})
    assert 5 not in ids(
        index, ["famili"], filters=SearchFilters(kommuner=["Viborg"]), exclude_doc_ids=["intern"]
    )


def test_query_syntax_is_only_text(index: LexicalIndex) -> None:
    for text in ("famili OR hjem", "terms:famili", "*", "famili^10", '"hjem"', "(", "\x00"):
        assert build_query([text]) is None or ids(index, [text]) == []
    assert build_query([]) is None and build_query(["", " "]) is None


def test_a_new_generation_shares_the_old_one_and_leaves_it_as_it_was(tmp_path: Path) -> None:
    write_generation(tmp_path, 1, add=DOCS)
    write_generation(tmp_path, 2, base=1, remove=[1], add=[doc(6, "snerydning cykelsti")])
    old, new = LexicalIndex.load(lexical_path(tmp_path, 1)), LexicalIndex.load(lexical_path(tmp_path, 2))
    assert old.ids() == {1, 2, 3, 4, 5} and new.ids() == {2, 3, 4, 5, 6}
    assert ids(old, ["snerydning"]) == [1] and ids(new, ["snerydning"]) == [6]


def test_an_aborted_generation_is_replaced_and_stale_ones_are_removed(tmp_path: Path) -> None:
    write_generation(tmp_path, 1, add=DOCS)
    leftover = lexical_path(tmp_path, 2)
    leftover.mkdir()
    (leftover / "halvfærdig").write_text("x")
    write_generation(tmp_path, 2, base=1, add=[doc(6, "cykelsti")])
    assert not (leftover / "halvfærdig").exists()
    write_generation(tmp_path, 3, base=2)
    lexical_path(tmp_path, 4).mkdir()  # a write killed before its commit
    remove_stale(tmp_path, current=3)
    assert sorted(p.name for p in tmp_path.glob("lexical.*")) == ["lexical.2", "lexical.3"]
    assert LexicalIndex.load(lexical_path(tmp_path, 3)).ids() == {1, 2, 3, 4, 5, 6}


def test_chunk_shares_are_the_share_of_chunks_holding_a_term(index: LexicalIndex) -> None:
    shares = index.chunk_shares(["famili", "snerydning", "snerydnig", ""])
    assert shares == {"famili": 4 / 5, "snerydning": 1 / 5}  # an unknown or empty term is left out
