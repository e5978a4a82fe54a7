"""Document metadata from text, file metadata and file name: municipality, type, year, language, title."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.types import DOC_TYPES, Block
from ingest.lines import MONTHS
from language.folding import fold
from language.municipality import detect_municipality, resolve

__all__ = [
    "detect_date",
    "detect_doc_type",
    "detect_language",
    "detect_municipality",
    "detect_title",
    "detect_year",
    "resolve",
]

# ---------------------------------------------------------------------------------------------- type
_S = r"(?![a-zæøå])"  # no further letters: "politik" but not "politiker", "strategi" but not "strategisk"
_TYPE_RULES: tuple[tuple[str, str], ...] = (
    ("kvalitetsstandard", rf"kvalitetsstandard(?:en|er|erne)?{_S}|serviceniveau(?:et|er|erne)?{_S}"),
    ("kvalitetsstandard", rf"servicedeklaration(?:en|er|erne)?{_S}|standarder for sagsbehandling"),
    ("indsatskatalog", rf"(?:indsats|rådgivnings|ydelses|tilbuds)katalog(?:et|er|erne)?{_S}"),
    ("indsatskatalog", rf"tilbudsoversigt(?:en|er|erne)?{_S}"),
    ("strategi", rf"strategi(?:en|er|erne|s)?{_S}"),
    ("politik", rf"politik(?:ken|kens|ker|kerne|s)?{_S}"),
    ("handleplan", rf"handleplan(?:en|er|erne|s)?{_S}|handlingsplan(?:en|er|erne)?{_S}"),
    ("udviklingsplan", rf"udviklingsplan(?:en|er|erne)?{_S}"),
    ("notat", rf"notat(?:et|er|erne)?{_S}"),
    ("rapport", rf"rapport(?:en|er|erne)?{_S}|årsberetning(?:en|er)?{_S}"),
    ("evaluering", rf"evaluering(?:en|er|erne)?{_S}|evaluerings[a-zæøå]+"),
    ("tilsyn", rf"tilsyn(?:et|s)?{_S}|tilsyns[a-zæøå]+|selvevaluering(?:en|er)?{_S}"),
    ("dagsorden/referat", rf"dagsorden(?:en|er|s)?{_S}|referat(?:et|er)?{_S}|beslutningsprotokol[a-zæøå]*"),
)
_TYPE_PATTERNS = [(t, re.compile(p)) for t, p in _TYPE_RULES]
assert all(t in DOC_TYPES for t, _ in _TYPE_RULES)


def _earliest_type(text: str) -> str | None:
    best: tuple[int, int, str] | None = None
    lowered = text.lower()
    for doc_type, pattern in _TYPE_PATTERNS:
        m = pattern.search(lowered)
        if m:
            key = (m.start(), -(m.end() - m.start()), doc_type)
            if best is None or key < best:
                best = key
    return best[2] if best else None


def detect_doc_type(title: str, text: str, file_name: str) -> str:
    """One of core.types.DOC_TYPES from the title, else the opening text, else the file name."""
    for source in (title, text[:600], fold(file_name, collapse=False, spaces=True).replace("aa", "å")):
        found = _earliest_type(source or "")
        if found:
            return found
    return "andet"


# ---------------------------------------------------------------------------------------------- year
MIN_YEAR, MAX_YEAR = 1990, 2035
_MONTH = r"(?P<month>" + "|".join(MONTHS) + r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|okt|nov|dec)\.?"
_DATE_PATTERNS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(rf"\b(?P<day>\d{{1,2}})\.\s*{_MONTH}\s+(?P<year>\d{{4}})\b", re.I), 2),
    (re.compile(r"\b(?P<year>\d{4})-(?P<mnum>\d{2})-(?P<day>\d{2})\b"), 2),
    (re.compile(r"(?<![\d.])(?P<day>\d{1,2})[./-](?P<mnum>\d{1,2})[./-](?P<year>\d{4})\b"), 2),
    (re.compile(rf"(?<![\d.])\b{_MONTH}\s+(?P<year>\d{{4}})\b", re.I), 2),
    (re.compile(r"\b[1-4]\.\s*kvartal\s+(?P<year>\d{4})\b|\bQ[1-4]\s*(?P<qyear>\d{4})\b", re.I), 2),
)
_BARE_YEAR = re.compile(r"(?<![\d.,/-])(?P<year>(?:19|20)\d{2})(?![\d.,/]\d|\d)")
_MARKER = re.compile(
    r"(?:vedtaget|godkendt|revideret|opdateret|udgivet|udarbejdet|dato|gældende fra|ikrafttrædelse)"
    r"[^.\n]{0,40}$",
    re.I,
)
_LAW_CONTEXT = re.compile(
    r"(?:(?:lov|bekendtgørelse|lbk|bek|cirkulære|vejledning|direktiv)[^.\n]{0,45}"
    r"|nr\.?\s*\d+\s*)\b(?:af|fra)\s+(?:den\s+)?$",
    re.I,
)
OPENING_CHARS = 2000
TITLE_AREA_CHARS = 300


@dataclass(frozen=True)
class _Found:
    pos: int
    year: int
    strength: int
    iso: str | None


def _month_number(value: str) -> int:
    short = value.lower().rstrip(".")[:3]
    return [m[:3] for m in MONTHS].index(short) + 1


def _dates(text: str) -> tuple[list[_Found], list[tuple[int, int]]]:
    found: list[_Found] = []
    taken: list[tuple[int, int]] = []  # spans already matched by a fuller pattern ("13. december 2019")
    for pattern, strength in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            if any(start < m.end() and m.start() < end for start, end in taken):
                continue
            taken.append(m.span())
            groups = m.groupdict()
            year = int(groups.get("year") or groups.get("qyear") or 0)
            if not MIN_YEAR <= year <= MAX_YEAR or _LAW_CONTEXT.search(
                text[max(0, m.start() - 60) : m.start()]
            ):
                continue
            month = int(groups["mnum"]) if groups.get("mnum") else None
            if groups.get("month"):
                month = _month_number(groups["month"])
            day = int(groups["day"]) if groups.get("day") else None
            iso = f"{year:04d}-{month:02d}-{day:02d}" if month and day and month <= 12 and day <= 31 else None
            marked = bool(_MARKER.search(text[max(0, m.start() - 50) : m.start()]))
            found.append(_Found(m.start(), year, 3 if marked else strength, iso))
    return found, taken


def _own_date(text: str) -> _Found | None:
    opening = text[:OPENING_CHARS]
    found, taken = _dates(opening)
    marked = [f for f in found if f.strength == 3]
    if marked:
        return max(marked, key=lambda f: (f.year, f.iso or "", -f.pos))
    if found:
        return min(found, key=lambda f: f.pos)
    for m in _BARE_YEAR.finditer(opening[:TITLE_AREA_CHARS]):
        year = int(m.group("year"))
        if any(start <= m.start() < end for start, end in taken):
            continue  # part of a date judged above, e.g. a law's date
        if MIN_YEAR <= year <= MAX_YEAR and not _LAW_CONTEXT.search(
            opening[max(0, m.start() - 60) : m.start()]
        ):
            return _Found(m.start(), year, 1, None)
    return None


def detect_date(text: str) -> str | None:
    """The document's own full date (ISO) near its start, when it states one."""
    found = _own_date(text)
    return found.iso if found else None


def detect_year(text: str, meta: dict[str, str], file_name: str) -> int | None:
    """The document's year: its own dates near the start ("30. april 2019", "Marts 2019", "1. kvartal 2018",
    "Vedtaget ... 2019", "2019-04-30", "12.03.2021"), else the metadata's created date, else the file name.
    Dates of laws ("lov nr. 123 af 15. maj 2015") are not the document's own."""
    found = _own_date(text)
    if found:
        return found.year
    created = meta.get("created") or ""
    m = re.match(r"(\d{4})", created)
    if m and MIN_YEAR <= int(m.group(1)) <= MAX_YEAR:
        return int(m.group(1))
    for m in re.finditer(r"(?<!\d)((?:19|20)\d{2})(?!\d)", file_name):
        year = int(m.group(1))
        if MIN_YEAR <= year <= MAX_YEAR:
            return year
    return None


# ------------------------------------------------------------------------------------------ language
def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


_DA_ONLY = _word_set(
    "af efter mellem gennem nogle hvad mig dig sig nu blive bliver blev børn børnene forældre "
    "forældrene sådan vores ud uden op ind inden meget været blevet budget center sag sagen sager"
)
_NO_ONLY = _word_set(
    "av etter mellom gjennom noen hva meg deg seg bli blir ble ut uten opp mye ikkje foreldre "
    "utvikling undersøkelse utvalg barna"
)
_SV_ONLY = _word_set("och att inte är för av mellan genom några vad hur bara också kommun")
_DA_SUFFIXES = ("hed", "heden", "heder", "ligt")
_NO_SUFFIXES = ("het", "heten")
_DA_PREFIXES = ("sags", "godkend", "indstill", "udvalg", "udarbejd", "udvikl", "undersøg", "møde")
_NO_PREFIXES = ("saks", "godkjen", "innstill", "utvalg", "utarbeid", "utvikl", "undersøk", "møte")
_WORD = re.compile(r"[a-zæøåäöéü]+")


def _marker_scores(text: str) -> tuple[int, int, int]:
    words = _WORD.findall(text.lower())
    da = sum(1 for w in words if w in _DA_ONLY or w.endswith(_DA_SUFFIXES) or w.startswith(_DA_PREFIXES))
    no = sum(
        1
        for w in words
        if (w in _NO_ONLY and w not in _DA_ONLY)
        or (w.endswith(_NO_SUFFIXES) and not w.endswith(_DA_SUFFIXES))
        or w.startswith(_NO_PREFIXES)
    )
    sv = sum(1 for w in words if w in _SV_ONLY and w not in _DA_ONLY) + text.count("ä") + text.count("ö")
    return da, no, sv


def detect_language(text: str) -> str:
    """ISO 639-1 language of the text; Danish is not mistaken for Norwegian or Swedish."""
    sample = " ".join(text[:3000].split())
    if len(_WORD.findall(sample.lower())) < 4:
        return "da"  # too little text to judge; the collection is Danish
    da, no, sv = _marker_scores(sample)
    words = len(_WORD.findall(sample.lower()))
    if no == 0 and sv == 0 and (da >= 3 or (da >= 1 and words < 40)):
        return "da"  # clear Danish markers and no competing ones: no statistics needed
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    try:
        ranked = detect_langs(sample)
    except LangDetectException:
        return "da"
    best = ranked[0].lang if ranked else "da"
    if best in ("no", "nb", "nn", "sv") and da >= max(no, sv):
        return "da"
    return best


# --------------------------------------------------------------------------------------------- title
_JUNK_TITLES = re.compile(
    r"^(?:microsoft (?:word|powerpoint|excel)\s*-.*|untitled.*|unavngivet.*|uden titel|"
    r"dokument\d*|document\d*|slide \d+|præsentation\d*|presentation\d*|title|titel|ny|new|"
    r".*\.(?:docx?|pdf|pptx?|xlsx?|rtf|odt))$",
    re.I,
)


def _meaningful(title: str | None) -> bool:
    if not title:
        return False
    text = " ".join(title.split())
    return len(text) >= 3 and not _JUNK_TITLES.match(text) and bool(re.search(r"[A-Za-zÆØÅæøå]{3,}", text))


def title_from_file_name(file_name: str) -> str:
    """A readable title from a file name.

    "hjoerring_kvalitetsstandard_familiebehandling_2019.pdf"
    -> "Hjoerring kvalitetsstandard familiebehandling 2019".
    """
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", file_name.replace("\\", "/").rsplit("/", 1)[-1])
    stem = stem.replace("%20", " ").replace("+", " ").replace("_", " ")
    if " " not in stem.strip():
        stem = stem.replace("-", " ")
    stem = " ".join(stem.split())
    return stem[:1].upper() + stem[1:] if stem else "Uden titel"


def detect_title(meta: dict[str, str], blocks: list[Block], file_name: str) -> str:
    """A meaningful metadata title, else the first heading near the start, else the cleaned file name."""
    title = meta.get("title")
    if title and _meaningful(title):
        return " ".join(title.split())
    headings = [
        b
        for b in blocks[:40]
        if b.kind == "heading" and b.page <= 2 and _meaningful(b.text) and not resolve(b.text)
    ]  # a letterhead "Hjørring Kommune" is not the title
    unnumbered = [b for b in headings if not re.match(r"^\d+(?:\.\d+)*\.?\s", b.text)]
    for candidates in (unnumbered, headings):
        if candidates:
            order = {id(b): i for i, b in enumerate(candidates)}
            best = min(candidates, key=lambda b: (b.level or 9, order[id(b)]))
            return " ".join(best.text.split())[:300]
    return title_from_file_name(file_name)
