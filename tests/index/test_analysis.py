"""Danish analysis: folding, stemming, stopwords, § references and numbers."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from language.analysis import _REF_HINT_RE, _may_refer, analyze, analyze_query, scan, scan_matching, stopwords
from language.folding import fold

TERM = re.compile(r"[a-z0-9]+")


def one(text: str) -> str:
    terms = analyze(text)
    assert len(terms) == 1, terms
    return terms[0]


@pytest.mark.parametrize("word", ["børnene", "børn", "born", "boern", "Børns", "BØRN", "bornene", "boernene"])
def test_query_without_danish_letters_finds_boern(word: str) -> None:
    assert one(word) == "born"


@pytest.mark.parametrize(
    "forms",
    [
        ["fællesskabet", "faellesskab", "fællesskab", "fallesskab"],
        ["familiehuse", "familiehus", "familiehuset"],
        ["Århus", "Aarhus", "Arhus", "århus"],
        ["sagsbehandlingstid", "sagsbehandlingstiden"],
        ["underretninger", "underretning", "underretningerne"],
        ["plejefamilier", "plejefamilie", "plejefamilien"],
        ["nuværende", "nuvaerende"],
        ["vedrørende", "vedroerende"],
        ["forældrene", "forældre", "foraeldre", "forældre"],
    ],
)
def test_forms_of_a_word_meet_in_one_term(forms: list[str]) -> None:
    assert len({one(f) for f in forms}) == 1, {f: analyze(f) for f in forms}


def test_typed_without_aeoeaa_meets_the_danish_spelling_for_words_with_ae_digraphs() -> None:
    # "nedenstaende" is "nedenstående"; the query also carries the plain stem, which meets it.
    assert one("nedenstående") in analyze_query("nedenstaende")
    assert one("nuværende") in analyze_query("nuvaerende")


def test_decomposed_letters_and_soft_hyphens_are_normalised() -> None:
    assert analyze("a\u030arhus") == analyze("Århus")
    assert analyze("fa\u00admilie") == analyze("familie")
    assert analyze("ﬁnansiering") == ["finansiering"]


def test_stopwords_are_removed_also_when_typed_without_aeoeaa() -> None:
    assert analyze("og i jeg på paa pa også ogsa være vaere") == []
    assert "paa" in stopwords() and "pa" in stopwords()


@pytest.mark.parametrize("text", ["§ 50", "§50", "paragraf 50", "Paragraf 50", "§  50", "SEL § 50"])
def test_paragraph_forms_give_p50(text: str) -> None:
    terms = analyze(text)
    assert "p50" in terms and "50" in terms


def test_paragraph_range_expands() -> None:
    assert {"p50", "p51", "p52"} <= set(analyze("§§ 50-52"))
    assert {"p50", "p52", "p58"} <= set(analyze("§§ 50, 52 og 58"))


def test_paragraph_with_stk_and_nr() -> None:
    terms = analyze("SEL § 52, stk. 3, nr. 7")
    assert {"sel", "p52", "52", "stk3", "p52stk3", "nr7", "7"} <= set(terms)
    assert {"p50", "stk3", "p50stk3"} <= set(analyze("paragraf 50, stk. 3"))
    assert "stk3" in analyze("stk 3") and "stk3" in analyze("stk. 3")


def test_paragraph_letter_and_following_words() -> None:
    assert "p52a" in analyze("§ 52 a") and "p52a" in analyze("§52a")
    assert analyze("§ 50 i serviceloven")[:2] == ["p50", "50"]  # "i" is a word, not a letter
    assert "p2019" not in analyze("§ 50, 2019 blev")
    assert "p2019" not in analyze("§ 50 - 2019") and "2019" in analyze("§ 50 - 2019")
    assert {"p50", "p51", "p52"} <= set(analyze("§ 50-52"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019", {"2019"}),
        ("15-25", {"15", "25"}),
        ("27.00.00-A00-1-22", {"27", "00", "a00", "1", "22", "270000a00122"}),
        ("32,5", {"32", "5", "325"}),
        ("1.000.000 kr.", {"1", "000", "1000000", "kr"}),
    ],
)
def test_numbers_and_case_numbers_survive(text: str, expected: set[str]) -> None:
    assert expected <= set(analyze(text))


def test_fts_operators_are_plain_lowercase_terms() -> None:
    assert analyze('"unbalanced NEAR(a b) OR -x * col:term ^y') == [
        "unbalanced",
        "near",
        "a",
        "b",
        "or",
        "x",
        "col",
        "term",
        "y",
    ]


def test_non_latin_text_and_emoji_give_no_terms() -> None:
    assert analyze("😀 Ελληνικά Русский 中文 \x00\x07") == []
    assert analyze("") == [] and analyze_query("   ") == []


def test_query_terms_keep_order_and_drop_duplicates() -> None:
    assert analyze_query("børn born familie børnene") == ["born", "famili"]


def test_analysis_is_the_same_from_many_threads() -> None:
    texts = [f"Børnene i familiehus nr. {i} efter § {i}, stk. 2, nedenstaende" for i in range(200)]
    expected = [analyze(t) + analyze_query(t) for t in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda t: analyze(t) + analyze_query(t), texts))
    assert got == expected


def test_fold() -> None:
    assert fold("æøå") == "aoa"
    assert fold("aarhus") == fold("århus") == "arhus"
    assert fold("café") == "cafe"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_every_term_is_one_run_of_a_z_0_9(text: str) -> None:
    for term in analyze(text) + analyze_query(text):
        assert TERM.fullmatch(term), term
        assert len(term) <= 64


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "§",
                "§§",
                "stk.",
                "nr",
                "paragraf",
                "50",
                "52",
                "-",
                ",",
                "og",
                "børn",
                "Århus",
                "3",
                " ",
                "a",
                ".",
            ]
        ),
        max_size=25,
    )
)
def test_fast_path_and_full_scan_agree(parts: list[str]) -> None:
    text = " ".join(parts)
    assert analyze(text) == [t for _s, _e, terms in scan(text) for t in terms]
    plain = "Familiebehandling i hjemmet 2019 " + text.replace("§", "").replace("stk", "").replace("nr", "")
    assert analyze(plain) == [t for _s, _e, terms in scan(plain) for t in terms]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["§", "52", "stk.", "2", "nr", "børn", "Born", "børn-og-unge", "og", "."]),
        max_size=25,
    )
)
def test_scan_matching_gives_the_tokens_scan_gives_that_match(parts: list[str]) -> None:
    def match(token: str, terms: tuple[str, ...]) -> frozenset[str]:
        return frozenset(t for t in terms if t.startswith(("p52", "born")) and token != "Born")

    for text in (" ".join(parts), " ".join(p for p in parts if p not in ("§", "stk.", "nr"))):
        expected = [(s, e, match(text[s:e], terms)) for s, e, terms in scan(text)]
        assert scan_matching(text, match) == [m for m in expected if m[2]]
        among = {t for _s, _e, terms in scan(text) for t in terms if t.startswith(("p52", "born"))}
        assert scan_matching(text, match, among) == [m for m in expected if m[2]]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["a", "bø", "1", "5", "-", ".", ",", ":", "/", "_", " ", "børn", "Born"]), max_size=30
    )
)
def test_scan_matching_finds_each_word_where_scan_does(parts: list[str]) -> None:
    """Words joined by - . / : and numbers with a decimal comma are one token, wherever they stand."""
    text = "".join(parts)

    def every(_token: str, terms: tuple[str, ...]) -> frozenset[str]:
        return frozenset(terms)

    expected = [(s, e, frozenset(terms)) for s, e, terms in scan(text) if terms]
    assert scan_matching(text, every) == expected


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["§", "NR", "nr", "Stk", "ſtk", "\u212a", "paragraf", "PARAGRAF", "a", "1", " ", "-"]
        ),
        max_size=12,
    )
)
def test_the_quick_reference_check_agrees_with_the_pattern(parts: list[str]) -> None:
    text = "".join(parts)
    assert _may_refer(text) == (_REF_HINT_RE.search(text) is not None)
