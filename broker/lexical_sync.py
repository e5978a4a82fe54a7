"""Keep the Tantivy lexical index in step with SQLite: deltas, full rebuilds and the FTS5-era migration."""

from __future__ import annotations

import contextlib
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from core.types import Chunk, Document
from index.generations import commit_lexical, current_lexical
from index.lexical import LexicalDoc, lexical_path, write_generation
from index.lexicon import ANALYZER_KEY, ANALYZER_VERSION, LexicalRow, Lexicon, surface_words
from index.store import Store
from language.registry import municipalities

# Changes when the lexical index is rebuilt, so a running search engine reloads its vocabulary.
LEXICAL_STAMP_KEY = "lexical_rebuilt"
_BATCH = 1000


def lexical_text(doc: Document, chunk: Chunk) -> str:
    """What the lexical index sees: the chunk plus the words that locate it (title, section, municipality)."""
    return _lexical_text(doc.title, doc.municipality, chunk.section, chunk.text)


def _lexical_text(title: str, municipality: str, section: str, text: str) -> str:
    return " ".join((title, municipality, section, text))


def keep_whole() -> set[str]:
    """Words the compound splitter leaves whole: the municipalities' names ("frederikshavn", "ringkøbing")."""
    return {w for name in municipalities() for w in surface_words(name)}


def lexicon_for(store: Store, texts: Iterable[str] = ()) -> Lexicon:
    """The lexicon of the index as it is plus `texts` about to be added (their words count as known too)."""
    counts = Counter(store.vocabulary("words"))
    for text in texts:
        counts.update(surface_words(text))
    return Lexicon(counts, keep_whole=keep_whole())


def lexical_doc(chunk_id: int, doc: Document, row: LexicalRow) -> LexicalDoc:
    return LexicalDoc(
        chunk_id,
        row.terms,
        row.parts,
        doc.doc_id,
        doc.municipality,
        doc.region,
        doc.doc_type,
        doc.language,
        doc.year,
    )


def data_dir_of(store: Store) -> Path:
    return store.path.parent


def lexical_outdated(store: Store, data_dir: Path | None = None) -> bool:
    """True when the lexical index must be rebuilt from SQLite before it can take a delta: another analyzer
    built it, it is an FTS5-era index (no Tantivy generation yet), it keeps no vocabulary per visibility, or
    its committed directory is gone."""
    if store.get_meta(ANALYZER_KEY) != ANALYZER_VERSION or not store.has_vocabulary():
        return True
    generation = current_lexical(store)
    if generation == 0:
        return True
    return not (lexical_path(data_dir or data_dir_of(store), generation) / "meta.json").is_file()


def rebuild_lexical(store: Store, data_dir: Path | None = None) -> int:
    """Recompute every chunk's lexical entry from the stored text and document metadata, in one transaction.

    No re-parsing, no re-embedding: for a new analyzer version, an FTS5-era data directory, a lost Tantivy
    directory, or on request (`broker reindex --rebuild-lexical`). Writes the vocabulary and a new Tantivy
    generation and commits both with the transaction; joins a write transaction already open on `store`.
    Returns the number of chunks.
    """
    data_dir = data_dir or data_dir_of(store)
    with contextlib.nullcontext() if store.conn.in_transaction else store.write():
        migrating = current_lexical(store) == 0 and bool(store.fts_columns())
        store.reset_lexical()

        def texts() -> Iterator[tuple[tuple[Any, ...], str]]:  # streamed twice: the words, then the entries
            for row in store.lexical_sources():
                yield row, _lexical_text(row[1], row[2], row[3], row[4])

        lexicon = lexicon_for(store, (text for _, text in texts()))
        chunks = 0

        def entries() -> Iterator[LexicalDoc]:
            nonlocal chunks
            batch: list[tuple[int, tuple[str, str, str]]] = []
            for source, text in texts():
                cid, _title, municipality, _section, _text, doc_id, region, doc_type, language, year = source
                row = lexicon.row(text)
                batch.append((int(cid), row.values()))
                if len(batch) == _BATCH:
                    store.put_lexical(batch)
                    batch = []
                chunks += 1
                yield LexicalDoc(
                    int(cid),
                    row.terms,
                    row.parts,
                    str(doc_id),
                    str(municipality),
                    None if region is None else str(region),
                    str(doc_type),
                    str(language),
                    None if year is None else int(year),
                )
            store.put_lexical(batch)

        generation = current_lexical(store) + 1
        write_generation(data_dir, generation, add=entries())
        commit_lexical(store, generation)
        store.set_meta(ANALYZER_KEY, ANALYZER_VERSION)
        store.set_meta(LEXICAL_STAMP_KEY, f"{time.time():.6f}")
    if migrating:
        print(
            f"Ordindekset er flyttet fra SQLite FTS5 til Tantivy ({chunks} tekststykker); intet er indlejret igen.",
            file=sys.stderr,
        )
    return chunks


def publish_lexical(
    store: Store, data_dir: Path, removed: Sequence[int], added: Sequence[LexicalDoc] = ()
) -> int:
    """Write the chunk changes as a new Tantivy generation and record it; call inside the write transaction.

    The directory is complete (committed by Tantivy, synced) before the generation is recorded, so the SQLite
    commit that follows publishes SQLite and Tantivy together. Returns the generation."""
    base = current_lexical(store)
    generation = base + 1
    write_generation(data_dir, generation, base=base, remove=removed, add=added)
    commit_lexical(store, generation)
    return generation
