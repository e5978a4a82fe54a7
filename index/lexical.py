"""The Tantivy lexical index: pre-analysed chunk tokens plus filter fields, one directory per generation."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import tantivy

from core.types import SearchFilters

MAX_QUERY_TERMS = 64  # distinct terms sent to the index; a pasted page of text is cut here
_DIR = re.compile(r"^lexical\.(\d+)$")
# Writer memory, taken as documents arrive (a small write stays small). Large enough that a rebuild of 1M
# chunks stays in one segment: 92-108 s in the benchmark against 129 s with 64 MB (six segments), and
# searched about 5 % faster (docs/benchmarks.md); at most this much more memory while a large write runs.
_HEAP = 1_000_000_000
_COPIED = (
    "meta.json",
    ".managed.json",
)  # rewritten by the writer: copied, never shared with the old generation


@dataclass(frozen=True)
class LexicalDoc:
    """One chunk as the lexical index holds it: its analysed tokens and the document fields filters read."""

    chunk_id: int
    terms: str  # the project's own analysis (index.lexicon), space separated; Tantivy only splits on spaces
    parts: str
    doc_id: str
    municipality: str
    region: str | None
    doc_type: str
    language: str
    year: int | None


def lexical_path(data_dir: Path, generation: int) -> Path:
    return data_dir / f"lexical.{generation}"


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("chunk_id", indexed=True, fast=True)
    # "whitespace" keeps every token as analysed (no lower-casing, no length cut): Danish analysis stays ours.
    builder.add_text_field("text", tokenizer_name="whitespace", index_option="position")
    for name in ("doc_id", "municipality", "region", "doc_type", "language"):
        builder.add_text_field(name, tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("year", indexed=True, fast=True)
    return builder.build()


SCHEMA = _schema()


def _document(doc: LexicalDoc) -> tantivy.Document:
    fields: dict[str, object] = {
        "chunk_id": doc.chunk_id,
        "text": combined(doc.terms, doc.parts),
        "doc_id": doc.doc_id,
        "municipality": doc.municipality,
        "doc_type": doc.doc_type,
        "language": doc.language,
    }
    if doc.region is not None:
        fields["region"] = doc.region
    if doc.year is not None:
        fields["year"] = int(doc.year)
    return tantivy.Document(**fields)


def combined(terms: str, parts: str) -> str:
    """A chunk's terms and compound parts as one field, every term written twice.

    So a part weighs half a word (PARTS_WEIGHT) in a term's frequency, and a term's document frequency counts
    chunks that have it as a word or as a part: the statistics FTS5's bm25 kept per row with column weights
    (1.0, 0.5). Measured against two separate fields (terms; parts boosted 0.5) on the query sets, lexical
    nDCG@10 0.809 / 0.830 (demo / held out) against 0.823 / 0.799: separate fields give a word rare as a
    word but common as a part a high idf of its own, and lose 0.03 on the held-out set. Doubled tokens keep
    phrases working: "a a b b" still has a next to b.
    """
    doubled = " ".join(f"{t} {t}" for t in terms.split())
    return f"{doubled} {parts}" if parts else doubled


def write_generation(
    data_dir: Path,
    generation: int,
    *,
    base: int = 0,
    remove: Iterable[int] = (),
    add: Iterable[LexicalDoc] = (),
) -> Path:
    """Write generation `generation`: generation `base`'s index (0: an empty one) with chunks removed and added.

    The new directory shares the base's immutable segment files by hard link, so a small change costs little
    and the base stays intact for readers. A directory left by an aborted write is replaced. Returns its path.
    """
    target = lexical_path(data_dir, generation)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    if base > 0:
        _share(lexical_path(data_dir, base), target)
    try:
        index = tantivy.Index(SCHEMA, path=str(target), reuse=base > 0)
        writer = index.writer(heap_size=_HEAP, num_threads=1)
    except ValueError as exc:
        raise RuntimeError(f"Tantivy: {exc}") from exc
    try:
        for chunk_id in remove:
            writer.delete_documents_by_term("chunk_id", int(chunk_id))
        for doc in add:
            writer.add_document(_document(doc))
        writer.commit()
        writer.wait_merging_threads()
    except BaseException as exc:
        with contextlib.suppress(Exception):
            writer.rollback()
        if isinstance(exc, ValueError):  # Tantivy's I/O errors (a full disk, say) arrive as ValueError
            raise RuntimeError(f"Tantivy: {exc}") from exc
        raise
    _sync_dir(target)
    return target


def _share(source: Path, target: Path) -> None:
    for path in source.iterdir():
        if path.name.startswith(".tantivy") or not path.is_file():  # lock files belong to their writer
            continue
        if path.name in _COPIED:
            shutil.copy2(path, target / path.name)
            continue
        try:
            os.link(path, target / path.name)
        except OSError:  # a file system without hard links
            shutil.copy2(path, target / path.name)


def _sync_dir(path: Path) -> None:
    """Make the new directory's entries durable before the generation is committed in SQLite."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_stale(data_dir: Path, current: int, keep: int = 2) -> None:
    """Delete old generations (keeping a few for readers still on them) and those of aborted writes."""
    for path in data_dir.glob("lexical.*"):
        match = _DIR.match(path.name)
        if match is None or not path.is_dir():
            continue
        generation = int(match.group(1))
        if generation <= current - keep or generation > current:
            shutil.rmtree(path, ignore_errors=True)


class LexicalIndex:
    """One committed generation opened for searching; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._index = tantivy.Index.open(str(path))
        self._searcher = self._index.searcher()

    @classmethod
    def load(cls, path: Path) -> LexicalIndex:
        if not (path / "meta.json").is_file():
            raise FileNotFoundError(f"no lexical index in {path}")
        return cls(path)

    def __len__(self) -> int:
        return int(self._searcher.num_docs)

    def chunk_shares(self, terms: Iterable[str]) -> dict[str, float]:
        """The share of chunks holding each term (as a word or a compound part), for what snippets leave
        unmarked; terms no chunk holds are left out. Known-word checks never come from here: the term
        dictionary holds the internal documents' words too (see `index.vocabulary`).

        Document frequencies count chunks deleted since the last merge, so a share can read a little high."""
        total = len(self)
        if total == 0:
            return {}
        shares: dict[str, float] = {}
        for term in dict.fromkeys(terms):
            if _usable(term):
                found = int(self._searcher.doc_freq("text", term))
                if found > 0:
                    shares[term] = min(found / total, 1.0)
        return shares

    def search(self, query: tantivy.Query | None, limit: int) -> list[tuple[int, float]]:
        """(chunk id, BM25 score) of the best `limit` chunks, best first; ties by chunk id."""
        if query is None or limit <= 0:
            return []
        hits = self._searcher.search(query, limit, count=False).hits
        if not hits:
            return []
        ids = self._searcher.fast_field_values("chunk_id", [address for _, address in hits])
        ranked = [(int(i), float(score)) for (score, _), i in zip(hits, ids, strict=True) if i is not None]
        ranked.sort(key=lambda item: (-item[1], item[0]))
        return ranked

    def ids(self) -> set[int]:
        """Every chunk id the index holds (deleted ones excluded), for the consistency check."""
        total = len(self)
        if total == 0:
            return set()
        hits = self._searcher.search(tantivy.Query.all_query(), total, count=False).hits
        values = self._searcher.fast_field_values("chunk_id", [address for _, address in hits])
        return {int(v) for v in values if v is not None}


def _usable(term: str) -> bool:
    return bool(term) and not any(ch.isspace() for ch in term) and "\x00" not in term


def _match(token: str, weight: float) -> tantivy.Query | None:
    """The clause for one query token (a term, or a phrase of terms joined by spaces) at `weight`."""
    words = [w for w in token.split() if _usable(w)]
    if not words:
        return None
    if len(words) > 1:  # a thesaurus phrase: its terms in order
        query = tantivy.Query.phrase_query(SCHEMA, "text", list[str | tuple[int, str]](words))
    else:
        query = tantivy.Query.term_query(SCHEMA, "text", words[0])
    return query if weight == 1.0 else tantivy.Query.boost_query(query, weight)


def build_query(
    terms: Sequence[str],
    *,
    expansions: dict[str, float] | None = None,
    filters: SearchFilters | None = None,
    exclude_doc_ids: Iterable[str] = (),
    max_terms: int = MAX_QUERY_TERMS,
) -> tantivy.Query | None:
    """The Tantivy query for a query plan; None when there is nothing to match.

    Every term is OR'd: the query's own terms at weight 1.0, `expansions` (compound parts, thesaurus, close
    words) at theirs, matched in the chunks' words and their compound parts (at PARTS_WEIGHT). The
    filters and the excluded documents are must-clauses scoring nothing, so they narrow inside the top-k
    search and never change a score. Terms are values, never parsed: no input can form query syntax.
    """
    own = [t for t in dict.fromkeys(terms) if _usable(t)][:max_terms]
    extra = {
        t: w for t, w in (expansions or {}).items() if w > 0 and t not in own and any(map(_usable, t.split()))
    }
    room = max(max_terms - len(own), 0)
    weighted = [(t, 1.0) for t in own] + sorted(extra.items(), key=lambda kv: (-kv[1], kv[0]))[:room]
    should = [(tantivy.Occur.Should, q) for q in (_match(t, w) for t, w in weighted) if q is not None]
    if not should:
        return None
    text = tantivy.Query.boolean_query(should)
    narrowing = filter_clauses(filters, exclude_doc_ids)
    if not narrowing:
        return text
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, text), *narrowing])


def filter_clauses(
    filters: SearchFilters | None, exclude_doc_ids: Iterable[str] = ()
) -> list[tuple[tantivy.Occur, tantivy.Query]]:
    """Must and must-not clauses for the filters (the same meaning as `index.store.filter_clause`).

    Internal documents are not a field of the index: a document's mark can change without its chunks
    changing, so the caller passes the internal doc ids from its own SQLite snapshot in `exclude_doc_ids`."""
    clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []

    def members(field: str, values: Sequence[str], occur: tantivy.Occur = tantivy.Occur.Must) -> None:
        query = tantivy.Query.term_set_query(SCHEMA, field, [str(v) for v in values])
        clauses.append((occur, tantivy.Query.const_score_query(query, 0.0)))

    excluded = sorted(set(exclude_doc_ids))
    if filters is not None:
        for name, values, negated in filters.memberships():
            members(name, values, tantivy.Occur.MustNot if negated else tantivy.Occur.Must)
        if filters.year_from is not None or filters.year_to is not None:
            years = tantivy.Query.range_query(
                SCHEMA, "year", tantivy.FieldType.Integer, filters.year_from, filters.year_to
            )
            clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(years, 0.0)))
    if excluded:
        members("doc_id", excluded, tantivy.Occur.MustNot)
    return clauses
