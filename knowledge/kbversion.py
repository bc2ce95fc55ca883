"""The knowledge base's version: a short fingerprint of its content, logged with every draft."""

from __future__ import annotations

import hashlib
import threading

from knowledge.store import VectorStore
from knowledge.versions import KnowledgeVersions, store_digest


def kb_version(store: VectorStore) -> str:
    """The first 12 hex digits of `store_digest` (the eval harness records the whole digest)."""
    return store_digest(store)[0][:12]


EMPTY = hashlib.sha256().hexdigest()[:12]  # `kb_version` of a store with no entries


class KbVersion:
    """The digest of the latest recorded knowledge-base version: every change through the API or the CLI records
    one, from any process, so a draft costs a `stat` of the versions index (read again only when it changes). A
    store with no recorded version yet (indexed by an older release, or by the `Indexer` alone) gets its first one
    on the first call, once, by one thread: hashing a large store for every draft would cost seconds."""

    def __init__(self, versions: KnowledgeVersions, store: VectorStore) -> None:
        self._versions, self._store = versions, store
        self._recorded: tuple[tuple[int, int, int], str] | None = None  # (index file stamp, digest)
        self._first = threading.Lock()

    def __call__(self) -> str:
        stamp = self._versions.stamp()
        if stamp is None:
            if self._store.count() == 0:
                return EMPTY  # nothing to record yet
            with self._first:  # the others wait for that one snapshot instead of each hashing the store
                if self._versions.stamp() is None:
                    self._versions.snapshot("the knowledge base as first found")
            stamp = self._versions.stamp()
        recorded = self._recorded
        if recorded is None or recorded[0] != stamp:
            latest = self._versions.latest()
            assert stamp is not None and latest is not None  # a snapshot always leaves an index with a version
            recorded = self._recorded = (stamp, latest.digest[:12])
        return recorded[1]
