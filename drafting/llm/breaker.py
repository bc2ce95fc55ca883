"""A circuit breaker around a chat model: after repeated failures, stop calling it for a while and fail fast, so
every draft falls back to the template at once instead of waiting out timeouts and retries first."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Literal

from drafting.llm.base import ChatModel, OnDelta, UpstreamError

State = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """A `ChatModel` that wraps another. Closed: calls pass. `failures` consecutive `UpstreamError`s open it;
    open, calls fail fast with `UpstreamError("circuit open ...")` until `reset_s` have passed; then one trial call
    goes through (half-open): success closes it, failure opens it for another `reset_s`."""

    def __init__(
        self, model: ChatModel, *, failures: int = 5, reset_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failures < 1:
            raise ValueError("failures must be at least 1")
        self._model = model
        self._threshold = failures
        self._reset_s = reset_s
        self._clock = clock
        self._lock = threading.Lock()  # drafts run in a thread pool
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def name(self) -> str:
        return self._model.name

    @property
    def state(self) -> State:
        with self._lock:
            return self._state()

    def complete(self, system: str, user: str, on_delta: OnDelta | None = None) -> str:
        trial = self._admit()
        try:
            reply = self._model.complete(system, user, on_delta)
        except UpstreamError:
            self._record(ok=False, trial=trial)
            raise
        except BaseException:
            self._record(ok=None, trial=trial)  # not the model's fault (e.g. a bug in on_delta): free the trial slot
            raise
        self._record(ok=True, trial=trial)
        return reply

    def _state(self) -> State:
        if self._opened_at is None:
            return "closed"
        return "half_open" if self._clock() - self._opened_at >= self._reset_s else "open"

    def _admit(self) -> bool:
        """Whether the call is the half-open trial; raises while the circuit is open."""
        with self._lock:
            state = self._state()
            if state == "closed":
                return False
            if state == "half_open" and not self._trial_running:
                self._trial_running = True  # exactly one trial; the others still fail fast
                return True
            assert self._opened_at is not None
            wait = max(0.0, self._reset_s - (self._clock() - self._opened_at))
        raise UpstreamError(
            f"circuit open for {self.name} after {self._threshold} consecutive failures; next try in {wait:.0f} s"
        )

    def _record(self, *, ok: bool | None, trial: bool) -> None:
        with self._lock:
            if trial:
                self._trial_running = False
            if ok is None:
                return
            if ok:
                self._failures, self._opened_at = 0, None
                return
            self._failures += 1
            if trial or self._failures >= self._threshold:
                self._opened_at = self._clock()
