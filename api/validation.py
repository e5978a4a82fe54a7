"""Danish messages for request validation errors (pydantic's own texts are English)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# pydantic error type -> message; {…} are filled from the error's context.
MESSAGES = {
    "missing": "skal angives",
    "greater_than_equal": "skal være mindst {ge}",
    "greater_than": "skal være større end {gt}",
    "less_than_equal": "må højst være {le}",
    "less_than": "skal være mindre end {lt}",
    "int_parsing": "skal være et heltal",
    "int_type": "skal være et heltal",
    "int_from_float": "skal være et heltal",
    "float_parsing": "skal være et tal",
    "float_type": "skal være et tal",
    "bool_parsing": "skal være true eller false",
    "bool_type": "skal være true eller false",
    "string_type": "skal være en tekst",
    "string_too_short": "skal have mindst {min_length} tegn",
    "string_too_long": "må højst have {max_length} tegn",
    "string_pattern_mismatch": "har en ugyldig form",
    "too_short": "skal have mindst {min_length} elementer",
    "too_long": "må højst have {max_length} elementer",
    "list_type": "skal være en liste",
    "dict_type": "skal være et JSON-objekt",
    "model_type": "skal være et JSON-objekt",
    "model_attributes_type": "skal være et JSON-objekt",
    "literal_error": "skal være en af: {expected}",
    "enum": "skal være en af: {expected}",
    "extra_forbidden": "er ikke et kendt felt",
    "json_invalid": "er ikke gyldig JSON",
    "json_type": "er ikke gyldig JSON",
    "uuid_parsing": "er ikke et gyldigt id",
    "date_parsing": "er ikke en gyldig dato",
}
SOURCES = ("query", "body", "path", "header", "cookie", "form")


def field_name(loc: Sequence[Any]) -> str:
    """The field as a caller wrote it: `k`, `kommuner.2`; the request body itself when nothing is left."""
    parts = [str(p) for p in loc if p not in SOURCES]
    if loc and loc[0] == "body" and all(isinstance(p, int) for p in loc[1:]):
        parts = []  # a position in unreadable JSON, not a field
    return ".".join(parts) or "forespørgslens indhold"


def message(error: Mapping[str, Any]) -> str:
    """One Danish phrase for one pydantic error, e.g. "k: skal være mindst 1"."""
    kind = str(error.get("type", ""))
    ctx = dict(error.get("ctx") or {})
    template = MESSAGES.get(kind)
    if kind == "value_error" and isinstance(ctx.get("error"), Exception | str):
        text = str(ctx["error"])  # the project's own validators speak Danish
    elif template is None:
        text = "har en ugyldig værdi"
    else:
        try:
            text = template.format(**{k: str(v).replace("'", "") for k, v in ctx.items()})
        except (KeyError, IndexError):
            text = template.split(" {")[0]
    return f"{field_name(error.get('loc', ()))}: {text}"


def describe(errors: Sequence[Mapping[str, Any]]) -> str:
    return "Ugyldig forespørgsel: " + "; ".join(message(e) for e in errors) + "."
