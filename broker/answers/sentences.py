"""Answer material from passage text: sentences and table rows as readable Danish, headings and labels left out."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.chunking import split_sentences

# A field label in agendas and minutes ("Sagsfremstilling: ...", "Resume. ..."), up to three words.
_LABEL = re.compile(r"^(?:[A-ZÆØÅ][\wæøåÆØÅ-]*)(?: [\wæøåÆØÅ-]+){0,2}[:.]\s+(?=[A-ZÆØÅ0-9\"“»])")
_BULLET = re.compile(r"^(?:[•▪◦·*–-]|\d{1,2}[.)](?=\s+[A-ZÆØÅ]))\s+")
_KEY_VALUE = re.compile(r"^([^:·|]{1,60}):\s+(.+)$")
_END = ".!?"
# Danish words that open a field label rather than a sentence; kept short on purpose (see `strip_label`).
_LABEL_WORDS = {
    "sagsfremstilling", "sagsbeskrivelse", "resume", "resumé", "indstilling", "beslutning", "økonomi",
    "økonomiske konsekvenser", "baggrund", "status", "bemærkning", "bemærkninger", "konklusion", "dato",
    "til", "fra", "emne", "vedr", "opfølgning", "formål", "handling", "anbefaling",
}  # fmt: skip
MIN_WORDS, MAX_WORDS = 5, 80


@dataclass(frozen=True)
class Unit:
    """One piece of answer material: what the answer says (`text`) and the source words it quotes (`quote`).

    For a sentence the two differ only by a label or bullet glyph left out; a table row is said as prose
    ("Januar: underretninger 398, andel 95 %.") and quoted as the row stands in the document.
    """

    text: str
    quote: str
    position: int  # order within the passage, so sentences of one passage can be told apart and kept in order
    row: bool = False


def strip_label(sentence: str) -> str:
    """Leave out a leading field label ("Sagsfremstilling: ", "Resume. ") and bullet glyph."""
    sentence = _BULLET.sub("", sentence.strip())
    m = _LABEL.match(sentence)
    if m and m.group(0).rstrip(" :.").lower() in _LABEL_WORDS:
        sentence = sentence[m.end() :]
    return sentence.strip()


def _cells(line: str) -> list[str] | None:
    """The cells of a table row written with pipes or as "Label: value · Label: value"; None otherwise."""
    if line.count(" | ") >= 1:
        return [c.strip() for c in line.split("|")]
    if line.count(" · ") >= 1 and all(_KEY_VALUE.match(p.strip()) for p in line.split(" · ")):
        return [p.strip() for p in line.split(" · ")]
    return None


def _row_prose(cells: list[str], header: list[str] | None) -> str | None:
    """A table row said as a sentence, or None when the row is a header or a broken line of words."""
    pairs = [_KEY_VALUE.match(c) for c in cells]
    if all(pairs):
        subject = pairs[0].group(2) if pairs[0] else ""
        rest = [f"{m.group(1).strip().lower()} {m.group(2).strip()}" for m in pairs[1:] if m]
        return f"{subject}: " + ", ".join(rest) + "." if rest else None
    if header is None or cells == header:
        return None
    if len(header) != len(cells) or any(h[:1].isdigit() for h in header):
        # A PDF table whose header was lost or cells merged: quote the row rather than guess its columns.
        return "»" + " · ".join(c for c in cells if c) + "«"
    values = [f"{h.strip().lower()} {v}" for h, v in zip(header[1:], cells[1:], strict=True) if h and v]
    return f"{cells[0]}: " + ", ".join(values) + "." if cells[0] and values else None


def _is_heading(line: str) -> bool:
    """A title or heading line: short, without a sentence's closing mark."""
    words = line.split()
    return bool(words) and line[-1:] not in _END and (len(words) <= 14 or line[-1:] == ":")


def _lines(text: str) -> list[str]:
    """Lines of a passage, with a sentence a PDF broke over two lines joined again."""
    joined: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        open_end = joined and (joined[-1][-1:] not in _END + ":" or re.search(r"\d\.$", joined[-1]))
        if open_end and line[:1].islower() and _cells(line) is None:
            joined[-1] = f"{joined[-1]} {line}"
        else:
            joined.append(line)
    return joined


def units(text: str) -> list[Unit]:
    """The answer material of a passage: its sentences and table rows, never a heading, title or header row.

    A row whose cells are mostly single words is a PDF line broken into cells; it is read as words.
    """
    found: list[Unit] = []
    header: list[str] | None = None
    for line in _lines(text):
        cells = _cells(line)
        if cells is not None:
            single = sum(len(c.split()) <= 1 for c in cells)
            if len(cells) >= 6 and single >= 0.8 * len(cells):
                line = " ".join(cells)  # "brugte | sagsbehandlerne | ca. | 45 | %" is a sentence
            else:
                prose = _row_prose(cells, header)
                if prose is None:
                    if header is None and not all(_KEY_VALUE.match(c) for c in cells):
                        header = cells  # the first row of a table names its columns
                    continue
                if MIN_WORDS <= len(prose.split()) <= MAX_WORDS:
                    found.append(Unit(prose, line, len(found), row=True))
                continue
        else:
            header = None
        for sentence in split_sentences(line):
            said = strip_label(sentence)
            bullet = bool(_BULLET.match(sentence.strip()))
            if not said or said[-1:] == ":" or (not bullet and _is_heading(said)):
                continue
            if said[-1:] not in _END and not bullet:
                continue  # a long line without a closing mark is table debris, not a sentence
            if not MIN_WORDS <= len(said.split()) <= MAX_WORDS:
                continue
            quote = sentence.strip()
            quote = quote[quote.index(said[:20]) :] if said[:20] in quote else quote
            found.append(Unit(said[0].upper() + said[1:], quote, len(found)))
    return found
