"""Values in Danish practice text: durations, deadlines, frequencies, case counts, amounts, shares and §§."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from language.thesaurus import thesaurus

NUMBER_WORDS = {
    "en": 1, "et": 1, "én": 1, "ét": 1, "ene": 1, "to": 2, "tre": 3, "fire": 4, "fem": 5, "seks": 6,
    "syv": 7, "otte": 8, "ni": 9, "ti": 10, "elleve": 11, "tolv": 12, "tretten": 13, "fjorten": 14,
    "femten": 15, "seksten": 16, "sytten": 17, "atten": 18, "nitten": 19, "tyve": 20, "tredive": 30,
    "fyrre": 40, "halvtreds": 50,
}  # fmt: skip
ORDINALS = {
    "anden": 2, "andet": 2, "tredje": 3, "fjerde": 4, "femte": 5, "sjette": 6, "syvende": 7, "ottende": 8,
    "niende": 9, "tiende": 10, "tolvte": 12, "fjortende": 14,
}  # fmt: skip
UNITS = {
    "time": "timer", "timer": "timer", "dag": "dage", "dage": "dage", "hverdag": "hverdage",
    "hverdage": "hverdage", "arbejdsdage": "hverdage", "arbejdsdag": "hverdage", "uge": "uger", "uger": "uger",
    "måned": "måneder", "måneder": "måneder", "år": "år", "kvartal": "kvartaler", "kvartaler": "kvartaler",
}  # fmt: skip
PERIOD = {"ugen": "uge", "uge": "uge", "måneden": "måned", "måned": "måned", "året": "år", "år": "år",
          "dagen": "dag", "kvartalet": "kvartal"}  # fmt: skip

_NUM = r"(?:\d+(?:,\d+)?|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"
_RANGE = rf"(?P<a>{_NUM})(?:\s*(?:-|–|til|og)\s*(?P<b>{_NUM}))?"
_UNIT = r"(?P<unit>" + "|".join(sorted(UNITS, key=len, reverse=True)) + r")"
_B = r"(?<![\w§])"  # a value starts at a word boundary

DEADLINE_RE = re.compile(
    rf"{_B}(?P<lead>inden for|indenfor|senest|inden|højst|maksimalt)\s+(?:de\s+(?:første\s+)?)?{_RANGE}\s+"
    rf"{_UNIT}\b",
    re.IGNORECASE,
)
DURATION_RE = re.compile(rf"{_B}(?P<lead>op til\s+|mindst\s+|ca\.\s+|omkring\s+)?{_RANGE}\s+{_UNIT}\b", re.I)
EVERY_RE = re.compile(
    rf"{_B}hver(?:t)?\s+(?:(?P<ord>{'|'.join(ORDINALS)})\s+)?(?P<per>uge|måned|år|kvartal|dag)\b", re.I
)
TIMES_RE = re.compile(
    rf"{_B}{_RANGE}\s+(?:gange?|sessioner|besøg|samtaler)\s+(?:om|pr\.|per|i)\s+(?P<per>{'|'.join(PERIOD)})\b",
    re.I,
)
HOURS_RE = re.compile(
    rf"{_B}(?P<lead>op til\s+)?{_RANGE}\s+timer?\s+(?:om|pr\.|per|i)\s+(?P<per>{'|'.join(PERIOD)})\b", re.I
)
CASES_RE = re.compile(
    rf"{_B}(?:højst\s+|maksimalt\s+|op til\s+|under\s+)?{_RANGE}\s+(?:børne)?(?:sager|børn|børnesager)\s+"
    r"(?:pr\.|per|for hver|om året pr\.)\s*(?:fuldtids)?(?:rådgiver|sagsbehandler|socialrådgiver|medarbejder)",
    re.I,
)
CASES_EACH_RE = re.compile(
    rf"{_B}(?:højst\s+|maksimalt\s+|under\s+)?{_RANGE}\s+(?:børne)?sager\s+hver\b", re.I
)
CASE_COUNT_RE = re.compile(rf"{_B}sagstal(?:let)?\s+(?:på|er|var|af|til)\s+(?:ca\.\s+)?{_RANGE}\b", re.I)
AMOUNT_RE = re.compile(
    r"(?<![\w,.])(?P<n>\d{1,3}(?:\.\d{3})+|\d+(?:,\d+)?)\s*(?P<scale>mio\.|millioner|mia\.)?\s*"
    r"(?P<cur>kr\.|kroner|kr\b)(?:\s+(?P<per>pr\.\s+(?:time|måned|døgn|dag|år|barn|forløb|uge)))?",
    re.I,
)
SHARE_RE = re.compile(r"(?<![\w,.])(?P<n>\d+(?:,\d+)?)\s*(?:%|procent\b)", re.I)
PARAGRAPH_RE = re.compile(
    r"§§?\s*(?P<n>\d+(?:\s?[a-h](?!\w))?)(?:\s*,\s*stk\.\s*(?P<stk>\d+))?(?:\s*,\s*nr\.\s*(?P<nr>\d+))?", re.I
)
_NEW_LAW_RE = re.compile(r"barnets\s+lov|\bBL\b", re.I)
_OLD_LAW_RE = re.compile(r"servicelov|lov om social service|\bSEL\b", re.I)


@dataclass(frozen=True)
class Value:
    """One extracted value: its kind, the words as written, and a normalised form that compares across texts."""

    kind: str  # varighed, frist, hyppighed, omfang, sagstal, beløb, andel, paragraf
    text: str  # as written in the passage
    normalized: str  # e.g. "6-12 måneder", "24 timer", "20 sager pr. rådgiver", "BL § 32 (SEL § 52, stk. 3)"
    low: float | None = None
    high: float | None = None
    unit: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def number(word: str) -> float | None:
    """A Danish number written in digits ("6", "2,5") or words ("seks"); None if it is neither."""
    word = word.strip().lower()
    if word in NUMBER_WORDS:
        return float(NUMBER_WORDS[word])
    try:
        return float(word.replace(".", "").replace(",", "."))
    except ValueError:
        return None


def _fmt(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.2f}".rstrip("0").replace(".", ",")


def _span(a: str, b: str | None) -> tuple[float, float] | None:
    low = number(a)
    high = number(b) if b else low
    if low is None or high is None:
        return None
    return low, high


def _range_text(low: float, high: float) -> str:
    return _fmt(low) if low == high else f"{_fmt(low)}-{_fmt(high)}"


def _law_near(text: str, start: int, end: int, default: str) -> str:
    """Which law a § reference belongs to: the law named closest before it in its sentence, else after it."""
    sentence_start = max(text.rfind(".", 0, max(start - 1, 0)) + 1, start - 80, 0)
    before = text[sentence_start:start]
    hits = [(m.end(), "BL") for m in _NEW_LAW_RE.finditer(before)]
    hits += [(m.end(), "SEL") for m in _OLD_LAW_RE.finditer(before)]
    if hits:
        return max(hits)[1]
    after = text[end : end + 40]
    if _NEW_LAW_RE.match(after.lstrip(" ,i")):
        return "BL"
    if _OLD_LAW_RE.match(after.lstrip(" ,i")):
        return "SEL"
    return default


def _paragraph(match: re.Match[str], law: str) -> Value:
    number_ = re.sub(r"\s+", "", match.group("n"))
    ref = f"§ {number_}" + (f", stk. {match.group('stk')}" if match.group("stk") else "")
    full = ref + (f", nr. {match.group('nr')}" if match.group("nr") else "")
    own = f"{law} {full}"
    other = None
    # Placement (§ 52, stk. 3, nr. 8) did not go to the supportive measures of Barnets Lov § 32.
    placement = law == "SEL" and ref == "§ 52, stk. 3" and match.group("nr") == "8"
    for moved in [] if placement else thesaurus().paragraphs:
        # A reference to a part of a moved paragraph ("§ 50, stk. 1") moved with it.
        if law == "SEL" and (ref == moved.old or ref.startswith(moved.old + ",")):
            other = f"BL {moved.new}"
        elif law == "BL" and (ref == moved.new or ref.startswith(moved.new + ",")):
            other = f"SEL {moved.old}"
    # One form for both laws, so a 2019 standard and a 2025 standard on the same paragraph compare equal.
    if other is None:
        normalized = own
    elif law == "BL":
        normalized = f"{own} ({other})"
    else:
        normalized = f"{other} ({own})"
    return Value("paragraf", match.group(0).strip(), normalized, unit=law)


def extract(
    text: str, kinds: tuple[str, ...] | list[str] | None = None, *, year: int | None = None
) -> list[Value]:
    """The values of the given kinds (all when None) in a passage, in reading order, each once.

    `year` is the document's: a bare § in a document from 2024 or later is read as Barnets Lov's."""
    wanted = set(kinds) if kinds is not None else None
    found: list[tuple[int, Value]] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, value: Value) -> None:
        if wanted is not None and value.kind not in wanted:
            return
        if any(start < e and s < end for s, e in taken):
            return
        taken.append((start, end))
        found.append((start, value))

    for m in CASES_RE.finditer(text):
        span = _span(m.group("a"), m.group("b"))
        if span:
            add(m.start(), m.end(), Value("sagstal", m.group(0), f"{_range_text(*span)} sager pr. rådgiver",
                                          *span, "sager"))  # fmt: skip
    for m in [*CASES_EACH_RE.finditer(text), *CASE_COUNT_RE.finditer(text)]:
        span = _span(m.group("a"), m.group("b"))
        if span:
            add(m.start(), m.end(), Value("sagstal", m.group(0), f"{_range_text(*span)} sager pr. rådgiver",
                                          *span, "sager"))  # fmt: skip
    for m in DEADLINE_RE.finditer(text):
        span = _span(m.group("a"), m.group("b"))
        if span:
            unit = UNITS[m.group("unit").lower()]
            add(m.start(), m.end(), Value("frist", m.group(0), f"{_range_text(*span)} {unit}", *span, unit))
    for m in TIMES_RE.finditer(text):
        span = _span(m.group("a"), m.group("b"))
        if span:
            per = PERIOD[m.group("per").lower()]
            norm = f"{_range_text(*span)} gange pr. {per}"
            add(m.start(), m.end(), Value("hyppighed", m.group(0), norm, *span, f"gange pr. {per}"))
    for m in HOURS_RE.finditer(text):
        span = _span(m.group("a"), m.group("b"))
        if span:
            per = PERIOD[m.group("per").lower()]
            norm = ("op til " if m.group("lead") else "") + f"{_range_text(*span)} timer pr. {per}"
            add(m.start(), m.end(), Value("omfang", m.group(0), norm, *span, f"timer pr. {per}"))
    for m in EVERY_RE.finditer(text):
        every = ORDINALS.get((m.group("ord") or "").lower(), 1)
        per = m.group("per").lower()
        norm = f"hver {PERIOD.get(per, per)}" if every == 1 else f"hver {every}. {PERIOD.get(per, per)}"
        add(m.start(), m.end(), Value("hyppighed", m.group(0), norm, every, every, per))
    for m in DURATION_RE.finditer(text):
        span = _span(m.group("a"), m.group("b"))
        if span:
            unit = UNITS[m.group("unit").lower()]
            lead = (m.group("lead") or "").strip().lower()
            prefix = {"op til": "op til ", "mindst": "mindst "}.get(lead, "")
            norm = f"{prefix}{_range_text(*span)} {unit}"
            add(m.start(), m.end(), Value("varighed", m.group(0).strip(), norm, *span, unit))
    for m in AMOUNT_RE.finditer(text):
        amount = number(m.group("n"))
        if amount is None:
            continue
        scale = (m.group("scale") or "").lower()
        if scale in ("mio.", "millioner"):
            amount *= 1_000_000
        elif scale == "mia.":
            amount *= 1_000_000_000
        per = f" {m.group('per').lower()}" if m.group("per") else ""
        norm = f"{amount:,.0f}".replace(",", ".") + f" kr.{per}"
        add(m.start(), m.end(), Value("beløb", m.group(0).strip(), norm, amount, amount, "kr."))
    for m in SHARE_RE.finditer(text):
        share = number(m.group("n"))
        if share is not None:
            add(m.start(), m.end(), Value("andel", m.group(0), f"{_fmt(share)} %", share, share, "%"))
    default = "BL" if year is not None and year >= 2024 else "SEL"
    for m in PARAGRAPH_RE.finditer(text):
        add(m.start(), m.end(), _paragraph(m, _law_near(text, m.start(), m.end(), default)))
    found.sort(key=lambda item: item[0])
    seen: set[tuple[str, str]] = set()
    values = []
    for _, value in found:
        if (value.kind, value.normalized) not in seen:
            seen.add((value.kind, value.normalized))
            values.append(value)
    return values
