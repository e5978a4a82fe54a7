"""Facets: which candidates count as close matches, and how each field is counted under the other filters."""

from __future__ import annotations

from dataclasses import dataclass

from broker.search.facets import (
    count_facets,
    facet_candidates,
    has_facet_filters,
    passes,
    points_to,
    without_facet_filters,
)
from broker.search.fusion import Ranked
from core.settings import Settings
from core.types import SearchFilters

SETTINGS = Settings(facet_dense_margin=0.04, facet_lexical_share=0.4)


@dataclass(frozen=True)
class Row:
    doc_id: str
    municipality: str
    region: str | None
    doc_type: str
    year: int | None


ROWS = [
    Row("a", "Herning", "Region Midtjylland", "kvalitetsstandard", 2019),
    Row("b", "Herning", "Region Midtjylland", "strategi", 2023),
    Row("c", "Aabenraa", "Region Syddanmark", "kvalitetsstandard", 2023),
    Row("d", "Hjørring", "Region Nordjylland", "kvalitetsstandard", None),
]


def test_dense_candidates_within_the_margin_of_the_best_count() -> None:
    dense = [Ranked(1, 0.90), Ranked(2, 0.87), Ranked(3, 0.86), Ranked(4, 0.85)]
    assert facet_candidates({"dense": dense}, SETTINGS) == [1, 2, 3]


def test_lexical_candidates_with_a_share_of_the_best_score_count() -> None:
    lexical = [Ranked(5, 10.0), Ranked(6, 4.0), Ranked(7, 3.9)]
    assert facet_candidates({"lexical": lexical}, SETTINGS) == [5, 6]


def test_candidates_of_both_retrievers_count_once_lexical_first() -> None:
    retrieved = {"lexical": [Ranked(5, 8.0), Ranked(1, 7.0)], "dense": [Ranked(1, 0.9), Ranked(9, 0.89)]}
    assert facet_candidates(retrieved, SETTINGS) == [5, 1, 9]


def test_no_candidates_when_nothing_was_retrieved() -> None:
    assert facet_candidates({}, SETTINGS) == []
    assert facet_candidates({"lexical": [], "dense": []}, SETTINGS) == []


def test_a_field_is_counted_under_every_filter_but_its_own() -> None:
    facets = count_facets(ROWS, SearchFilters(kommuner=["Herning"], year_from=2023))
    # The other municipalities stay selectable, counted under the year filter only.
    assert facets.counts["municipality"] == {"Aabenraa": 1, "Herning": 1}
    # The years are counted among Herning's documents, not narrowed by the year filter.
    assert facets.counts["year"] == {"2019": 1, "2023": 1}
    assert facets.counts["doc_type"] == {"strategi": 1}
    assert facets.matched == {"b"}


def test_the_hits_shown_always_count_and_a_document_counts_once() -> None:
    shown = [Row("e", "Vejle", "Region Syddanmark", "rapport", 2023), ROWS[0]]
    facets = count_facets(ROWS[:1], SearchFilters(), shown)
    assert facets.counts["municipality"] == {"Herning": 1, "Vejle": 1}
    assert facets.matched == {"a", "e"}


def test_a_document_without_a_year_fails_a_year_filter_but_counts_elsewhere() -> None:
    row = ROWS[3]
    assert not passes(row, SearchFilters(year_from=2000))
    assert passes(row, SearchFilters(year_from=2000), skip="year")
    assert "Hjørring" not in count_facets(ROWS, SearchFilters(year_to=2030)).counts["municipality"]


def test_facet_filters_are_told_from_the_filters_a_click_leaves_alone() -> None:
    mine = SearchFilters(kommuner=["Herning"], exclude_kommuner=["Aarhus"], include_internal=True)
    assert has_facet_filters(mine) and not has_facet_filters(None)
    kept = without_facet_filters(mine)
    assert kept.kommuner == [] and kept.exclude_kommuner == ["Aarhus"] and kept.include_internal
    assert not has_facet_filters(kept)


@dataclass(frozen=True)
class Passage(Row):
    text: str = ""


def test_a_passage_points_to_the_time_of_its_document_or_of_the_years_it_names() -> None:
    asked = SearchFilters(year_from=2014, year_to=2016)
    written_later = Passage(
        "h", "Haderslev", "Region Syddanmark", "evaluering", 2017, "Sagstal 2014-2016 faldt."
    )
    unrelated = Passage("x", "Vejle", "Region Syddanmark", "rapport", 2023, "Årsrapport for 2023.")
    assert points_to(Passage("f", "Fanø", None, "notat", 2015), asked)
    assert points_to(written_later, asked)
    assert not points_to(unrelated, asked)


def test_a_year_named_in_the_text_never_stands_in_for_the_place() -> None:
    asked = SearchFilters(kommuner=["Herning"], year_from=2014)
    elsewhere = Passage("h", "Haderslev", "Region Syddanmark", "evaluering", 2017, "Siden 2014 …")
    assert not points_to(elsewhere, asked)
    assert points_to(Passage("k", "Herning", "Region Midtjylland", "katalog", 2012, "Fra 2014 …"), asked)
