"""Safe SQLite FTS5 MATCH expressions from analysed terms, and HTML-safe highlighted snippets."""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from language.analysis import analyze_query, normalize, scan_matching

MAX_QUERY_TERMS = 64  # distinct terms sent to FTS5; a pasted page of text is cut here
_MAX_COPIES = 4  # per-term weights are expressed by repeating the term, at most this many times
_SPACE_RE = re.compile(r"\s+")
_WORD_SPLIT_RE = re.compile(r"[^\W\d_]+")
ELLIPSIS = "…"


def _quote(term: str) -> str:
    """An FTS5 string literal: inside double quotes every character is text; a quote is doubled.

    NUL is dropped: FTS5 reads the expression as a C string and would see the literal unterminated.
    """
    return '"' + term.replace("\x00", "").replace('"', '""') + '"'


def _usable(term: str) -> bool:
    return bool(term) and bool(term.replace("\x00", "").strip())


def _copies(weight: float, scale: int) -> int:
    return max(0, min(_MAX_COPIES, round(weight * scale)))


def match_expression(
    terms: list[str],
    *,
    expansions: dict[str, float] | None = None,
    max_terms: int = MAX_QUERY_TERMS,
    columns: Sequence[str] = (),
) -> str | None:
    """An FTS5 MATCH string that ORs every term as a quoted phrase; None when there is nothing to match.

    `terms` come from `language.analysis.analyze_query`; anything else is still quoted, so no input can form
    FTS5 syntax (column filters, NEAR, prefix `*`, boolean operators). `expansions` adds extra terms
    (synonyms) with a weight relative to the query's own terms (1.0). FTS5's bm25 sums a score per phrase
    of the query, so a weight is expressed by repeating phrases, in halves: when any weight is not a
    whole number the query's own terms are written twice and an expansion round(2 * weight) times
    (at most 4; 0 drops it). An expansion with spaces is a phrase: its terms must follow each other.
    With `columns` (names of [a-z] letters), only those columns of the table are searched.
    """
    own = [t for t in dict.fromkeys(terms) if _usable(t)][:max_terms]
    extra: dict[str, float] = {}
    for term, weight in (expansions or {}).items():
        if _usable(term) and term not in own and weight > 0:
            extra[term] = weight
    scale = 1
    if any(_copies(w, 1) != w for w in extra.values()):
        scale = 2
    parts: list[str] = []
    for term in own:
        parts += [_quote(term)] * scale
    room = max_terms - len(own)
    for term, weight in sorted(extra.items(), key=lambda kv: -kv[1])[: max(room, 0)]:
        parts += [_quote(term)] * _copies(weight, scale)
    if not parts:
        return None
    expression = " OR ".join(parts)
    names = [c for c in columns if c.isalpha() and c.isascii()]
    return f"{{{' '.join(names)}}} : ({expression})" if names else expression


def _word_start(text: str, start: int, limit: int) -> int:
    """Move a snippet start forward to the beginning of a word, not past `limit`."""
    if start <= 0 or text[start - 1].isspace():
        return max(start, 0)
    m = _SPACE_RE.search(text, start, limit)
    return m.end() if m else start


def _word_end(text: str, end: int, limit: int) -> int:
    """Move a snippet end back to the end of a word, not before `limit`."""
    if end >= len(text) or text[end].isspace():
        return min(end, len(text))
    for i in range(end - 1, max(limit, end - 80) - 1, -1):
        if text[i].isspace():
            return i
    return end


def _plain(segment: str) -> str:
    return html.escape(_SPACE_RE.sub(" ", segment))


_DANISH_LETTERS = frozenset("æøåÆØÅ")


@dataclass(frozen=True)
class QueryWords:
    """A query analysed for highlighting: its terms, and each written word (lower case) with its own terms."""

    terms: tuple[str, ...]
    words: tuple[tuple[str, tuple[str, ...]], ...]

    @classmethod
    def of(cls, query: str, terms: Sequence[str] | None = None) -> QueryWords:
        """`terms`: the query's `analyze_query` terms when the caller has them already."""
        words = tuple(
            (lower, tuple(analyze_query(lower)))
            for lower in (w.lower() for w in _WORD_SPLIT_RE.findall(query))
        )
        return cls(tuple(analyze_query(query) if terms is None else terms), words)


@dataclass(frozen=True)
class _Wanted:
    terms: set[str]
    plain: set[str]  # terms only words without æøå may match
    danish: set[str]  # terms only words with æøå may match


def _query_terms(query: QueryWords, common: Collection[str], as_typed: Collection[str]) -> _Wanted:
    """The terms to mark, and which of them æøå in a text word rules in or out (see `highlight_terms`)."""
    wanted = set(query.terms)
    rare = wanted.difference(common)
    if rare:  # a word in most of the index says nothing when the query has a more telling one
        wanted = rare
    folded: set[str] = set()
    plain: set[str] = set()
    danish: set[str] = set()
    for lower, word_terms in query.words:
        terms = set(word_terms) & wanted
        if _DANISH_LETTERS.intersection(lower):
            danish |= terms
        elif lower in as_typed:
            plain |= terms
        else:
            folded |= terms
    return _Wanted(wanted, plain - folded - danish, danish - folded - plain)


def without_heading(text: str, section: str) -> str:
    """The text without the section headings it starts with: a card shows the section already."""
    whole = normalize(text)
    rest = whole.lstrip()
    for heading in [part.strip() for part in section.split(" > ") if part.strip()]:
        if rest.startswith(heading) and rest[len(heading) : len(heading) + 1].isspace():
            rest = rest[len(heading) :].lstrip()
    return rest or whole


def highlight_terms(
    text: str,
    query: str | QueryWords,
    *,
    max_chars: int = 300,
    common: Collection[str] = (),
    as_typed: Collection[str] = (),
) -> str:
    """A snippet of about `max_chars` characters around the densest run of query matches.

    Words whose analysed term is one of the query's terms are wrapped in <mark>…</mark> (so "børnene" is
    marked for the query "born"); all text is HTML-escaped; "…" shows where the text was cut.
    Terms in `common` (found in most of the index, like "kommune") are not marked when the query has others.
    A query word written with æøå ("ændre") marks only words with æøå, and one in `as_typed` (written without
    æøå and found so in the index, like "andre") only words without: folding would otherwise mix the two. A
    word typed without æøå that the index does not know ("born") still marks "børn".
    A search passes its query analysed once (`QueryWords`), so the query is not analysed again per hit.
    """
    text = normalize(text)
    max_chars = max(1, max_chars)
    words = query if isinstance(query, QueryWords) else QueryWords.of(query)
    wanted = _query_terms(words, common, as_typed)

    def match(token: str, terms: tuple[str, ...]) -> frozenset[str]:
        hit = wanted.terms.intersection(terms)
        if hit:
            hit -= wanted.plain if _DANISH_LETTERS.intersection(token) else wanted.danish
        return frozenset(hit)

    matches = scan_matching(text, match, wanted.terms) if wanted.terms else []

    # The window of matches that fits in max_chars with the most distinct query terms, then most matches.
    best = (0, 0, -1, -1)  # (distinct, count, first index, last index)
    counts: Counter[str] = Counter()
    left = 0
    for right, (_start, match_end, found) in enumerate(matches):
        counts.update(found)
        while match_end - matches[left][0] > max_chars and left < right:
            counts.subtract(matches[left][2])
            counts += Counter()  # drop zero counts
            left += 1
        score = (len(counts), right - left + 1)
        if score > best[:2]:
            best = (*score, left, right)

    core_start, core_end = (matches[best[2]][0], matches[best[3]][1]) if best[2] >= 0 else (0, 0)
    if core_end - core_start >= max_chars:
        start, end = core_start, core_end
    else:
        start = max(0, core_start - (max_chars - (core_end - core_start)) // 2)
        end = min(len(text), start + max_chars)
        start = max(0, min(start, end - max_chars))  # near the end of the text: use the room before
        start = _word_start(text, start, core_start)
        end = _word_end(text, end, core_end)

    out: list[str] = [ELLIPSIS] if start > 0 else []
    pos = start
    for m_start, m_end, _hit in matches:
        if m_start < start or m_end > end:
            continue
        out.append(_plain(text[pos:m_start]))
        out.append(f"<mark>{html.escape(text[m_start:m_end])}</mark>")
        pos = m_end
    out.append(_plain(text[pos:end]))
    snippet = "".join(out).strip()
    if end < len(text) and text[end:].strip():
        snippet += ELLIPSIS
    return snippet
