"""FTS5 MATCH expressions on a real SQLite FTS5 table, and HTML-safe highlighted snippets."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.fts import ELLIPSIS, highlight_terms, match_expression, without_heading
from language.analysis import analyze, analyze_query

DOCS = {
    1: "Familiebehandling i hjemmet efter § 52, stk. 3: en familiebehandler støtter forældrene.",
    2: "Børnene i familiehuset får åben anonym rådgivning.",
    3: "Snerydning og vejvedligeholdelse om vinteren.",
    4: "Sagsnummer 27.00.00-A00-1-22 om underretninger and or not near.",
}

HOSTILE = [
    '"',
    '"unbalanced',
    'a "b',
    "NEAR(a b)",
    "NEAR(a b, 2)",
    "a OR",
    "OR",
    "AND",
    "NOT",
    "a NOT b",
    "-x",
    "*",
    "born*",
    "(",
    ")",
    "((a)",
    "col:term",
    "terms:born",
    "{terms}: born",
    "^x",
    "+",
    "'; DROP TABLE t; --",
    "'",
    "\\",
    "😀🙂 familie",
    "\x00\x01\x02\x1f\x7f",
    "a" * 10_000,
    ("børn § 50 " * 1_000)[:10_000],
    "§",
    "§§ 1-99999999",
    "",
    "   ",
]


@pytest.fixture(scope="module")
def db() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(terms)")
    conn.executemany(
        "INSERT INTO t(rowid, terms) VALUES (?, ?)",
        [(i, " ".join(analyze(text))) for i, text in DOCS.items()],
    )
    yield conn
    conn.close()


def search(conn: sqlite3.Connection, query: str) -> list[int]:
    expression = match_expression(analyze_query(query))
    if expression is None:
        return []
    rows = conn.execute("SELECT rowid FROM t WHERE t MATCH ? ORDER BY bm25(t)", (expression,)).fetchall()
    return [r[0] for r in rows]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_raise(db: sqlite3.Connection, query: str) -> None:
    search(db, query)
    # Raw user text given directly as terms is still quoted, never parsed as syntax.
    expression = match_expression([query, "born"])
    assert expression is not None
    db.execute("SELECT rowid FROM t WHERE t MATCH ?", (expression,)).fetchall()


def test_sql_injection_leaves_the_table_alone(db: sqlite3.Connection) -> None:
    search(db, "'; DROP TABLE t; --")
    assert db.execute("SELECT count(*) FROM t").fetchone()[0] == len(DOCS)


def test_operators_are_searched_as_text(db: sqlite3.Connection) -> None:
    assert search(db, "NOT") == [4]
    assert search(db, "near") == [4]
    assert search(db, "OR") == [4]


def test_no_terms_gives_none() -> None:
    assert match_expression([]) is None
    assert match_expression(analyze_query("og i på")) is None
    assert match_expression(analyze_query("§ ( * ")) is None
    assert match_expression(["", "  "]) is None


def test_every_term_is_quoted_and_ored() -> None:
    assert match_expression(["born", "famili"]) == '"born" OR "famili"'
    assert match_expression(['a"b']) == '"a""b"'


def test_danish_query_without_special_letters_finds_the_document(db: sqlite3.Connection) -> None:
    assert search(db, "boernene familiehus")[0] == 2
    assert search(db, "paragraf 52 stk 3")[0] == 1
    assert search(db, "27.00.00-A00-1-22")[0] == 4


def test_more_matching_terms_rank_first(db: sqlite3.Connection) -> None:
    assert search(db, "familiebehandling hjemmet snerydning")[0] == 1


def test_expansions_weigh_less_than_the_query_terms(db: sqlite3.Connection) -> None:
    expression = match_expression(["snerydning"], expansions={"familiebehandl": 0.5, "vinter": 0.0})
    assert expression == '"snerydning" OR "snerydning" OR "familiebehandl"'
    rows = db.execute("SELECT rowid FROM t WHERE t MATCH ? ORDER BY bm25(t)", (expression,)).fetchall()
    assert [r[0] for r in rows] == [3, 1]
    assert match_expression(["born"], expansions={"born": 1.0, "barn": 1.0}) == '"born" OR "barn"'


def test_match_expression_caps_the_number_of_terms() -> None:
    expression = match_expression([f"t{i}" for i in range(500)])
    assert expression is not None and expression.count(" OR ") == 63


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_a_valid_match(text: str) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(terms)")
    conn.execute("INSERT INTO t(terms) VALUES ('born famili')")
    for expression in (match_expression(analyze_query(text)), match_expression([text])):
        if expression is not None:
            conn.execute("SELECT rowid FROM t WHERE t MATCH ?", (expression,)).fetchall()
    conn.close()


# ---------------------------------------------------------------------------------------------- snippets


def visible(snippet: str) -> str:
    return re.sub(r"</?mark>", "", snippet)


def test_snippet_escapes_script_tags() -> None:
    text = 'Børnene <script>alert("x")</script> i <b>familiehuset</b> & forældre'
    snippet = highlight_terms(text, "børn familiehus")
    assert "<script>" not in snippet and "<b>" not in snippet
    assert "&lt;script&gt;" in snippet and "&amp;" in snippet
    assert re.sub(r"</?mark>", "", snippet).count("<") == 0


def test_snippet_marks_inflected_forms_of_query_words() -> None:
    snippet = highlight_terms("Børnene i Familiehuset får rådgivning.", "born familiehus")
    assert snippet == "<mark>Børnene</mark> i <mark>Familiehuset</mark> får rådgivning."


def marked(snippet: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", snippet)


def test_a_word_written_with_or_without_aeoeaa_marks_only_words_written_alike() -> None:
    text = "Vi vil ændre den måde, andre kommuner arbejder på, og Ændringen gælder alle."
    assert marked(highlight_terms(text, "andre", as_typed={"andre"})) == ["andre"]
    assert marked(highlight_terms(text, "ændre")) == ["ændre"]
    # A word typed without æøå that the index does not know as typed is read as the word with æøå.
    assert marked(highlight_terms("Børnene og de andre børn.", "born")) == ["Børnene", "børn"]


def test_a_word_in_most_of_the_index_is_not_marked_beside_rarer_ones() -> None:
    text = "Aabenraa Kommune tilbyder familiebehandling, som kommunens rådgivere visiterer til."
    query = "hvordan gør kommunerne med familiebehandling"
    assert marked(highlight_terms(text, query, common={"kommun"})) == ["familiebehandling"]
    # Alone it is all the query says, so it is marked.
    assert marked(highlight_terms(text, "kommune", common={"kommun"})) == ["Kommune", "kommunens"]


def test_a_snippet_leaves_out_the_section_headings_the_text_starts_with() -> None:
    text = "5. Familiebehandling\nFamiliebehandling efter § 52 gives til familier."
    snippet = highlight_terms(without_heading(text, "Kvalitetsstandard > 5. Familiebehandling"), "familier")
    assert snippet.startswith("Familiebehandling efter § 52")
    assert without_heading("Indhold og omfang", "Indhold og omfang") == "Indhold og omfang"  # nothing else
    assert without_heading("Formålet er klart.", "Formål") == "Formålet er klart."  # a whole heading only


def test_snippet_marks_paragraph_references() -> None:
    snippet = highlight_terms("Undersøgelsen efter § 50 i serviceloven.", "paragraf 50")
    assert "<mark>§ 50</mark>" in snippet


def test_snippet_is_cut_around_the_best_window_with_ellipses() -> None:
    filler = "Lorem ipsum dolor sit amet. " * 30
    text = filler + "Familiebehandling i hjemmet for børnene. " + filler
    snippet = highlight_terms(text, "familiebehandling børn", max_chars=120)
    assert snippet.startswith(ELLIPSIS) and snippet.endswith(ELLIPSIS)
    assert "<mark>Familiebehandling</mark>" in snippet and "<mark>børnene</mark>" in snippet
    assert len(visible(snippet)) <= 120 + 2


def test_snippet_prefers_the_window_with_the_most_distinct_terms() -> None:
    text = "børn " * 3 + "x " * 200 + "børn og familiebehandling " + "y " * 200
    snippet = highlight_terms(text, "børn familiebehandling", max_chars=60)
    assert "<mark>familiebehandling</mark>" in snippet


def test_snippet_without_matches_is_the_start_of_the_text() -> None:
    text = "Første sætning om noget. " + "Mere tekst. " * 50
    snippet = highlight_terms(text, "zzz", max_chars=40)
    assert snippet.startswith("Første sætning") and snippet.endswith(ELLIPSIS)
    assert "<mark>" not in snippet
    assert highlight_terms("kort", "") == "kort"
    assert highlight_terms("", "born") == ""


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400), st.text(max_size=40))
def test_snippets_never_carry_raw_markup(text: str, query: str) -> None:
    snippet = highlight_terms(text, query, max_chars=80)
    assert "<" not in visible(snippet) and ">" not in visible(snippet)
