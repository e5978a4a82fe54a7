"""Municipality detection: the 98 names with their regions, name variants and weighed evidence."""

from __future__ import annotations

import functools
import re
from collections import defaultdict

from core.types import UNKNOWN_MUNICIPALITY
from language.folding import fold
from language.registry import AMBIGUOUS, VARIANTS, municipalities


def _ascii(text: str) -> str:
    """Names and file names as written without æøå, word boundaries kept: "hjoerring kvalitetsstandard"."""
    return fold(text, collapse=False, spaces=True)


_KOMMUNE = r"(?:[Kk]ommunes?|KOMMUNES?|[Rr]egionskommunes?|REGIONSKOMMUNES?)"
_AFTER = r"(?![\w-])|(?=-(?![\w]))"  # no letter or joined word after ("Herningmodellen", "Herning-modellen")
# Institutions and places named after a town that are not the municipality itself.
_NOT_THE_MUNICIPALITY = (
    r"(?!\s+(?:Universitet|Universitetshospital|Professionshøjskole|Bugt|Lufthavn|Stift|Havn)\b)"
)
_PLACE_PREPOSITION = re.compile(r"(?:\b(?:i|fra|til|på|ved|omkring|mellem|og)\s+)$")

# Evidence weights. A municipality wins with at least THRESHOLD points and twice the runner-up.
THRESHOLD = 3.0
W_META_STRONG, W_META_BARE, W_FILE = 6.0, 2.0, 4.0
W_HEAD_STRONG, W_HEAD_BARE = 5.0, 1.5  # the title area: the first HEAD_CHARS characters
W_PAGE_STRONG, W_PAGE_BARE = 2.0, 0.5  # the first page: the first PAGE_CHARS characters
W_REST_STRONG, W_REST_BARE = 0.7, 0.15
HEAD_CHARS, PAGE_CHARS = 300, 2500


def _forms() -> dict[str, str]:
    """Every written form (as in running text) -> canonical name."""
    forms: dict[str, str] = {}
    for name in municipalities():
        for form in (name, *VARIANTS.get(name, ())):
            forms[form] = name
            forms[form.upper()] = name
    return forms


@functools.lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], dict[str, str]]:
    forms = _forms()
    alternation = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    name = rf"(?<![\w-])(?P<name>{alternation})"
    strong = re.compile(rf"{name}(?:s)?\s+{_KOMMUNE}\b")
    bare = re.compile(rf"{name}(?:s|'s|’s)?(?:{_AFTER}){_NOT_THE_MUNICIPALITY}")
    return strong, bare, forms


@functools.lru_cache(maxsize=1)
def _folded_names() -> list[tuple[re.Pattern[str], str]]:
    out: list[tuple[re.Pattern[str], str]] = []
    for name in municipalities():
        folded = {_ascii(f) for f in (name, *VARIANTS.get(name, ()))}
        folded |= {f.replace("oe", "o").replace("aa", "a").replace("ae", "a") for f in folded}
        for form in sorted(folded, key=len, reverse=True):
            words = re.split(r"[\s-]+", form)
            out.append(
                (re.compile(r"(?<![a-z0-9])" + "[^a-z0-9]*".join(map(re.escape, words)) + r"(?![a-z])"), name)
            )
    return out


def resolve(value: str | None) -> str | None:
    """Canonical municipality name for "Greve", "greve kommune", "Københavns Kommune", "Aarhus"..."""
    if not value:
        return None
    text = re.sub(r"\b(?:regions)?kommunes?\b", "", value.strip(), flags=re.I).strip(" ,.-")
    by_lower = {form.lower(): name for form, name in _patterns()[2].items()}
    hit = by_lower.get(text.lower())
    if hit:
        return hit
    for pattern, name in _folded_names():
        if pattern.fullmatch(_ascii(text)):
            return name
    return None


def _score_text(
    text: str, scores: dict[str, float], weights: tuple[float, float, float, float, float, float]
) -> None:
    strong, bare, forms = _patterns()
    head_strong, head_bare, page_strong, page_bare, rest_strong, rest_bare = weights
    strong_spans: set[int] = set()
    for m in strong.finditer(text):
        pos = m.start()
        strong_spans.add(pos)
        weight = head_strong if pos < HEAD_CHARS else page_strong if pos < PAGE_CHARS else rest_strong
        scores[forms[m.group("name")]] += weight
    for m in bare.finditer(text):
        pos = m.start()
        if pos in strong_spans:
            continue
        name = forms[m.group("name")]
        if name in AMBIGUOUS and not _PLACE_PREPOSITION.search(text[max(0, pos - 12) : pos]):
            continue
        weight = head_bare if pos < HEAD_CHARS else page_bare if pos < PAGE_CHARS else rest_bare
        scores[name] += weight


def _score_file_name(file_name: str, scores: dict[str, float]) -> None:
    stem = _ascii(re.sub(r"\.[A-Za-z0-9]{1,5}$", "", file_name.rsplit("/", 1)[-1]))
    found: set[str] = set()
    for pattern, name in _folded_names():
        if name not in found and pattern.search(stem):
            found.add(name)
            scores[name] += W_FILE / 2 if name in AMBIGUOUS else W_FILE


def detect_municipality(
    text: str, file_name: str, meta: dict[str, str], explicit: str | None = None
) -> tuple[str, str | None]:
    """(municipality, "Region X") from the strongest evidence, or ("ukendt", None) when unsure.

    Evidence, strongest first: an explicit field (exports), file metadata (author/title/publisher like
    "Hjørring Kommune"), the file name ("hjoerring_..."), and the text, where "X Kommune(s)" in the title
    area counts most and a passing mention deep in the text counts little.
    """
    table = municipalities()
    named = resolve(explicit)
    if named:
        return named, table[named]
    scores: dict[str, float] = defaultdict(float)
    for key in ("author", "title", "publisher", "subject", "company", "keywords"):
        value = meta.get(key)
        if value and resolve(value):  # the whole field is the name: author "Hjørring Kommune"
            scores[str(resolve(value))] += W_META_STRONG
        elif value:
            weights = (W_META_STRONG, W_META_BARE, W_META_STRONG, W_META_BARE, W_META_STRONG, W_META_BARE)
            _score_text(value[:500], scores, weights)
    _score_file_name(file_name, scores)
    _score_text(
        text[:200_000],
        scores,
        (W_HEAD_STRONG, W_HEAD_BARE, W_PAGE_STRONG, W_PAGE_BARE, W_REST_STRONG, W_REST_BARE),
    )
    if not scores:
        return UNKNOWN_MUNICIPALITY, None
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    best, score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if score >= THRESHOLD and score >= 2 * runner_up:
        return best, table[best]
    return UNKNOWN_MUNICIPALITY, None
