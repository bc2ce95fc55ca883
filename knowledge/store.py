"""The vector store boundary and its Chroma adapter (embedded PersistentClient or a Chroma server).

An entry is stored as one record per facet (`{key}#q`, `{key}#a`); the `a` record is the entry's anchor. A small
side collection (`{collection}.fp`) holds each entry's fingerprint again, under its key and nothing else, so that a
re-index reads 10,000 fingerprints in a fifth of the time it takes to read the anchors' metadata.
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from knowledge.embedders.base import Vectors
from knowledge.errors import EmbedderMismatchError, KnowledgeError, StoreUnavailableError
from knowledge.exact import ExactIndex
from knowledge.labels import NO_LABELS, Labels, parse_labels
from knowledge.models import Entry
from knowledge.nearest import Meta, Nearest, RecentReads

NO_START = 0.0
NO_END = 4_102_444_800.0  # 2100-01-01: an entry without valid_until never expires before this
ANCHOR = "a"
_BATCH = 1000
_FACETS_PER_HIT = 8  # an entry may match through several facets; fetch enough records for k distinct entries
# Chroma's metadata filter reads every record a clause matches: ~200 ms a query on 10,000 entries for the retrieval
# filter (locale, platform, validity), against ~4 ms for the nearest records unfiltered. So a query reads the
# nearest _SCAN records and filters them here, and leaves it to chroma only when too few of them pass.
_SCAN = 64
_SCAN_CHUNK = 16  # metadata read per step: most queries find their k entries in the first step
# Records whose metadata a store remembers until the collection changes, by default (~2.4 KB each: 20,480 records
# take ~48 MB). A warmed store (`warm`) reads no metadata for drafts on 10,000 entries: at 8 clients, 82-91
# requests/s against 58-67 when reads were kept 2 s, in three alternating pairs (docs/benchmarks-log.md).
RECORDS = 32_768
# How often a store looks whether another process (a second worker, the CLI) changed the collection: what it read
# before such a change may be used this long after it.
CHECK_S = 2.0
_GENERATION = "generation"  # the collection's metadata key every write changes
_FEW_KINDS = ("policy", "announcement", "template")  # FAQs are the bulk of a knowledge base; these are few
_T = TypeVar("_T")
_FINGERPRINTS = ".fp"  # the side collection's suffix: shop ids, which name collections too, never hold a '.'
# How wide the HNSW search is (chroma's default is 100). On the bench's 10,000 entries (20,480 records: product
# variants of shared answers, their vectors close together) a search at 100 missed the nearest record for 34 of 300
# dev messages, by up to 0.12 cosine (another answer), and 17 of them found no record of the asked locale among the
# nearest 64, so the filtered search (~100 ms) ran; at 800 it missed 1 (by 0.0002) and none fell back, and 300
# retrievals took 1.6 s instead of 3.5 s.
EF_SEARCH = 800


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


def open_chroma_client(data_dir: Path | None = None, host: str | None = None, port: int = 8000) -> Any:
    """An embedded client under `data_dir`, or an HTTP client when a server `host` is given."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if host:
            return chromadb.HttpClient(host=host, port=port, settings=settings)
        if data_dir is None:
            raise StoreUnavailableError("an embedded store needs a data directory")
        data_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(data_dir), settings=settings)
    except KnowledgeError:
        raise
    except Exception as exc:
        raise StoreUnavailableError(f"cannot open the Chroma store: {exc}") from exc


class ChromaStore:
    """One collection; the embedder's model id is recorded on it and checked on open."""

    def __init__(self, client: Any, collection: str, embedder_id: str, *, batch: int = _BATCH,
                 records: int = RECORDS, check_s: float = CHECK_S, rewarm_after_s: float = CHECK_S,
                 exact: bool = True, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._batch = batch  # records per call; chroma caps the size of one write
        self._client, self._name, self._embedder_id = client, collection, embedder_id
        self._recent = RecentReads()  # searches, and the records a narrow clause matched
        self._records = RecentReads(records)  # record id -> its metadata, the least recently used going first
        self._check_s, self._now = check_s, monotonic
        self._watch_lock = threading.Lock()
        # every record's vector, read by `warm` in the records' epoch; searched instead of chroma while that lasts.
        # Not for a Chroma server that several workers write to: each would see another's new entries only once it
        # noticed the change (`check_s`), where chroma's search sees them at once.
        self._search_here = exact
        self._exact: tuple[int, ExactIndex[tuple[str, str]]] | None = None
        self._warmed = False  # `warm` found that the records fit: after a change it reads them again
        self._rewarm_after_s = rewarm_after_s
        self._rewarming = threading.Lock()  # held by the one thread that waits to warm the store again
        try:
            self._col = client.get_or_create_collection(
                collection,
                embedding_function=None,  # never fall back to chroma's default model (it downloads)
                metadata={"embedder": embedder_id},
                configuration={"hnsw": {"space": "cosine", "ef_search": EF_SEARCH}},
            )
            hnsw = (self._col.configuration_json or {}).get("hnsw") or {}
            if hnsw.get("ef_search", EF_SEARCH) < EF_SEARCH:  # made by an older version: searched at chroma's 100
                self._col.modify(configuration={"hnsw": {"ef_search": EF_SEARCH}})
            self._fp = client.get_or_create_collection(
                f"{collection}{_FINGERPRINTS}", embedding_function=None, metadata={"fingerprints_of": collection},
            )
        except Exception as exc:
            raise StoreUnavailableError(f"cannot open collection {collection!r}: {exc}") from exc
        recorded = (self._col.metadata or {}).get("embedder")
        if recorded != embedder_id:
            raise EmbedderMismatchError(
                f"collection {collection!r} was built with embedder {recorded!r}, not {embedder_id!r}; "
                "use that embedder, or index into a new data directory or collection"
            )
        self._seen = (self._col.metadata or {}).get(_GENERATION)
        self._checked = self._now()

    def warm(self) -> int:
        """Read every record's metadata and vector into memory, if they fit in what is remembered (`records`):
        drafts then read no metadata from chroma, and search the vectors here (`ExactIndex`), until the collection
        changes; a while after it last changed, a thread of the store's own warms it again. Returns the records
        read (0 when they do not fit)."""
        epoch = self._records.epoch
        records = self._call(self._col.count)
        self._warmed = records <= self._records.size
        if not self._warmed:
            self._exact = None
            return 0
        ids: list[str] = []
        labels: list[tuple[str, str]] = []
        vectors: npt.NDArray[np.float32] | None = None  # filled batch by batch, not gathered in a list first
        for offset in range(0, records, self._batch):  # a concurrent write makes `put` drop what is read
            got = self._call(self._col.get, include=["metadatas", "embeddings"] if self._search_here else ["metadatas"],
                             limit=self._batch, offset=offset)
            for record, meta in zip(got["ids"], got["metadatas"], strict=True):
                self._records.put(record, meta, epoch)
            room = records - len(ids)  # records written since `count` wait for the next warm
            if self._search_here and len(got["ids"]):
                part = np.asarray(got["embeddings"], dtype=np.float32)[:room]
                if vectors is None:
                    vectors = np.empty((records, part.shape[1]), dtype=np.float32)
                vectors[len(ids):len(ids) + len(part)] = part
            labels.extend(_label(meta) for meta in got["metadatas"][:room])
            ids.extend(got["ids"][:room])
        if self._search_here and self._records.epoch == epoch:  # else a write came in between: warmed again later
            self._exact = (epoch, ExactIndex(ids, vectors[:len(ids)] if vectors is not None else [], labels))
        return len(ids)

    def _nearest(self, query: Vectors, flt: EntryFilter) -> Nearest:
        """The nearest `_SCAN` records: from the vectors in memory while nothing has changed since they were read,
        only of the language and platforms `flt` lets through, else from chroma's search of every record (and the
        store is warmed again once the collection has been quiet a while)."""
        exact = self._exact
        if exact is not None and exact[0] == self._records.epoch:
            index = exact[1]
            among = None if not (flt.locale or flt.platform) else [
                label for label in index.labels if label is not None and _matches_label(label, flt)]
            return index.nearest(query, _SCAN, among)
        if self._warmed and self._search_here and self._rewarming.acquire(blocking=False):
            threading.Thread(target=self._rewarm, name="draftdesk-rewarm", daemon=True).start()
        got = self._call(self._col.query, query_embeddings=query, n_results=_SCAN, include=["distances"])
        return Nearest(tuple(got["ids"][0]), tuple(got["distances"][0]))

    def _rewarm(self) -> None:
        """Warm the store again once no write has come for `rewarm_after_s` (an upload writes in many calls)."""
        try:
            while True:
                epoch = self._records.epoch
                time.sleep(self._rewarm_after_s)
                if self._records.epoch == epoch:
                    self.warm()
                if not self._warmed:
                    return  # the records no longer fit in memory: chroma searches them from now on
                if self._exact is not None and self._exact[0] == self._records.epoch:
                    return
        except KnowledgeError:
            pass  # the store is unreachable: chroma's search says so to the next draft, which tries again
        finally:
            self._rewarming.release()

    def _watch(self) -> None:
        """Forget what was read if another process changed the collection: its writes change the collection's
        generation (`_changing`). Looked at once every `check_s` by whichever caller comes first."""
        now = self._now()
        if now - self._checked < self._check_s or not self._watch_lock.acquire(blocking=False):
            return
        try:
            self._checked = now
            col = self._call(self._client.get_collection, name=self._name)
            generation = (col.metadata or {}).get(_GENERATION)
            if generation != self._seen:
                self._seen = generation
                self._forget()
        finally:
            self._watch_lock.release()

    @contextlib.contextmanager
    def _changing(self) -> Iterator[None]:
        """Around a write: the collection's generation changes before and after it (other stores forget what they
        read, within `check_s`), and what this store read before it is forgotten, even when the write fails."""
        self._forget()
        self._new_generation()
        try:
            yield
        except BaseException:
            self._forget()
            with contextlib.suppress(KnowledgeError):  # the write's own error says more
                self._new_generation()
            raise
        self._new_generation()
        self._forget()

    def _new_generation(self) -> None:
        generation = uuid.uuid4().hex
        # `modify` replaces the whole metadata: the embedder goes with it (it was checked equal on open)
        self._call(self._col.modify, metadata={"embedder": self._embedder_id, _GENERATION: generation})
        self._seen = generation

    def upsert(self, items: Sequence[StoredEntry]) -> None:
        """Drop the entries' side fingerprints, write each entry's other facets, drop the facets it no longer has
        (e.g. a removed example), write its anchor, then its side fingerprint. The anchor holds the fingerprint
        too, and the side one is only read where it exists, so an entry interrupted half-way still looks new or
        changed and is rewritten on the next run; it never passes for complete."""
        if not items:
            return
        with self._changing():
            self._upsert(items)

    def _upsert(self, items: Sequence[StoredEntry]) -> None:
        keys = [item.entry.key for item in items]
        for chunk in self._chunks(keys):
            self._call(self._fp.delete, ids=chunk)
        rows = [(item, facet, vec) for item in items for facet, vec in sorted(item.vectors.items())]
        self._write([row for row in rows if row[1] != ANCHOR])
        current = {_record_id(item.entry.key, facet) for item, facet, _ in rows}
        for chunk in self._chunks(keys):
            got = self._call(self._col.get, where={"key": {"$in": chunk}}, include=[])
            stale = [i for i in got["ids"] if i not in current]
            if stale:
                self._call(self._col.delete, ids=stale)
        self._write([row for row in rows if row[1] == ANCHOR])
        for part in self._chunks(items):
            self._call(
                self._fp.upsert, ids=[item.entry.key for item in part],
                embeddings=np.ones((len(part), 1), dtype=np.float32),  # chroma wants a vector; nothing queries it
                metadatas=[{"content_hash": item.content_hash, "text_hash": item.text_hash} for item in part],
            )

    def _write(self, rows: Sequence[tuple[StoredEntry, str, builtins.list[float]]]) -> None:
        for chunk in self._chunks(rows):
            self._call(
                self._col.upsert,
                ids=[_record_id(item.entry.key, facet) for item, facet, _ in chunk],
                embeddings=np.asarray([vec for _, _, vec in chunk], dtype=np.float32),
                documents=[item.entry.facets()[facet][1] for item, facet, _ in chunk],
                metadatas=[_metadata(item, facet) for item, facet, _ in chunk],
            )

    def fingerprints(self, keys: Sequence[str]) -> dict[str, tuple[str, str]]:
        """From the side collection; from the anchors for keys it lacks (an entry written by an older version, or
        interrupted after its anchor)."""
        found: dict[str, tuple[str, str]] = {}
        for chunk in self._chunks(keys):
            got = self._call(self._fp.get, ids=chunk, include=["metadatas"])
            found |= {k: (m["content_hash"], m["text_hash"]) for k, m in zip(got["ids"], got["metadatas"], strict=True)}
        rest = [k for k in keys if k not in found]
        for chunk in self._chunks(rest):
            got = self._anchors(chunk, ["metadatas"])
            found |= {m["key"]: (m["content_hash"], m["text_hash"]) for m in got["metadatas"]}
        return found

    def vectors(self, keys: Sequence[str]) -> builtins.list[tuple[str, str, builtins.list[float]]]:
        found: list[tuple[str, str, list[float]]] = []
        for chunk in self._chunks(keys):
            got = self._call(self._col.get, where={"key": {"$in": chunk}},
                             include=["metadatas", "documents", "embeddings"])
            for meta, doc, vec in zip(got["metadatas"], got["documents"], got["embeddings"], strict=True):
                found.append((meta["facet"], doc, [float(x) for x in vec]))
        return found

    def keys(self, flt: EntryFilter) -> builtins.list[str]:
        """With a clause few records pass (an id, or only kinds other than FAQs), chroma applies that clause alone
        and the rest is checked here: each further clause costs chroma a pass over every record it matches."""
        narrow = _narrow_clause(flt)
        if narrow is None:
            got = self._call(self._col.get, where=_where(flt, facet=ANCHOR), include=["metadatas"])
            return [m["key"] for m in got["metadatas"]]
        self._watch()
        key = json.dumps(narrow, sort_keys=True)
        recent = self._recent.get(key)
        if recent is None:
            epoch = self._recent.epoch
            metas = self._call(self._col.get, where=narrow, include=["metadatas"])["metadatas"]
            self._recent.put(key, metas, epoch)  # every draft asks for the live announcements
        else:
            metas = recent[1]
        anchors = EntryFilter(**{**vars(flt), "facets": (ANCHOR,)})
        return [m["key"] for m in metas if _matches(m, anchors)]

    def facet_vectors(self, flt: EntryFilter, facet: str) -> dict[str, builtins.list[float]]:
        got = self._call(self._col.get, where=_where(flt, facet=facet), include=["metadatas", "embeddings"])
        return {m["key"]: [float(x) for x in vec] for m, vec in zip(got["metadatas"], got["embeddings"], strict=True)}

    def get(self, keys: Sequence[str]) -> builtins.list[Entry]:
        got = self._anchors(keys, ["metadatas"])
        found = {m["key"]: _entry(m) for m in got["metadatas"]}
        return [found[k] for k in keys if k in found]

    def labels(self, keys: Sequence[str]) -> dict[str, Labels]:
        got = self._anchors(keys, ["metadatas"])
        return {m["key"]: _labels(m) for m in got["metadatas"]}

    def delete(self, keys: Sequence[str]) -> None:
        """Side fingerprints first: an entry whose deletion is interrupted is then found by its anchor."""
        if not keys:
            return
        with self._changing():
            for chunk in self._chunks(keys):
                self._call(self._fp.delete, ids=chunk)
                self._call(self._col.delete, where={"key": {"$in": chunk}})

    def query(self, vector: Vectors, k: int, flt: EntryFilter) -> builtins.list[Hit]:
        """Top-k entries, each scored by its best facet."""
        if k <= 0:
            return []
        query = np.asarray(vector, dtype=np.float32).reshape(1, -1)
        if _narrow_clause(flt) is None:
            self._watch()
            scanned = self._scan(query, k, flt)
            if scanned is not None:
                return scanned
        got = self._call(
            self._col.query, query_embeddings=query, n_results=k * _FACETS_PER_HIT, where=_where(flt),
            include=["metadatas", "distances"],
        )
        best: dict[str, Hit] = {}
        for meta, dist in zip(got["metadatas"][0], got["distances"][0], strict=True):
            if meta["key"] not in best:  # results come closest first
                best[meta["key"]] = Hit(entry=_entry(meta), score=1.0 - float(dist), labels=_labels(meta))
        return list(best.values())[:k]

    def _scan(self, query: Vectors, k: int, flt: EntryFilter) -> builtins.list[Hit] | None:
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
                if meta is None or meta["key"] in best or not _matches(meta, flt):
                    continue
                best[meta["key"]] = Hit(entry=_entry(meta), score=1.0 - float(dist), labels=_labels(meta))
                if len(best) == k:
                    self._recent.put(key, nearest, epoch)
                    return list(best.values())
            seen = len(nearest.metas)
            if nearest.complete:
                break
            nearest = self._read(nearest)
        self._recent.put(key, nearest, epoch)
        return list(best.values()) if len(nearest.ids) < _SCAN else None

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
            got = self._call(self._col.get, ids=missing, include=["metadatas"])
            for record, meta in zip(got["ids"], got["metadatas"], strict=True):
                found[record] = meta
                self._records.put(record, meta, epoch)
            metas = [found.get(r) for r in chunk]
        return replace(nearest, metas=nearest.metas + tuple(metas))

    def _forget(self) -> None:
        """Around a write: nothing read before it is used again."""
        self._recent.clear()
        self._records.clear()

    def count(self) -> int:
        """Entries, not records: one anchor record each (ids only; /readyz calls this)."""
        got = self._call(self._col.get, where={"facet": ANCHOR}, include=[])
        return len(got["ids"])

    def _chunks(self, items: Sequence[_T]) -> Iterator[builtins.list[_T]]:
        """`items` in lists of at most `batch`: chroma caps the size of one call."""
        for start in range(0, len(items), self._batch):
            yield list(items[start:start + self._batch])

    def _anchors(self, keys: Sequence[str], include: builtins.list[str]) -> Any:
        if not keys:
            return {"ids": [], "metadatas": []}
        return self._call(self._col.get, ids=[_record_id(k, ANCHOR) for k in keys], include=include)

    @staticmethod
    def _call(fn: Any, **kwargs: Any) -> Any:
        try:
            return fn(**kwargs)
        except KnowledgeError:
            raise
        except Exception as exc:  # chromadb raises its own errors, ValueError and transport errors
            raise StoreUnavailableError(f"vector store call failed: {exc}") from exc


def _record_id(key: str, facet: str) -> str:
    return f"{key}#{facet}"


def _metadata(item: StoredEntry, facet: str) -> dict[str, Any]:
    e = item.entry
    meta: dict[str, Any] = {
        "key": e.key, "facet": facet, "id": e.id, "kind": e.kind, "platform": e.platform, "locale": e.locale,
        "source": e.source,
        "valid_from_ts": e.valid_from.timestamp() if e.valid_from else NO_START,
        "valid_until_ts": e.valid_until.timestamp() if e.valid_until else NO_END,
        "entry": e.model_dump_json(),
        "labels": item.labels.to_json(),
    }
    if facet == ANCHOR:
        meta |= {"content_hash": item.content_hash, "text_hash": item.text_hash}
    return meta


def _entry(meta: dict[str, Any]) -> Entry:
    return _parsed(meta["entry"])


def _labels(meta: dict[str, Any]) -> Labels:
    return parse_labels(meta.get("labels"))


@functools.lru_cache(maxsize=4096)
def _parsed(entry_json: str) -> Entry:
    """Entries are immutable, and the same text always parses to the same one: a draft reads four or more."""
    return Entry.model_validate(json.loads(entry_json))


def _narrow_clause(flt: EntryFilter) -> dict[str, Any] | None:
    """A clause of `flt` that few records pass, for chroma to apply alone; None if it has none."""
    if flt.entry_id:
        return {"id": flt.entry_id}
    if flt.kinds and set(flt.kinds) <= set(_FEW_KINDS):
        return {"kind": {"$in": list(flt.kinds)}}
    return None


def _label(meta: Meta) -> tuple[str, str]:
    """What a search in memory may keep to: a record's language and platform."""
    return meta.get("locale", ""), meta.get("platform", "")


def _matches_label(label: tuple[str, str], flt: EntryFilter) -> bool:
    """Whether records of this language and platform can pass `flt` (as `_matches` checks both)."""
    locale, platform = label
    return (not flt.locale or locale == flt.locale) and (not flt.platform or platform in (flt.platform, "any"))


def _matches(meta: dict[str, Any], flt: EntryFilter) -> bool:
    """`_where(flt)`, checked on one record's metadata."""
    ts = flt.valid_at.timestamp() if flt.valid_at else None
    return _matches_label((meta["locale"], meta["platform"]), flt) and not (
        (flt.facets and meta["facet"] not in flt.facets)
        or (flt.kinds and meta["kind"] not in flt.kinds)
        or (flt.source and meta["source"] != flt.source)
        or (flt.entry_id and meta["id"] != flt.entry_id)
        or (ts is not None and not meta["valid_from_ts"] <= ts < meta["valid_until_ts"])
    )


def _where(flt: EntryFilter, facet: str | None = None) -> dict[str, Any] | None:
    clauses: list[dict[str, Any]] = []
    if facet:
        clauses.append({"facet": facet})
    elif flt.facets:
        clauses.append({"facet": {"$in": list(flt.facets)}})
    if flt.platform:
        clauses.append({"platform": {"$in": sorted({flt.platform, "any"})}})
    if flt.locale:
        clauses.append({"locale": flt.locale})
    if flt.kinds:
        clauses.append({"kind": {"$in": list(flt.kinds)}})
    if flt.source:
        clauses.append({"source": flt.source})
    if flt.entry_id:
        clauses.append({"id": flt.entry_id})
    if flt.valid_at:
        ts = flt.valid_at.timestamp()
        clauses += [{"valid_from_ts": {"$lte": ts}}, {"valid_until_ts": {"$gt": ts}}]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
