"""The knowledge base's version: a short fingerprint of its content, logged with every draft."""

from __future__ import annotations

import time
from collections.abc import Callable

from knowledge.store import VectorStore
from knowledge.versions import KnowledgeVersions, store_digest


def kb_version(store: VectorStore) -> str:
    """The first 12 hex digits of `store_digest` (the eval harness records the whole digest)."""
    return store_digest(store)[0][:12]


class KbVersion:
    """The digest of the latest recorded knowledge-base version (every change through the API or the CLI records
    one, from any process), read again only when the versions index file changes: a `stat` per draft. A store
    with no recorded version (indexed by an older release) is hashed whole, at most every `ttl_s` seconds:
    reading every key costs about 15 ms per 100 entries, too much for each draft."""

    def __init__(self, versions: KnowledgeVersions, store: VectorStore, ttl_s: float = 5.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._versions, self._store, self._ttl_s, self._monotonic = versions, store, ttl_s, monotonic
        self._recorded: tuple[tuple[int, int, int], str] | None = None  # (index file stamp, digest)
        self._hashed: tuple[float, str] | None = None

    def __call__(self) -> str:
        stamp = self._versions.stamp()
        if stamp is not None:
            if self._recorded is None or self._recorded[0] != stamp:
                latest = self._versions.latest()
                if latest is None:
                    return self._hash()
                self._recorded = (stamp, latest.digest[:12])
            return self._recorded[1]
        return self._hash()

    def invalidate(self) -> None:
        self._recorded = self._hashed = None

    def _hash(self) -> str:
        now = self._monotonic()
        if self._hashed is None or now - self._hashed[0] >= self._ttl_s:
            self._hashed = (now, kb_version(self._store))
        return self._hashed[1]
