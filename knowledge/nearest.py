"""The nearest records to a query vector, remembered a moment: in a surge of near-identical messages the same
vector is searched again and again. What is kept does not depend on any filter or on the time (the store filters
them per query), so only a change to the records can make it wrong: the store clears it on its own writes, and
`ttl_s` bounds how long a write by another process (a second worker, the CLI) goes unseen."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Nearest:
    """Record ids, closest first, with their distances; `metas` holds the metadata of the first ones read so far."""

    ids: tuple[str, ...]
    distances: tuple[float, ...]
    searched_at: float  # the cache's clock
    metas: tuple[dict[str, Any] | None, ...] = ()  # None: the record was gone when its metadata was read

    @property
    def complete(self) -> bool:
        return len(self.metas) == len(self.ids)


class NearestCache:
    """A bounded LRU of `Nearest` by query vector; a search older than `ttl_s` is not returned (0: keep nothing)."""

    def __init__(self, ttl_s: float = 2.0, size: int = 512,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._ttl_s, self._size = ttl_s, size
        self.now = monotonic
        self._items: OrderedDict[bytes, Nearest] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes) -> Nearest | None:
        with self._lock:
            nearest = self._items.get(key)
            if nearest is None:
                return None
            if self.now() - nearest.searched_at >= self._ttl_s:
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return nearest

    def put(self, key: bytes, nearest: Nearest) -> None:
        if self._ttl_s <= 0:
            return
        with self._lock:
            self._items[key] = nearest
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
