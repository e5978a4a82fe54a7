"""Danish text analysis for the lexical index: tokens, § references, stopwords, stemming and æøå folding."""

from __future__ import annotations

import itertools
import operator
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from functools import lru_cache
from importlib import resources

import Stemmer

from language.folding import fold

# Every term this module produces matches this pattern, so terms are always safe single FTS5 tokens.
TERM_RE = re.compile(r"[a-z0-9]+")

MAX_TERM_CHARS = 64  # longer "words" are noise (hashes, glued URLs) and are dropped
_MAX_RANGE = 20  # "§§ 50-52" expands to p50 p51 p52; wider ranges keep only the end points
_WORD_CACHE = 1 << 18

# A paragraph number: digits with an optional letter ("§ 52 a", "§52a"), never a following word ("§ 50 i").
_NUM = r"[0-9]+(?:\s?[a-h](?![^\W_]))?"
_LIST_SEP = r"\s*(?:-|–|,|og|eller|til)\s*"
_SCAN_RE = re.compile(
    rf"(?P<para>(?P<mark>§§?|\bparagraf(?:ferne|fernes|fer|fen|fens|s)?)\s*(?P<pnum>{_NUM})"
    rf"(?P<plist>(?:{_LIST_SEP}{_NUM})*))"
    r"|(?P<stk>\bstk\.?\s*(?P<snum>[0-9]+)(?P<slist>(?:\s*(?:-|–|og|eller|til)\s*[0-9]+)*))"
    r"|(?P<nr>\bnr\.?\s*(?P<nnum>[0-9]+))"
    r"|(?P<word>[^\W_]+(?:(?:[-./:]|(?<=\d),(?=\d))[^\W_]+)*)",
    re.IGNORECASE,
)
_WORD_RE = re.compile(r"[^\W_]+(?:(?:[-./:]|(?<=\d),(?=\d))[^\W_]+)*")
_WORD_SPLIT_RE = re.compile(f"({_WORD_RE.pattern})")  # re.split keeps the words between the gaps
# Text without any of these has no § / stk. / nr. references and takes the plain-word path.
_REF_HINT_RE = re.compile(r"§|\b(?:paragraf|stk|nr)", re.IGNORECASE)
_REF_HINTS = ("nr", "stk", "paragraf")  # in casefolded text, wherever re.IGNORECASE would find them
_LIST_ITEM_RE = re.compile(rf"(?P<sep>-|–|,|og|eller|til)?\s*(?P<num>{_NUM})", re.IGNORECASE)
_BETWEEN_REF_RE = re.compile(r"\s*,?\s*")
_SPLIT_RE = re.compile(r"[-./:,]")
_DIGIT_RE = re.compile(r"\d")
_SPACE_RE = re.compile(r"\s+")
_COLLAPSE_RE = re.compile(r"ae|oe|aa")
_DIGRAPHS = {"ae": "æ", "oe": "ø", "aa": "å"}
# Characters that split words in PDFs and web pages without being visible.
_INVISIBLE_RE = re.compile("[\u00ad\u200b\u200c\u200d\ufeff]")
# Folded spellings of stopwords that are also real Danish words are not added ("vare" goods, "nar" fool).
_KEEP_FOLDED = frozenset({"vare", "nar"})


@lru_cache(maxsize=64)
def _thread_stemmer(thread_id: int) -> Stemmer.Stemmer:
    stemmer = Stemmer.Stemmer("danish")
    stemmer.maxCacheSize = 0  # words are cached (LRU) by the analysis itself
    return stemmer


def _stemmer() -> Stemmer.Stemmer:
    """The Snowball Danish stemmer, created once per thread (PyStemmer objects are not thread-safe)."""
    return _thread_stemmer(threading.get_ident())


def _stem(word: str) -> str:
    """Snowball stem of a lower-case word; "ae", "oe", "aa" are read as æ, ø, å first.

    The stemmer's suffixes and regions depend on the letters, so "nuvaerende" must be stemmed as
    "nuværende" (not as "...erende") for typed-without-æøå text to meet the real spelling.
    """
    if "a" in word or "o" in word:
        word = _COLLAPSE_RE.sub(lambda m: _DIGRAPHS[m.group()], word)
    return str(_stemmer().stemWord(word))


def _ascii_variants(word: str) -> set[str]:
    """The ways a word is typed without æøå: "også" → {"ogsaa", "ogsa"}."""
    return {fold(word, collapse=False), fold(word)}


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Snowball's Danish stopwords, plus their spellings without æøå ("paa", "pa" for "på")."""
    text = resources.files("language").joinpath("data/stopwords_da_snowball.txt").read_text("utf-8")
    words = {w.strip().lower() for w in text.splitlines() if w.strip() and not w.startswith("#")}
    variants = {v for w in words for v in _ascii_variants(w)} - _KEEP_FOLDED
    return frozenset(words | variants)


def _part_term(part: str) -> str:
    """One alphanumeric run → its term ("" when it is a stopword or has no usable characters)."""
    if not part.isascii():
        part = unicodedata.normalize("NFKC", part).lower()
    if _DIGIT_RE.search(part):  # numbers and codes are kept as they are, never stemmed or stopped
        term = fold(part, collapse=False)
    elif part in stopwords():
        return ""
    else:
        term = fold(_stem(part))
    return term if len(term) <= MAX_TERM_CHARS else ""


def word_term(word: str) -> str:
    """The term of one lower-case word of letters (stemmed and folded); "" for a stopword."""
    return _part_term(word)


@lru_cache(maxsize=_WORD_CACHE)
def _word_terms(word: str) -> tuple[str, ...]:
    """Terms of one scanned word; words joined by - . / : , give their parts, codes also the joined form."""
    word = word.lower()
    if not _SPLIT_RE.search(word):
        term = _part_term(word)
        return (term,) if term else ()
    parts = [p for p in _SPLIT_RE.split(word) if p]
    terms = [t for t in (_part_term(p) for p in parts) if t]
    with_digits = sum(1 for p in parts if _DIGIT_RE.search(p))
    # Case numbers, dates and decimals ("27.00.00-A00-1-22", "01.01.2024", "32,5") are also one term.
    if with_digits >= 2 and all(_DIGIT_RE.search(p) or len(p) <= 3 for p in parts):
        joined = fold("".join(parts), collapse=False)
        if joined and len(joined) <= MAX_TERM_CHARS and joined not in terms:
            terms.append(joined)
    return tuple(terms)


@lru_cache(maxsize=_WORD_CACHE)
def _query_word_terms(word: str) -> tuple[str, ...]:
    """Terms of one query word: as `_word_terms`, plus the plain stem when "ae", "oe", "aa" may be typed for
    "åe" or similar ("nedenstaende" for "nedenstående") rather than for æ, ø, å."""
    terms = _word_terms(word)
    if len(terms) != 1 or not word.isascii():
        return terms
    lower = word.lower()
    if not _COLLAPSE_RE.search(lower) or _DIGIT_RE.search(lower):
        return terms
    alt = fold(_stemmer().stemWord(lower))
    return terms if alt == terms[0] or not alt or len(alt) > MAX_TERM_CHARS else (*terms, alt)


def _para_items(match: re.Match[str]) -> list[tuple[str, str]]:
    """(separator, number) pairs of a § reference: "§§ 50-52" → [("", "50"), ("-", "52")]."""
    items = [("", match["pnum"])]
    if match["plist"]:
        items += [(m["sep"] or "", m["num"]) for m in _LIST_ITEM_RE.finditer(match["plist"])]
    return items


def _norm_num(num: str) -> str:
    return _SPACE_RE.sub("", num).lower()


def _ref_terms(prefix: str, items: list[tuple[str, str]], *, single: bool) -> tuple[list[str], str]:
    """Terms for a list of references ("p50", "50", ...) and the last reference's number.

    A single "§" only takes further numbers joined by "og" or "eller", or a short range ("§ 50-52");
    otherwise the number is plain text ("§ 50, 2019", "§ 50 - 2019").
    """
    terms: list[str] = []
    last = ""
    prev: str | None = None
    plain = False
    for sep, raw in items:
        num = _norm_num(raw)
        digits = num.rstrip("abcdefgh")
        is_range = sep in ("-", "–", "til")
        small_range = (
            is_range
            and prev is not None
            and prev.isdigit()
            and num.isdigit()
            and 0 < int(num) - int(prev) <= _MAX_RANGE
        )
        if single and (sep == "," or (is_range and not small_range)):
            plain = True  # "§ 50, 2019", "§ 50 - 2019": the number is not a paragraph
        if plain:
            terms.append(digits)
            if num != digits:
                terms.append(num)
            continue
        if small_range and prev is not None:
            terms += [f"{prefix}{n}" for n in range(int(prev) + 1, int(num))]
        terms += [f"{prefix}{num}", digits]
        prev = num
        last = num
    return terms, last


def _ref_terms_of(m: re.Match[str], last_para: str, para_end: int) -> tuple[tuple[str, ...], str, int]:
    """Terms of a § / stk. / nr. match, and the updated (last paragraph number, its end offset)."""
    kind = m.lastgroup
    if kind == "para":
        mark = m["mark"].lower()
        single = mark == "§" or mark in ("paragraf", "paragrafs", "paragrafen", "paragrafens")
        terms, last_para = _ref_terms("p", _para_items(m), single=single)
        return tuple(terms), last_para, m.end()
    if kind == "stk":
        items = [("", m["snum"])]
        if m["slist"]:
            items += [(s["sep"] or "", s["num"]) for s in _LIST_ITEM_RE.finditer(m["slist"])]
        terms, _ = _ref_terms("stk", items, single=False)
        if last_para and _BETWEEN_REF_RE.fullmatch(m.string, para_end, m.start()):
            terms.append(f"p{last_para}stk{_norm_num(m['snum'])}")
        return tuple(terms), last_para, para_end
    num = m["nnum"]  # "nr"
    return (f"nr{num}", num), last_para, para_end


def _may_refer(text: str) -> bool:
    """Whether the text may hold a § / stk. / nr. reference (`_REF_HINT_RE`). Plain substrings are looked for
    first, as most texts have none: for an 840-character chunk they took 9 µs here, the case-blind search
    with word boundaries 44 µs."""
    if "§" not in text:
        folded = text.casefold()
        if not any(hint in folded for hint in _REF_HINTS):
            return False
    return _REF_HINT_RE.search(text) is not None


def scan(text: str, *, query: bool = False) -> Iterator[tuple[int, int, tuple[str, ...]]]:
    """(start, end, terms) for each token of the text, in order; stopwords give no terms.

    Offsets refer to `normalize(text)`. With `query`, words typed without æøå also give their variants.
    """
    word_terms = _query_word_terms if query else _word_terms
    last_para = ""
    para_end = -1
    for m in _SCAN_RE.finditer(normalize(text)):
        if m.lastgroup == "word":
            yield m.start(), m.end(), word_terms(m.group())
        else:
            terms, last_para, para_end = _ref_terms_of(m, last_para, para_end)
            yield m.start(), m.end(), terms


def scan_matching(
    text: str,
    match: Callable[[str, tuple[str, ...]], frozenset[str]],
    among: AbstractSet[str] | None = None,
) -> list[tuple[int, int, frozenset[str]]]:
    """(start, end, what `match(token, terms)` gave) for each token of the text, as `scan` yields them, where
    that is not empty. `match` is asked once per distinct word: a text repeats its words, and a snippet wants
    the few that match the query. With `among`, only for words with a term in it (`match` gives nothing for
    the others)."""
    text = normalize(text)
    out: list[tuple[int, int, frozenset[str]]] = []
    if _may_refer(text):  # a reference's terms depend on the one before it: every token is asked
        for start, end, terms in scan(text):
            found = match(text[start:end], terms)
            if found:
                out.append((start, end, found))
        return out
    # The plain-word path, as in `analyze`, with the per-word work in C (split, map, compress): a Python loop
    # over every token cost about 2 µs a token here, most of a snippet's time, for the few tokens that match.
    pieces = _WORD_SPLIT_RE.split(text)  # gap, word, gap, word, ..., gap
    words = pieces[1::2]
    analysed = list(map(_word_terms, words))
    asked: Iterable[int] = range(len(words))
    if among is not None:
        asked = itertools.compress(asked, map(operator.not_, map(among.isdisjoint, analysed)))
    offsets = list(itertools.accumulate(map(len, pieces), initial=0))  # word i spans 2i+1 to 2i+2
    seen: dict[str, frozenset[str]] = {}
    for i in asked:
        word = words[i]
        hit = seen.get(word)
        if hit is None:
            hit = seen[word] = match(word, analysed[i])
        if hit:
            out.append((offsets[2 * i + 1], offsets[2 * i + 2], hit))
    return out


def normalize(text: str) -> str:
    """Compose decomposed letters (a + ring → å) and drop invisible characters (soft hyphens)."""
    if text.isascii():
        return text
    # Checked before changed: a snippet normalises each hit's text several times, and str.translate costs
    # ten times as much as both checks on text that is composed already (as stored text is).
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return _INVISIBLE_RE.sub("", text) if _INVISIBLE_RE.search(text) else text


def analyze(text: str) -> list[str]:
    """Terms to index for a text, in order (duplicates kept, they carry term frequency)."""
    text = normalize(text)
    out: list[str] = []
    extend = out.extend
    if not _may_refer(text):  # fast path: plain words only
        for word in _WORD_RE.findall(text):
            extend(_word_terms(word))
        return out
    last_para = ""
    para_end = -1
    for m in _SCAN_RE.finditer(text):
        if m.lastgroup == "word":
            extend(_word_terms(m.group()))
        else:
            terms, last_para, para_end = _ref_terms_of(m, last_para, para_end)
            extend(terms)
    return out


def analyze_query(text: str) -> list[str]:
    """Terms of a query: the pipeline of `analyze`, in order, without duplicates.

    A word typed with "ae", "oe" or "aa" also gives its plain stem, since "nedenstaende" means
    "nedenstående" (indexed as "nedensta") while "nuvaerende" means "nuværende" (indexed as "nuvar").
    """
    out: dict[str, None] = {}
    for _start, _end, terms in scan(text, query=True):
        for term in terms:
            out[term] = None
    return list(out)
