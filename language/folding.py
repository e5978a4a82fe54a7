"""One spelling-insensitive fold for all of Danish text: æøå written out, accents dropped, case ignored.

The web page folds typed names by the same rule (api/static/state.js); tests/language/test_folding.py runs
both on the same words.
"""

from __future__ import annotations

import re
import unicodedata

_COLLAPSE_RE = re.compile(r"ae|oe|aa")
_NON_TERM_RE = re.compile(r"[^a-z0-9]+")
_FOLD_TABLE = str.maketrans(
    {
        "æ": "ae",
        "ø": "oe",
        "å": "aa",
        "ä": "ae",
        "ö": "oe",
        "œ": "oe",
        "ß": "ss",
        "ð": "d",
        "đ": "d",
        "þ": "th",
        "ł": "l",
        "ı": "i",
    }
)


def fold(text: str, *, collapse: bool = True, spaces: bool = False) -> str:
    """Fold to [a-z0-9]: lower case, æ→ae, ø→oe, å→aa, then ae→a, oe→o, aa→a; accents dropped.

    `collapse=False` keeps the written-out digraphs ("hjoerring", as in file names); `spaces=True` turns every
    run of other characters into one space instead of removing it (word boundaries stay visible).
    """
    text = text.lower().translate(_FOLD_TABLE)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    if collapse:
        text = _COLLAPSE_RE.sub(lambda m: m.group()[0], text)
    return _NON_TERM_RE.sub(" ", text).strip() if spaces else _NON_TERM_RE.sub("", text)
