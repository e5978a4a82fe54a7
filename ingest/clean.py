"""Cleaning parsed blocks: running headers/footers, page numbers, TOC leaders, hyphens and whitespace."""

from __future__ import annotations

import math
import re
from collections import defaultdict

from core.types import Block

ZONE_LINES = 2  # lines at the top and at the bottom of a page where running headers/footers live

_PAGE_NUMBER_ANYWHERE = re.compile(r"^(?:side|page|s\.)\s*\d{1,4}(?:\s*(?:af|of|/|ud af)\s*\d{1,4})?$", re.I)
_PAGE_NUMBER_IN_ZONE = re.compile(
    r"^(?:[-–—]\s*\d{1,4}\s*[-–—]|\d{1,4}\s*(?:/|af|of)\s*\d{1,4}|\d{1,4}|\[\d{1,4}\])$"
)
_TOC_LEADER = re.compile(r"(?:\.{3,}|…{2,}|(?:\.\s){3,}|_{4,}|·{3,})\s*\d{1,4}\s*$")
_TOC_TITLES = {"indholdsfortegnelse", "indhold", "indholdsfortegnelse:", "indhold:"}
_CONJUNCTIONS = r"(?:og|eller|samt|til|som|men|hhv|henholdsvis)"
# "familie-\nbehandling" -> "familiebehandling"; "børne-\nog unge" keeps its hyphen.
_HYPHEN_LOWER = re.compile(rf"(?<=[^\W\d_])-[ \t]*\n[ \t]*(?!{_CONJUNCTIONS}\b)(?=[a-zæøåäöü])")
_HYPHEN_OTHER = re.compile(r"(?<=\w)-[ \t]*\n[ \t]*(?=[A-ZÆØÅ0-9])")
_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_ITEM_START = re.compile(r"^(?:•|\(?\d{1,2}[.)]|\(?[a-zæøå][.)])\s")


def _key(line: str) -> str:
    """Normalised form for comparing running headers: case, digits and spacing do not matter."""
    return re.sub(r"\s+", " ", re.sub(r"\d+", "#", line.lower())).strip()


def normalise_chars(text: str) -> str:
    """Ligatures to letters, invisible characters removed, non-breaking spaces to spaces."""
    return _INVISIBLE.sub("", text.translate(_LIGATURES)).replace("\xa0", " ")


def join_lines(text: str) -> str:
    """Undo line-break hyphenation, then collapse all whitespace to single spaces."""
    text = _HYPHEN_LOWER.sub("", text)
    text = _HYPHEN_OTHER.sub("-", text)
    return " ".join(text.split())


def _zone_positions(lines_by_block: list[list[str]], blocks: list[Block]) -> set[tuple[int, int]]:
    """(block index, line index) of the first and last ZONE_LINES non-empty lines of every page."""
    per_page: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for bi, lines in enumerate(lines_by_block):
        for li, line in enumerate(lines):
            if line.strip():
                per_page[blocks[bi].page].append((bi, li))
    zone: set[tuple[int, int]] = set()
    for positions in per_page.values():
        zone.update(positions[:ZONE_LINES])
        zone.update(positions[-ZONE_LINES:])
    return zone


def _counts_as_running(line: str, page: int) -> bool:
    """May this line match other pages' lines with different digits? Page-number lines and short labels."""
    numbers = {int(n) for n in re.findall(r"\d{1,4}", line)}
    words = line.split()
    if line.rstrip().endswith("."):
        return False  # a sentence, not a running header
    return (page in numbers and len(words) <= 12) or len(words) <= 6


def _running_keys(
    lines_by_block: list[list[str]], blocks: list[Block], zone: set[tuple[int, int]]
) -> tuple[set[str], set[str]]:
    """(exact keys, digit-normalised keys) of lines repeated near the top/bottom of enough pages."""
    exact_pages: dict[str, set[int]] = defaultdict(set)
    digit_pages: dict[str, set[int]] = defaultdict(set)
    for bi, li in zone:
        line, page = lines_by_block[bi][li], blocks[bi].page
        exact = " ".join(line.lower().split())
        if exact:
            exact_pages[exact].add(page)
            if _counts_as_running(line, page):
                digit_pages[_key(line)].add(page)
    pages = {b.page for b, lines in zip(blocks, lines_by_block, strict=True) if any(x.strip() for x in lines)}
    if len(pages) < 2:
        return set(), set()
    needed = 2 if len(pages) == 2 else max(3, math.ceil(0.5 * len(pages)))
    return (
        {key for key, seen in exact_pages.items() if len(seen) >= needed},
        {key for key, seen in digit_pages.items() if len(seen) >= needed},
    )


def _rebuild(block: Block, lines: list[str]) -> str:
    lines = [x for x in lines if x.strip()]
    if block.kind == "table":
        return "\n".join(" ".join(x.split()) for x in lines)
    if block.kind == "list":
        items: list[str] = []
        for line in lines:
            if items and not _ITEM_START.match(line.strip()):
                items[-1] = items[-1] + "\n" + line
            else:
                items.append(line)
        return "\n".join(join_lines(item) for item in items)
    return join_lines("\n".join(lines))


def clean_blocks(blocks: list[Block], page_count: int) -> list[Block]:
    """Remove running headers/footers, page-number lines and TOC entries; fix hyphens and whitespace."""
    lines_by_block = [normalise_chars(b.text).split("\n") for b in blocks]
    zone = _zone_positions(lines_by_block, blocks) if page_count >= 2 else set()
    exact, by_digits = _running_keys(lines_by_block, blocks, zone) if zone else (set(), set())
    cleaned: list[Block] = []
    for bi, block in enumerate(blocks):
        kept: list[str] = []
        for li, raw in enumerate(lines_by_block[bi]):
            line = " ".join(raw.split())
            if not line:
                kept.append("")
                continue
            in_zone = (bi, li) in zone
            if in_zone and (line.lower() in exact or _key(line) in by_digits):
                continue
            if _PAGE_NUMBER_ANYWHERE.match(line) or (in_zone and _PAGE_NUMBER_IN_ZONE.match(line)):
                continue
            if _TOC_LEADER.search(line):
                continue
            kept.append(raw)
        text = _rebuild(block, kept)
        if not text or (block.kind == "heading" and text.lower() in _TOC_TITLES):
            continue
        cleaned.append(Block(text, block.page, block.kind, block.level))
    return cleaned
