"""Group work: callers that arrive while one batch is running wait for it and then go through together, in one call.
The searches of concurrent drafts share a matrix product this way (`ExactIndex`), and the draft log's rows a
commit."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar, cast

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class _Ask(Generic[T, R]):
    item: T
    wake: threading.Event = field(default_factory=threading.Event)  # answered, or this caller's turn to lead
    finished: bool = False
    result: R | None = None
    error: BaseException | None = None


class Grouped(Generic[T, R]):
    """`run(items)` answers a batch (one result per item, in order). No thread of its own and no timer: a caller that
    finds nothing running runs its own item and whatever else is queued (up to `limit` items); whoever queued
    after that batch started leads the next one, so each caller waits for at most the batch before its own. A lone
    caller pays nothing extra. An error reaches every caller of the batch it broke, and no caller hangs."""

    def __init__(self, run: Callable[[list[T]], Sequence[R]], *, limit: int = 64) -> None:
        self._run, self._limit = run, limit
        self._lock = threading.Lock()  # guards the queue and `_busy`
        self._queue: list[_Ask[T, R]] = []
        self._busy = False  # a leader is running or about to run a batch

    @property
    def waiting(self) -> int:
        """Callers queued behind the running batch."""
        with self._lock:
            return len(self._queue)

    def __call__(self, item: T) -> R:
        ask: _Ask[T, R] = _Ask(item)
        with self._lock:
            self._queue.append(ask)
            if not self._busy:
                self._busy = True
                ask.wake.set()  # nothing is running: lead at once
        while True:
            ask.wake.wait()
            ask.wake.clear()
            if ask.finished:
                break
            self._lead()
        if ask.error is not None:
            raise ask.error
        return cast(R, ask.result)  # set with finished when there is no error

    def _lead(self) -> None:
        """Run one batch (the leader's own item first), then hand the lead to the first caller still waiting."""
        with self._lock:
            batch = self._take()
        self._answer(batch)
        with self._lock:
            if self._queue:
                self._queue[0].wake.set()
            else:
                self._busy = False

    def _take(self) -> list[_Ask[T, R]]:
        take = max(1, self._limit)  # the leader's own item at least: it is first in the queue
        batch, self._queue = self._queue[:take], self._queue[take:]
        return batch

    def _answer(self, batch: list[_Ask[T, R]]) -> None:
        try:
            results: Sequence[R] | None = self._run([ask.item for ask in batch])
            error: BaseException | None = None
        except BaseException as exc:  # every caller in the batch gets the error, none hangs
            results, error = None, exc
        for n, ask in enumerate(batch):
            if results is not None:
                ask.result = results[n]
            ask.error = error
            ask.finished = True
            ask.wake.set()
