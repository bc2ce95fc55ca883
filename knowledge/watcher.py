"""Keeping what a store remembers in step with its collection: every write changes the collection's generation, which
other processes (a second worker, the CLI) look at once every `check_s`; and a store searched in memory is warmed
again once its collection has been quiet a while."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import Protocol

from knowledge.errors import KnowledgeError

# How often a store looks whether another process changed the collection: what it read before such a change may be
# used this long after it.
CHECK_S = 2.0


class Generations(Protocol):
    def generation(self) -> str | None:
        """The collection's generation as it is now."""
        ...

    def new_generation(self) -> str:
        """Give the collection a new generation, and return it."""
        ...


class Warmable(Protocol):
    @property
    def epoch(self) -> int:
        """Changes whenever the collection does."""
        ...

    @property
    def behind(self) -> bool:
        """Warmed, but the collection changed since: searches go to chroma until `warm` runs again."""
        ...

    def warm(self) -> int: ...


class ChangeWatcher:
    """Sees other processes' writes by the collection's generation, and changes it around this process's writes."""

    def __init__(self, generations: Generations, seen: str | None, *, check_s: float = CHECK_S,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._generations, self._seen = generations, seen
        self._check_s, self._now = check_s, monotonic
        self._checked = monotonic()
        self._lock = threading.Lock()

    def changed(self) -> bool:
        """Whether another process changed the collection since this one last looked. Looked at once every
        `check_s` by whichever caller comes first; the others go on with what they remember."""
        now = self._now()
        if now - self._checked < self._check_s or not self._lock.acquire(blocking=False):
            return False
        try:
            self._checked = now
            generation = self._generations.generation()
            if generation == self._seen:
                return False
            self._seen = generation
            return True
        finally:
            self._lock.release()

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Around a write: the generation changes before it (a writer killed mid-write leaves it changed) and after
        it, even when the write fails."""
        self._new()
        try:
            yield
        except BaseException:
            with contextlib.suppress(KnowledgeError):  # the write's own error says more
                self._new()
            raise
        self._new()

    def _new(self) -> None:
        self._seen = self._generations.new_generation()


class Rewarm:
    """Warms a store again once no write has come for `quiet_s` (an upload writes in many calls), on a thread of its
    own: one at a time, and none once the store's records no longer fit in memory."""

    def __init__(self, quiet_s: float = CHECK_S) -> None:
        self._quiet_s = quiet_s
        self._running = threading.Lock()  # held by the one thread that waits to warm the store again

    def start(self, store: Warmable) -> None:
        if self._running.acquire(blocking=False):
            threading.Thread(target=self._run, args=(store,), name="draftdesk-rewarm", daemon=True).start()

    def _run(self, store: Warmable) -> None:
        try:
            while True:
                epoch = store.epoch
                time.sleep(self._quiet_s)
                if store.epoch == epoch:
                    store.warm()
                if not store.behind:
                    return  # warmed, or the records no longer fit: chroma searches them from now on
        except KnowledgeError:
            pass  # the store is unreachable: chroma's search says so to the next draft, which tries again
        finally:
            self._running.release()
