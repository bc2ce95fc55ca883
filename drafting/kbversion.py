"""The knowledge base's version: a short fingerprint of its content, logged with every draft."""

from __future__ import annotations

import time
from collections.abc import Callable

from knowledge.store import VectorStore
from knowledge.versions import store_digest


def kb_version(store: VectorStore) -> str:
    """The first 12 hex digits of `store_digest` (the eval harness records the whole digest)."""
    return store_digest(store)[0][:12]


class KbVersion:
    """`kb_version(store)`, recomputed at most every `ttl_s` seconds: reading every key costs about 15 ms per 100
    entries, too much for each draft. The KB may also change from another process (the CLI), so no hook suffices."""

    def __init__(self, store: VectorStore, ttl_s: float = 5.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._store, self._ttl_s, self._monotonic = store, ttl_s, monotonic
        self._cached: tuple[float, str] | None = None

    def __call__(self) -> str:
        now = self._monotonic()
        if self._cached is None or now - self._cached[0] >= self._ttl_s:
            self._cached = (now, kb_version(self._store))
        return self._cached[1]

    def invalidate(self) -> None:
        self._cached = None
