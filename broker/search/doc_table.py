"""Each chunk's document and each document's facet fields, held in memory so facets read no rows."""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from index.store import Store

_NO_YEAR = 0


@dataclass(frozen=True)
class DocFields:
    """What facets count of a document (broker.search.facets.Described)."""

    doc_id: str
    municipality: str
    region: str | None
    doc_type: str
    year: int | None


class DocTable:
    """Chunk id -> document and its facet fields, for one state of the index.

    Chunks change only in the write transaction that commits a new vector or lexical generation, and a
    document's municipality or region only where its lexical index is rebuilt with it (broker/web_sources.py),
    so a table is exact for the index state it was read in (`key`: see `Loaded`). Columns of numbers, not an
    object per chunk or per document: at 3M chunks the chunk columns take 36 MB, and chunk ids may have gaps."""

    def __init__(
        self,
        key: tuple[object, ...],
        chunks: tuple[np.ndarray, np.ndarray],
        doc_ids: list[str],
        fields: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
        values: list[str | None],
    ) -> None:
        self.key = key
        self._ids, self._docs = chunks  # sorted chunk ids; each one's document (an index into doc_ids)
        self._doc_ids = doc_ids
        # Per document: municipality, region and type as indexes into `values`, and the year (0: none).
        self._municipality, self._region, self._type, self._year = fields
        self._values = values

    @classmethod
    def read(cls, store: Store, key: tuple[object, ...]) -> DocTable:
        """Read the table from the store; call inside the snapshot that `key` was taken in."""
        values: dict[str | None, int] = {}
        doc_ids: list[str] = []
        columns = [array("i") for _ in range(4)]  # municipality, region, type (coded), year
        # Row by row into columns, never a list of rows: a national index has hundreds of thousands of
        # documents, and a row's tuple and strings weigh ten times its numbers.
        for doc_id, municipality, region, doc_type, year in store.facet_fields():
            doc_ids.append(doc_id)
            columns[0].append(values.setdefault(municipality, len(values)))
            columns[1].append(values.setdefault(region, len(values)))
            columns[2].append(values.setdefault(doc_type, len(values)))
            columns[3].append(_NO_YEAR if year is None else year)
        position = {doc_id: i for i, doc_id in enumerate(doc_ids)}
        owners, counts, joined = array("i"), array("i"), []
        for doc_id, ids_text in store.chunk_ids_by_document():
            owners.append(position[doc_id])
            counts.append(ids_text.count(",") + 1)
            joined.append(ids_text)
        del position
        text = ",".join(joined)
        del joined
        # Parsed in C: a list of millions of strings first would be the read's peak.
        ids = np.fromstring(text, dtype=np.int64, sep=",") if text else np.zeros(0, dtype=np.int64)
        docs = np.repeat(np.frombuffer(owners, dtype=np.int32), np.frombuffer(counts, dtype=np.int32))
        order = np.argsort(ids, kind="stable")
        coded = [np.frombuffer(column, dtype=np.int32) for column in columns]
        fields = (coded[0], coded[1], coded[2], coded[3])
        return cls(key, (ids[order], docs[order]), doc_ids, fields, list(values))

    def __len__(self) -> int:
        return len(self._ids)

    def _documents(self, chunk_ids: Iterable[int]) -> tuple[list[int], np.ndarray]:
        """The chunks the table knows, and each one's document; others are left out, as the store does."""
        wanted = np.fromiter(chunk_ids, dtype=np.int64)
        if len(wanted) == 0 or len(self._ids) == 0:
            return [], np.zeros(0, dtype=np.int32)
        at = np.minimum(np.searchsorted(self._ids, wanted), len(self._ids) - 1)
        known = self._ids[at] == wanted
        return wanted[known].tolist(), self._docs[at[known]]

    def rows(self, chunk_ids: Iterable[int]) -> dict[int, DocFields]:
        """The document fields of each chunk the table knows."""
        found, docs = self._documents(chunk_ids)
        values, doc_ids = self._values, self._doc_ids
        columns = zip(
            docs.tolist(),
            self._municipality[docs].tolist(),
            self._region[docs].tolist(),
            self._type[docs].tolist(),
            self._year[docs].tolist(),
            strict=True,
        )
        return {
            chunk_id: DocFields(
                doc_ids[doc],
                values[municipality] or "",
                values[region],
                values[doc_type] or "",
                year if year != _NO_YEAR else None,
            )
            for chunk_id, (doc, municipality, region, doc_type, year) in zip(found, columns, strict=True)
        }

    def doc_ids_of(self, chunk_ids: Iterable[int]) -> dict[int, str]:
        found, docs = self._documents(chunk_ids)
        return {chunk_id: self._doc_ids[doc] for chunk_id, doc in zip(found, docs.tolist(), strict=True)}
