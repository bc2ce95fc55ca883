"""The vector store boundary: what is stored and found (`StoredEntry`, `Hit`, `EntryFilter`) and the `VectorStore`
protocol. Its implementation is layered: `knowledge/chroma.py` (Chroma), `knowledge/remembered.py` (what was read,
kept until the collection changes), `knowledge/watcher.py` (other processes' changes), put together by `ChromaStore`
in `knowledge/chroma_store.py`.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from knowledge.embedders.base import Vectors
from knowledge.labels import NO_LABELS, Labels
from knowledge.models import Entry

# Records whose metadata a store remembers until the collection changes, by default (~2.4 KB each: 20,480 records
# take ~48 MB; what it gains: docs/benchmarks-log.md).
RECORDS = 32_768


@dataclass(frozen=True)
class StoredEntry:
    entry: Entry
    content_hash: str
    text_hash: str
    vectors: dict[str, list[float]] = field(default_factory=dict)  # facet -> vector
    labels: Labels = NO_LABELS


@dataclass(frozen=True)
class Hit:
    entry: Entry
    score: float  # cosine similarity of the best-matching facet, higher is closer
    labels: Labels = NO_LABELS


@dataclass(frozen=True)
class EntryFilter:
    platform: str | None = None  # matches entries of this platform and of `any`
    locale: str | None = None
    kinds: tuple[str, ...] = ()
    source: str | None = None
    entry_id: str | None = None
    valid_at: datetime | None = None
    facets: tuple[str, ...] = ()  # match only these facets (e.g. `("a",)`: the passage alone)


class VectorStore(Protocol):
    def upsert(self, items: Sequence[StoredEntry]) -> None: ...

    def fingerprints(self, keys: Sequence[str]) -> dict[str, tuple[str, str]]:
        """(content_hash, text_hash) of the stored keys among `keys`."""
        ...

    def vectors(self, keys: Sequence[str]) -> builtins.list[tuple[str, str, builtins.list[float]]]:
        """(facet, embedded text, vector) of every stored facet of `keys`."""
        ...

    def keys(self, flt: EntryFilter) -> builtins.list[str]: ...

    def facet_vectors(self, flt: EntryFilter, facet: str) -> dict[str, builtins.list[float]]:
        """key -> the vector of its `facet` (e.g. `q`, the question), for every entry `flt` matches."""
        ...

    def get(self, keys: Sequence[str]) -> builtins.list[Entry]: ...

    def labels(self, keys: Sequence[str]) -> dict[str, Labels]:
        """The labels stored with each of `keys` (what it answers), for those stored."""
        ...

    def delete(self, keys: Sequence[str]) -> None: ...

    def query(self, vector: Vectors, k: int, flt: EntryFilter) -> builtins.list[Hit]: ...

    def count(self) -> int: ...
