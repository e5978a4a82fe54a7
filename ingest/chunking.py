"""Structure-aware chunking: sections from headings, paragraphs packed to a target, hard word/token bounds."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from core.errors import BadFile
from core.types import Block, Chunk

HEADING_MAX_WORDS = 30  # a longer "heading" is body text that was styled as a heading
SECTION_SEPARATOR = " > "


# Abbreviations after which a period does not end a Danish sentence (lower-case, without the last period).
def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


ABBREVIATIONS = _word_set(
    "f.eks eks bl.a jf jvf stk nr ca pr evt inkl ekskl ift iht ifm vedr hhv pga p.g.a kl tlf mht fx bl "
    "ang ndf iflg max min gl nb ff pkt kap afs lit jan feb mar apr aug sep sept okt nov dec dr hr fr "
    "mag cand ph.d prof adm dir el o.l lign o.a sml bkg lbk bek ht resp årg vs ovf s st sk"
)
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*\s+")
_NEXT_STARTS_SENTENCE = re.compile(r"[A-ZÆØÅÄÖÜ0-9\"'“”«(§•–-]")


def default_count_tokens(text: str) -> int:
    """A cheap, conservative token estimate (about three characters a token)."""
    return len(text) // 3 + 1


def word_count(text: str) -> int:
    return len(text.split())


def split_sentences(text: str) -> list[str]:
    """Split Danish text into sentences, not after abbreviations ("f.eks.", "stk.", "jf.") or "§ 50.".

    A line break also ends a sentence (chunk text keeps headings, list items and table rows on lines).
    """
    if "\n" in text:
        return [s for line in text.split("\n") for s in _split_line(line)]
    return _split_line(text)


def _split_line(text: str) -> list[str]:
    sentences: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        end = m.end()
        if end >= len(text) or not _NEXT_STARTS_SENTENCE.match(text[end]):
            continue
        stop = m.start() + 1
        word_start = max(text.rfind(" ", start, stop), text.rfind("\n", start, stop)) + 1
        word = text[max(word_start, start) : stop].lower().lstrip("(\"'“").rstrip(".")
        if word in ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
            continue
        if word.isdigit() and re.search(r"§\s*\d+\s*\.?$", text[max(start, stop - 12) : stop]):
            continue  # "§ 50. Stk. 2" is one citation
        sentences.append(text[start : m.end()].strip())
        start = end
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


@dataclass
class _Draft:
    """A chunk being built: heading lines, carried overlap sentences, and parts (each a run of pieces)."""

    section: str
    headings: list[str] = field(default_factory=list)
    overlap: list[str] = field(default_factory=list)
    parts: list[list[str]] = field(default_factory=list)
    pages: set[int] = field(default_factory=set)
    open_part: bool = False  # the last part is a paragraph still taking sentences

    def render(self) -> str:
        return _render(self.headings, self.overlap, self.parts)

    def body_words(self) -> int:
        return sum(word_count(a) for p in self.parts for a in p) + sum(word_count(s) for s in self.overlap)


def _render(headings: list[str], overlap: list[str], parts: list[list[str]]) -> str:
    lines = list(headings)
    if overlap:
        lines.append(" ".join(overlap))
    lines.extend(" ".join(p) for p in parts)
    return "\n".join(lines)


_CALIBRATION_TEXT = (
    "Familiebehandling efter servicelovens § 52, stk. 3, nr. 3, gives til familier med børn og unge i "
    "alderen 0-18 år. Sagsbehandleren følger op hver 3. måned, jf. § 70. I 2019 var sagstallet 32 børn pr. "
    "rådgiver (DS), og 95 % af kommunerne havde en fremskudt indsats på skoler og i dagtilbud. Børne- og "
    "Ungeudvalget i Hjørring Kommune godkendte den 30. april 2019 kvalitetsstandarden for aflastning."
)
_CALIBRATION_MARGIN = 1.1
_calibrations: dict[tuple[int, int], tuple[int, float]] = {}


def _calibrate(count_tokens: Callable[[str], int]) -> tuple[int, float]:
    """(fixed tokens per count, cautious tokens per character) for a tokenizer, measured once."""
    owner = getattr(count_tokens, "__self__", None)
    key = (id(owner), id(getattr(count_tokens, "__func__", count_tokens)))
    found = _calibrations.get(key)
    if found is None:
        text = _CALIBRATION_TEXT
        whole = count_tokens(text)
        overhead = max(0, 2 * whole - count_tokens(text + " " + text))
        per_char = max(whole - overhead, 1) / len(text) * _CALIBRATION_MARGIN
        if len(_calibrations) > 64:
            _calibrations.clear()
        found = _calibrations[key] = (overhead, per_char)
    return found


class _Packer:
    """Greedy packing of blocks into drafts under the word and token bounds.

    A real tokenizer is expensive, so while packing, a chunk's tokens are estimated from its length with
    a cautious tokens-per-character rate measured once for that tokenizer (see _calibrate). chunk_blocks
    then counts every finished chunk for real and re-packs, counting exactly, any chunk that is over.
    """

    def __init__(
        self,
        target_words: int,
        max_words: int,
        overlap_words: int,
        max_tokens: int,
        count_tokens: Callable[[str], int] | None,
        *,
        exact: bool = False,
    ) -> None:
        self.target = target_words
        self.max_words = max_words
        self.overlap_words = overlap_words
        self.max_tokens = max_tokens
        self.count_tokens = count_tokens or default_count_tokens
        self.rate: tuple[int, float] | None = None  # (tokens every count carries, tokens per character)
        if count_tokens is not None and not exact:
            self.rate = _calibrate(count_tokens)
        self.done: list[_Draft] = []
        self.max_chunks: int | None = None  # refuse the document past this many (checked as they are made)
        self.stack: list[tuple[int, str]] = []
        self.draft = _Draft(section="")

    def fits(self, headings: list[str], overlap: list[str], parts: list[list[str]]) -> bool:
        atoms = [*headings, *overlap, *(a for p in parts for a in p)]
        if sum(word_count(a) for a in atoms) > self.max_words:
            return False
        if self.rate is not None:
            overhead, per_char = self.rate
            length = sum(len(a) for a in atoms) + len(atoms)
            return overhead + math.ceil(length * per_char) <= self.max_tokens
        return self.count_tokens(_render(headings, overlap, parts)) <= self.max_tokens

    def section(self) -> str:
        return SECTION_SEPARATOR.join(text for _, text in self.stack)

    # -- emitting -----------------------------------------------------------------------------
    def flush(self, *, carry: bool) -> None:
        draft = self.draft
        if not draft.parts:
            return
        self.done.append(draft)
        if self.max_chunks is not None and len(self.done) > self.max_chunks:
            _too_many(self.max_chunks)
        overlap: list[str] = []
        if carry and self.overlap_words > 0 and draft.open_part:
            for sentence in reversed(split_sentences(" ".join(draft.parts[-1]))):
                if sum(word_count(s) for s in overlap) + word_count(sentence) > self.overlap_words:
                    break
                overlap.insert(0, sentence)
            if sum(word_count(s) for s in overlap) >= draft.body_words():
                overlap = []
        pages = {max(draft.pages)} if overlap and draft.pages else set()
        self.draft = _Draft(section=draft.section, overlap=overlap, pages=pages)

    def merge_small_tail(self) -> None:
        """Fold a very small last chunk of a section into the previous chunk of the same section."""
        if len(self.done) < 2:
            return
        prev, last = self.done[-2], self.done[-1]
        small = max(20, self.target // 4)
        last_words = sum(word_count(a) for p in last.parts for a in p)
        if prev.section != last.section or last_words >= small or last.headings:
            return
        if self.fits(prev.headings, prev.overlap, prev.parts + last.parts):
            prev.parts.extend(last.parts)
            prev.pages |= last.pages
            self.done.pop()

    def end_section(self) -> None:
        self.flush(carry=False)
        self.merge_small_tail()

    # -- adding -------------------------------------------------------------------------------
    def heading(self, block: Block) -> None:
        if self.draft.parts:
            self.end_section()
        level = block.level or 2
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, block.text))
        headings = [*self.draft.headings, block.text]
        while headings and not self.fits(headings, [], []):
            headings.pop(0)
        pages = self.draft.pages if self.draft.headings else set()
        self.draft = _Draft(section=self.section(), headings=headings, pages={*pages, block.page})

    def _try(self, piece: str, *, join: bool, respect_target: bool = True) -> bool:
        draft = self.draft
        if respect_target and draft.parts and draft.body_words() + word_count(piece) > self.target:
            return False
        if join and draft.open_part and draft.parts:
            parts = [*draft.parts[:-1], [*draft.parts[-1], piece]]
        else:
            parts = [*draft.parts, [piece]]
        if not self.fits(draft.headings, draft.overlap, parts):
            return False
        draft.parts = parts
        return True

    def _add_fresh(self, piece: str) -> bool:
        """Flush the current chunk (carrying an overlap) and put the piece in the next one."""
        self.flush(carry=True)
        if self._try(piece, join=False):
            return True
        if self.draft.overlap:
            self.draft.overlap = []
            return self._try(piece, join=False)
        return False

    def place(self, piece: str, page: int, *, join: bool, open_part: bool) -> None:
        """Put a piece into the current chunk, else a fresh one; split it on words when it cannot fit."""
        if not self._try(piece, join=join) and not self._add_fresh(piece):
            self._place_words(piece, page)
            return
        self.draft.pages.add(page)
        self.draft.open_part = open_part

    def _place_words(self, piece: str, page: int) -> None:
        words = piece.split()
        while words:
            fit = self._longest_prefix(words)
            if fit == 0:
                if self.draft.parts:
                    self.flush(carry=False)
                    continue
                if self.draft.overlap or self.draft.headings:
                    self.draft.overlap, self.draft.headings = [], []
                    continue
                words[0:1] = self._cut_word(words[0])  # one 'word' beyond the bounds: cut by characters
                fit = 1
            self._try(" ".join(words[:fit]), join=False, respect_target=False)
            self.draft.pages.add(page)
            self.draft.open_part = True
            words = words[fit:]
            if words:
                self.flush(carry=False)

    def _longest_prefix(self, words: list[str]) -> int:
        draft = self.draft
        low, high = 0, min(len(words), self.max_words)
        while low < high:
            mid = (low + high + 1) // 2
            if self.fits(draft.headings, draft.overlap, [*draft.parts, [" ".join(words[:mid])]]):
                low = mid
            else:
                high = mid - 1
        return low

    def _cut_word(self, word: str) -> list[str]:
        size = max(1, len(word) // 2)
        while size > 1 and not self.fits([], [], [[word[:size]]]):
            size //= 2
        return [word[i : i + size] for i in range(0, len(word), size)]

    def content(self, block: Block) -> None:
        text = block.text.strip()
        if not text:
            return
        open_part = block.kind == "paragraph"
        alone = self.fits([], [], [[text]])
        if self._try(text, join=False) or (alone and self._add_fresh(text)):
            self.draft.pages.add(block.page)
            self.draft.open_part = open_part
            return
        if block.kind in ("table", "list"):
            units, join = [line for line in text.split("\n") if line.strip()], False
        else:
            units, join = split_sentences(" ".join(text.split())), True
        for i, unit in enumerate(units):
            self.place(unit, block.page, join=join and i > 0, open_part=open_part)

    def finish(self) -> list[_Draft]:
        if self.draft.parts:
            self.end_section()
        elif self.draft.headings and not self.done:
            self.done.append(self.draft)
        return self.done


def _too_many(max_chunks: int) -> None:
    raise BadFile(
        f"Dokumentet er for langt til at blive indekseret: det giver over {max_chunks} tekststykker "
        "(grænsen sættes med BROKER_MAX_CHUNKS_PER_DOCUMENT). Del det op i mindre filer.",
        code="too_many_chunks",
    )


def chunk_blocks(
    blocks: list[Block],
    *,
    target_words: int = 220,
    max_words: int = 300,
    overlap_words: int = 30,
    max_tokens: int = 480,
    count_tokens: Callable[[str], int] | None = None,
    max_chunks: int | None = None,
) -> list[Chunk]:
    """Split blocks into chunks: a heading starts a chunk and a section; every chunk stays within
    max_words words and max_tokens tokens (count_tokens, or about three characters a token).

    Past max_chunks chunks the document is refused (BadFile "too_many_chunks"), as soon as the count is
    passed, so a huge text costs no more than the cap's worth of work."""
    if max_words < 1 or max_tokens < 1:
        raise ValueError("max_words and max_tokens must be positive")
    packer = _Packer(
        target_words=min(target_words, max_words),
        max_words=max_words,
        overlap_words=max(0, overlap_words),
        max_tokens=max_tokens,
        count_tokens=count_tokens,
    )
    packer.max_chunks = max_chunks
    for block in blocks:
        if block.kind == "heading" and 0 < word_count(block.text) <= HEADING_MAX_WORDS:
            packer.heading(block)
        else:
            packer.content(block)
    texts: list[tuple[str, _Draft]] = []
    for draft in packer.finish():
        text = draft.render()
        if count_tokens is not None and count_tokens(text) > max_tokens:
            # The estimate was wrong for this tokenizer: pack this chunk's lines again, counting exactly.
            exact = _Packer(target_words, max_words, 0, max_tokens, count_tokens, exact=True)
            for line in text.split("\n"):
                exact.content(Block(line, min(draft.pages or {1})))
            texts += [(d.render(), _Draft(draft.section, pages=draft.pages)) for d in exact.finish()]
        elif text.strip():
            texts.append((text, draft))
    if max_chunks is not None and len(texts) > max_chunks:
        _too_many(max_chunks)
    chunks: list[Chunk] = []
    for text, draft in texts:
        pages = sorted(draft.pages) or [1]
        chunks.append(
            Chunk(
                ord=len(chunks),
                text=text,
                page_start=pages[0],
                page_end=pages[-1],
                section=draft.section,
                text_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            )
        )
    return chunks
