"""Recent reads of the store, remembered a moment: in a surge of near-identical messages the same vector is searched
again and again, every draft asks for the live announcements, and drafts on related questions read the same records
(two in three of the records a draft reads were read in the two seconds before, with 8 clients on 10,000 entries).
What is kept does not depend on the filter or the time (the store applies both to it per call), so only a change to
the records can make it wrong: the store forgets everything on its own writes, and `ttl_s` bounds how long a write by
another process (a second worker, the CLI) goes unseen."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

Meta = dict[str, Any]


@dataclass(frozen=True)
class Nearest:
    """Record ids, closest first, with their distances; `metas` holds the metadata of the first ones read so far."""

    ids: tuple[str, ...]
    distances: tuple[float, ...]
    metas: tuple[Meta | None, ...] = ()  # None: the record was gone when its metadata was read

    @property
    def complete(self) -> bool:
        return len(self.metas) == len(self.ids)


class RecentReads:
    """A bounded LRU of reads (`Nearest`, or the records a clause matched) with the time each was made; one older
    than `ttl_s` is not returned (0: nothing is kept)."""

    def __init__(self, ttl_s: float = 2.0, size: int = 512,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s, self._size = ttl_s, size
        self.now = monotonic
        self._items: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> tuple[float, Any] | None:
        """(when it was read, what was read), if it is recent enough."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            if self.now() - item[0] >= self.ttl_s:
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return item

    def put(self, key: Hashable, value: Any, since: float) -> None:
        """`since`: when it was read (`now()` then), kept when more is read into it later."""
        if self.ttl_s <= 0:
            return
        with self._lock:
            self._items[key] = (since, value)
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
