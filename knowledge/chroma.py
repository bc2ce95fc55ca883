"""The Chroma adapter: one collection of records (`knowledge/records.py`), embedded (PersistentClient) or on a server.

A small side collection (`{collection}.fp`) holds each entry's fingerprint again, under its key and nothing else, so
that a re-index reads 10,000 fingerprints in a fifth of the time it takes to read the anchors' metadata.
"""

from __future__ import annotations

import builtins
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from knowledge.embedders.base import Vectors
from knowledge.errors import EmbedderMismatchError, KnowledgeError, StoreUnavailableError
from knowledge.labels import Labels
from knowledge.models import Entry
from knowledge.nearest import Meta, Nearest
from knowledge.records import ANCHOR, entry_of, labels_of, matches, metadata, narrow_clause, record_id, where
from knowledge.store import EntryFilter, Hit, StoredEntry

BATCH = 1000
_FACETS_PER_HIT = 8  # an entry may match through several facets; fetch enough records for k distinct entries
_GENERATION = "generation"  # the collection's metadata key every write changes (`knowledge/watcher.py`)
_FINGERPRINTS = ".fp"  # the side collection's suffix: shop ids, which name collections too, never hold a '.'
_OPEN_ATTEMPTS = 5
EF_SEARCH = 800  # how wide the HNSW search is (chroma's default is 100): docs/knowledge.md, "How entries are found"
_T = TypeVar("_T")
RecordBatch = tuple[builtins.list[str], builtins.list[Meta], npt.NDArray[np.float32] | None]


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


class ChromaCollection:
    """One collection; the embedder's model id is recorded on it and checked on open. A `VectorStore` that reads
    chroma on every call, and the record-level reads the layers above it remember (`knowledge/remembered.py`)."""

    def __init__(self, client: Any, collection: str, embedder_id: str, *, batch: int = BATCH) -> None:
        self._batch = batch  # records per call; chroma caps the size of one write
        self._client, self._name, self._embedder_id = client, collection, embedder_id
        for attempt in range(_OPEN_ATTEMPTS):
            try:
                self._open(client, collection, embedder_id)
                break
            except Exception as exc:
                # an embedded store's SQLite is briefly locked while another client of it writes: wait and retry
                if "database is locked" in str(exc) and attempt + 1 < _OPEN_ATTEMPTS:
                    time.sleep(0.2 * (attempt + 1))
                    continue
                raise StoreUnavailableError(f"cannot open collection {collection!r}: {exc}") from exc
        recorded = (self.col.metadata or {}).get("embedder")
        if recorded != embedder_id:
            raise EmbedderMismatchError(
                f"collection {collection!r} was built with embedder {recorded!r}, not {embedder_id!r}; "
                "use that embedder, or index into a new data directory or collection"
            )
        self.opened_generation: str | None = (self.col.metadata or {}).get(_GENERATION)


    def _open(self, client: Any, collection: str, embedder_id: str) -> None:
        self.col = client.get_or_create_collection(
            collection,
            embedding_function=None,  # never fall back to chroma's default model (it downloads)
            metadata={"embedder": embedder_id},
            configuration={"hnsw": {"space": "cosine", "ef_search": EF_SEARCH}},
        )
        hnsw = (self.col.configuration_json or {}).get("hnsw") or {}
        if hnsw.get("ef_search", EF_SEARCH) < EF_SEARCH:  # made by an older version: searched at chroma's 100
            self.col.modify(configuration={"hnsw": {"ef_search": EF_SEARCH}})
        self.fp = client.get_or_create_collection(
            f"{collection}{_FINGERPRINTS}", embedding_function=None, metadata={"fingerprints_of": collection},
        )
    def generation(self) -> str | None:
        """The collection's generation as chroma holds it now (another process may have changed it)."""
        col = self._call(self._client.get_collection, name=self._name)
        generation: str | None = (col.metadata or {}).get(_GENERATION)
        return generation

    def new_generation(self) -> str:
        generation = uuid.uuid4().hex
        # `modify` replaces the whole metadata: the embedder goes with it (it was checked equal on open)
        self._call(self.col.modify, metadata={"embedder": self._embedder_id, _GENERATION: generation})
        return generation

    def upsert(self, items: Sequence[StoredEntry]) -> None:
        """Drop the entries' side fingerprints, write each entry's other facets, drop the facets it no longer has
        (e.g. a removed example), write its anchor, then its side fingerprint. The anchor holds the fingerprint
        too, and the side one is only read where it exists, so an entry interrupted half-way still looks new or
        changed and is rewritten on the next run; it never passes for complete."""
        keys = [item.entry.key for item in items]
        for chunk in self._chunks(keys):
            self._call(self.fp.delete, ids=chunk)
        rows = [(item, facet, vec) for item in items for facet, vec in sorted(item.vectors.items())]
        self._write([row for row in rows if row[1] != ANCHOR])
        current = {record_id(item.entry.key, facet) for item, facet, _ in rows}
        for chunk in self._chunks(keys):
            got = self._call(self.col.get, where={"key": {"$in": chunk}}, include=[])
            stale = [i for i in got["ids"] if i not in current]
            if stale:
                self._call(self.col.delete, ids=stale)
        self._write([row for row in rows if row[1] == ANCHOR])
        for part in self._chunks(items):
            self._call(
                self.fp.upsert, ids=[item.entry.key for item in part],
                embeddings=np.ones((len(part), 1), dtype=np.float32),  # chroma wants a vector; nothing queries it
                metadatas=[{"content_hash": item.content_hash, "text_hash": item.text_hash} for item in part],
            )

    def _write(self, rows: Sequence[tuple[StoredEntry, str, builtins.list[float]]]) -> None:
        for chunk in self._chunks(rows):
            self._call(
                self.col.upsert,
                ids=[record_id(item.entry.key, facet) for item, facet, _ in chunk],
                embeddings=np.asarray([vec for _, _, vec in chunk], dtype=np.float32),
                documents=[item.entry.facets()[facet][1] for item, facet, _ in chunk],
                metadatas=[metadata(item, facet) for item, facet, _ in chunk],
            )

    def fingerprints(self, keys: Sequence[str]) -> dict[str, tuple[str, str]]:
        """From the side collection; from the anchors for keys it lacks (an entry written by an older version, or
        interrupted after its anchor)."""
        found: dict[str, tuple[str, str]] = {}
        for chunk in self._chunks(keys):
            got = self._call(self.fp.get, ids=chunk, include=["metadatas"])
            found |= {k: (m["content_hash"], m["text_hash"]) for k, m in zip(got["ids"], got["metadatas"], strict=True)}
        rest = [k for k in keys if k not in found]
        for chunk in self._chunks(rest):
            got = self._anchors(chunk, ["metadatas"])
            found |= {m["key"]: (m["content_hash"], m["text_hash"]) for m in got["metadatas"]}
        return found

    def vectors(self, keys: Sequence[str]) -> builtins.list[tuple[str, str, builtins.list[float]]]:
        found: list[tuple[str, str, list[float]]] = []
        for chunk in self._chunks(keys):
            got = self._call(self.col.get, where={"key": {"$in": chunk}},
                             include=["metadatas", "documents", "embeddings"])
            for meta, doc, vec in zip(got["metadatas"], got["documents"], got["embeddings"], strict=True):
                found.append((meta["facet"], doc, [float(x) for x in vec]))
        return found

    def keys(self, flt: EntryFilter) -> builtins.list[str]:
        """With a clause few records pass (an id, or only kinds other than FAQs), chroma applies that clause alone
        and the rest is checked here: each further clause costs chroma a pass over every record it matches."""
        narrow = narrow_clause(flt)
        if narrow is None:
            got = self._call(self.col.get, where=where(flt, facet=ANCHOR), include=["metadatas"])
            return [m["key"] for m in got["metadatas"]]
        anchors = EntryFilter(**{**vars(flt), "facets": (ANCHOR,)})
        return [m["key"] for m in self.matching(narrow) if matches(m, anchors)]

    def facet_vectors(self, flt: EntryFilter, facet: str) -> dict[str, builtins.list[float]]:
        got = self._call(self.col.get, where=where(flt, facet=facet), include=["metadatas", "embeddings"])
        return {m["key"]: [float(x) for x in vec] for m, vec in zip(got["metadatas"], got["embeddings"], strict=True)}

    def get(self, keys: Sequence[str]) -> builtins.list[Entry]:
        got = self._anchors(keys, ["metadatas"])
        found = {m["key"]: entry_of(m) for m in got["metadatas"]}
        return [found[k] for k in keys if k in found]

    def labels(self, keys: Sequence[str]) -> dict[str, Labels]:
        got = self._anchors(keys, ["metadatas"])
        return {m["key"]: labels_of(m) for m in got["metadatas"]}

    def delete(self, keys: Sequence[str]) -> None:
        """Side fingerprints first: an entry whose deletion is interrupted is then found by its anchor."""
        for chunk in self._chunks(keys):
            self._call(self.fp.delete, ids=chunk)
            self._call(self.col.delete, where={"key": {"$in": chunk}})

    def query(self, vector: Vectors, k: int, flt: EntryFilter) -> builtins.list[Hit]:
        """Top-k entries, each scored by its best facet; chroma applies the whole filter."""
        if k <= 0:
            return []
        got = self._call(
            self.col.query, query_embeddings=np.asarray(vector, dtype=np.float32).reshape(1, -1),
            n_results=k * _FACETS_PER_HIT, where=where(flt), include=["metadatas", "distances"],
        )
        best: dict[str, Hit] = {}
        for meta, dist in zip(got["metadatas"][0], got["distances"][0], strict=True):
            if meta["key"] not in best:  # results come closest first
                best[meta["key"]] = Hit(entry=entry_of(meta), score=1.0 - float(dist), labels=labels_of(meta))
        return list(best.values())[:k]

    def count(self) -> int:
        """Entries, not records: one anchor record each (ids only; /readyz calls this)."""
        got = self._call(self.col.get, where={"facet": ANCHOR}, include=[])
        return len(got["ids"])

    def nearest(self, query: Vectors, n: int) -> Nearest:
        """The `n` records nearest to `query` by chroma's search, unfiltered: ids and distances, no metadata."""
        got = self._call(self.col.query, query_embeddings=query, n_results=n, include=["distances"])
        return Nearest(tuple(got["ids"][0]), tuple(got["distances"][0]))

    def metadata(self, records: Sequence[str]) -> dict[str, Meta]:
        """The metadata of these records, by record id; a record deleted since is missing."""
        got = self._call(self.col.get, ids=list(records), include=["metadatas"])
        return dict(zip(got["ids"], got["metadatas"], strict=True))

    def matching(self, clause: dict[str, Any]) -> builtins.list[Meta]:
        """The metadata of every record `clause` (a where clause) matches."""
        metas: list[Meta] = self._call(self.col.get, where=clause, include=["metadatas"])["metadatas"]
        return metas

    def record_count(self) -> int:
        """Records, not entries: every facet of every entry."""
        records: int = self._call(self.col.count)
        return records

    def read_records(self, total: int, *, vectors: bool) -> Iterator[RecordBatch]:
        """The first `total` records, a batch at a time: ids, metadata and (if `vectors`) vectors. A write between
        two batches may shift the records; the caller notices it by the write, not here."""
        for offset in range(0, total, self._batch):
            got = self._call(self.col.get, include=["metadatas", "embeddings"] if vectors else ["metadatas"],
                             limit=self._batch, offset=offset)
            ids: list[str] = got["ids"]
            embedded = np.asarray(got["embeddings"], dtype=np.float32) if vectors and len(ids) else None
            yield ids, got["metadatas"], embedded

    def _chunks(self, items: Sequence[_T]) -> Iterator[builtins.list[_T]]:
        """`items` in lists of at most `batch`: chroma caps the size of one call."""
        for start in range(0, len(items), self._batch):
            yield list(items[start:start + self._batch])

    def _anchors(self, keys: Sequence[str], include: builtins.list[str]) -> Any:
        if not keys:
            return {"ids": [], "metadatas": []}
        return self._call(self.col.get, ids=[record_id(k, ANCHOR) for k in keys], include=include)

    @staticmethod
    def _call(fn: Any, **kwargs: Any) -> Any:
        try:
            return fn(**kwargs)
        except KnowledgeError:
            raise
        except Exception as exc:  # chromadb raises its own errors, ValueError and transport errors
            raise StoreUnavailableError(f"vector store call failed: {exc}") from exc
