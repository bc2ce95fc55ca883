"""Reads of the store, remembered until the store changes: in a surge of near-identical messages the same vector is
searched again and again, every draft asks for the live announcements, and drafts on related questions read the
same records. What is kept does not depend on the time, and of the filter only on the language and platform (a
search is kept under both, as the search in memory keeps to them; the store applies the rest per call), so only a
change to the records can make it wrong: the store forgets everything on its own writes, and on another
process's (a second worker, the CLI) once it sees the collection's generation change (`ChromaStore`)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
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
    """A bounded LRU of reads (`Nearest`, a record's metadata, or the records a clause matched), kept until `clear()`.
    Each is put with the `epoch` taken before it was read: a read that began before the last `clear()` may hold what
    that change replaced, and is not kept."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._epoch = 0  # clears so far

    @property
    def epoch(self) -> int:
        """Taken before a read, passed to `put` with what was read."""
        return self._epoch

    def get(self, key: Hashable) -> tuple[int, Any] | None:
        """(the epoch it was read in, what was read)."""
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: Hashable, value: Any, epoch: int) -> None:
        """Kept unless the store changed since `epoch`; put again with its first epoch when more is read into it."""
        with self._lock:
            if epoch != self._epoch:
                return
            self._items[key] = (epoch, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._epoch += 1
            self._items.clear()
