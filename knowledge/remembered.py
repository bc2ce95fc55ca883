"""A `VectorStore` that remembers what it read from the collection below it until the collection changes: record
metadata (up to `records` of them), searches, and the records a narrow clause matched (`knowledge/nearest.py`).
Warmed (`warm`), it holds every record and searches their vectors itself (`knowledge/exact.py`)."""

from __future__ import annotations

import builtins
import contextlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from knowledge.embedders.base import Vectors
from knowledge.exact import ExactIndex
from knowledge.labels import Labels
from knowledge.models import Entry
from knowledge.nearest import Meta, Nearest, RecentReads
from knowledge.records import ANCHOR, entry_of, labels_of, locale_platform, matches, matches_label, narrow_clause
from knowledge.store import RECORDS, EntryFilter, Hit, StoredEntry, VectorStore
from knowledge.watcher import ChangeWatcher, Rewarm

# Chroma's metadata filter reads every record a clause matches, and a query's filter matches most: so a query reads
# the nearest _SCAN records and filters them here, and leaves it to chroma only when too few of them pass.
_SCAN = 64
_SCAN_CHUNK = 16  # metadata read per step: most queries find their k entries in the first step


class Records(VectorStore, Protocol):
    """A `VectorStore` that also reads records, not entries (`ChromaCollection`)."""

    def nearest(self, query: Vectors, n: int) -> Nearest: ...

    def metadata(self, records: Sequence[str]) -> dict[str, Meta]: ...

    def matching(self, clause: dict[str, Any]) -> builtins.list[Meta]: ...

    def record_count(self) -> int: ...

    def read_records(
        self, total: int, *, vectors: bool,
    ) -> Iterator[tuple[builtins.list[str], builtins.list[Meta], npt.NDArray[np.float32] | None]]: ...


class Remembered:
    """Forgets everything around its own writes, and when `changes` sees another process's. With `exact`, `warm`
    also reads every record's vector, searched here instead of chroma until the collection changes, and `rewarm`
    warms it again after such a change. Not for a Chroma server that several workers write to: each would see
    another's new entries only once it noticed the change, where chroma's search sees them at once."""

    def __init__(self, source: Records, changes: ChangeWatcher, rewarm: Rewarm, *, records: int = RECORDS,
                 exact: bool = True) -> None:
        self._source, self._changes, self._rewarm = source, changes, rewarm
        self._recent = RecentReads()  # searches, and the records a narrow clause matched
        self._records = RecentReads(records)  # record id -> its metadata, the least recently used going first
        self._search_here = exact
        self._exact: tuple[int, ExactIndex[tuple[str, str]]] | None = None  # (the records' epoch when read, index)
        self._warmed = False  # `warm` found that the records fit: after a change it reads them again

    @property
    def epoch(self) -> int:
        return self._records.epoch

    @property
    def behind(self) -> bool:
        return self._warmed and self._search_here and not self._current()

    def _current(self) -> bool:
        exact = self._exact
        return exact is not None and exact[0] == self._records.epoch

    def warm(self) -> int:
        """Read every record's metadata (and, with `exact`, its vector) into memory, if they fit in what is
        remembered: drafts then read no metadata from chroma, and search the vectors here, until the collection
        changes. Returns the records read (0 when they do not fit)."""
        epoch = self._records.epoch
        records = self._source.record_count()
        self._warmed = records <= self._records.size
        if not self._warmed:
            self._exact = None
            return 0
        ids: list[str] = []
        labels: list[tuple[str, str]] = []
        vectors: npt.NDArray[np.float32] | None = None  # filled batch by batch, not gathered in a list first
        for got, metas, embedded in self._source.read_records(records, vectors=self._search_here):
            for record, meta in zip(got, metas, strict=True):  # a concurrent write makes `put` drop what is read
                self._records.put(record, meta, epoch)
            room = records - len(ids)  # records written since `record_count` wait for the next warm
            if embedded is not None:
                part = embedded[:room]
                if vectors is None:
                    vectors = np.empty((records, part.shape[1]), dtype=np.float32)
                vectors[len(ids):len(ids) + len(part)] = part
            labels.extend(locale_platform(meta) for meta in metas[:room])
            ids.extend(got[:room])
        if self._search_here and self._records.epoch == epoch:  # else a write came in between: warmed again later
            self._exact = (epoch, ExactIndex(ids, vectors[:len(ids)] if vectors is not None else [], labels))
        return len(ids)

    def forget(self) -> None:
        """Nothing read before now is used again."""
        self._recent.clear()
        self._records.clear()

    def _look(self) -> None:
        if self._changes.changed():
            self.forget()

    @contextlib.contextmanager
    def _changing(self) -> Iterator[None]:
        """Around a write: what was read before it is forgotten, before and after it, even when it fails."""
        self.forget()
        try:
            with self._changes.writing():
                yield
        finally:
            self.forget()

    def upsert(self, items: Sequence[StoredEntry]) -> None:
        if not items:
            return
        with self._changing():
            self._source.upsert(items)

    def delete(self, keys: Sequence[str]) -> None:
        if not keys:
            return
        with self._changing():
            self._source.delete(keys)

    def fingerprints(self, keys: Sequence[str]) -> dict[str, tuple[str, str]]:
        return self._source.fingerprints(keys)

    def vectors(self, keys: Sequence[str]) -> builtins.list[tuple[str, str, builtins.list[float]]]:
        return self._source.vectors(keys)

    def facet_vectors(self, flt: EntryFilter, facet: str) -> dict[str, builtins.list[float]]:
        return self._source.facet_vectors(flt, facet)

    def get(self, keys: Sequence[str]) -> builtins.list[Entry]:
        return self._source.get(keys)

    def labels(self, keys: Sequence[str]) -> dict[str, Labels]:
        return self._source.labels(keys)

    def count(self) -> int:
        return self._source.count()

    def keys(self, flt: EntryFilter) -> builtins.list[str]:
        """The records a narrow clause matched are remembered: every draft asks for the live announcements."""
        narrow = narrow_clause(flt)
        if narrow is None:
            return self._source.keys(flt)
        self._look()
        key = json.dumps(narrow, sort_keys=True)
        recent = self._recent.get(key)
        if recent is None:
            epoch = self._recent.epoch
            metas = self._source.matching(narrow)
            self._recent.put(key, metas, epoch)
        else:
            metas = recent[1]
        anchors = EntryFilter(**{**vars(flt), "facets": (ANCHOR,)})
        return [m["key"] for m in metas if matches(m, anchors)]

    def query(self, vector: Vectors, k: int, flt: EntryFilter) -> builtins.list[Hit]:
        """Top-k entries, each scored by its best facet: from the nearest records, read or remembered, when enough
        of them pass `flt`; else from chroma's filtered search."""
        if k <= 0:
            return []
        query = np.asarray(vector, dtype=np.float32).reshape(1, -1)
        if narrow_clause(flt) is None:
            self._look()
            scanned = self._scan(query, k, flt)
            if scanned is not None:
                return scanned
        return self._source.query(query, k, flt)

    def _scan(self, query: npt.NDArray[np.float32], k: int, flt: EntryFilter) -> builtins.list[Hit] | None:
        """The first k entries among the nearest `_SCAN` records that pass `flt`, closest first; None when fewer
        pass and the collection holds more records (chroma's filter must then look further)."""
        key = (query.tobytes(), flt.locale, flt.platform)  # the search in memory keeps to both
        recent = self._recent.get(key)
        if recent is None:
            epoch = self._recent.epoch
            nearest = self._nearest(query, flt)
        else:
            epoch, nearest = recent
        best: dict[str, Hit] = {}
        seen = 0
        while True:
            for meta, dist in zip(nearest.metas[seen:], nearest.distances[seen:], strict=False):
                if meta is None or meta["key"] in best or not matches(meta, flt):
                    continue
                best[meta["key"]] = Hit(entry=entry_of(meta), score=1.0 - float(dist), labels=labels_of(meta))
                if len(best) == k:
                    self._recent.put(key, nearest, epoch)
                    return list(best.values())
            seen = len(nearest.metas)
            if nearest.complete:
                break
            nearest = self._read(nearest)
        self._recent.put(key, nearest, epoch)
        return list(best.values()) if len(nearest.ids) < _SCAN else None

    def _nearest(self, query: npt.NDArray[np.float32], flt: EntryFilter) -> Nearest:
        """The nearest `_SCAN` records: from the vectors in memory while nothing has changed since they were read,
        only of the language and platforms `flt` lets through, else from chroma's search of every record (and the
        store is warmed again once the collection has been quiet a while)."""
        exact = self._exact
        if exact is not None and exact[0] == self._records.epoch:
            index = exact[1]
            among = None if not (flt.locale or flt.platform) else [
                label for label in index.labels if label is not None and matches_label(label, flt)]
            return index.nearest(query, _SCAN, among)
        if self.behind:
            self._rewarm.start(self)
        return self._source.nearest(query, _SCAN)

    def _read(self, nearest: Nearest) -> Nearest:
        """The metadata of the next records: as many as were read recently, in order, or else the next `_SCAN_CHUNK`
        (None for one deleted since the search), of which chroma reads only those not read recently."""
        start = len(nearest.metas)
        metas: list[Meta | None] = []
        for record in nearest.ids[start:]:
            recent = self._records.get(record)
            if recent is None:
                break
            metas.append(recent[1])
        if not metas:
            chunk = nearest.ids[start:start + _SCAN_CHUNK]
            found = {r: hit[1] for r in chunk if (hit := self._records.get(r)) is not None}
            missing = [r for r in chunk if r not in found]
            epoch = self._records.epoch
            for record, meta in self._source.metadata(missing).items():
                found[record] = meta
                self._records.put(record, meta, epoch)
            metas = [found.get(r) for r in chunk]
        return replace(nearest, metas=nearest.metas + tuple(metas))

