"""Concurrent query embeddings, one forward pass: requests that arrive while the model is busy wait for it and then
go through together. On two cores, eight threads each running the model at once mostly fight over the cores."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from knowledge.embedders.base import Embedder, Vectors


@dataclass
class _Request:
    texts: Sequence[str]
    wake: threading.Event = field(default_factory=threading.Event)  # vectors ready, or this caller's turn to lead
    finished: bool = False
    vectors: Vectors | None = None
    error: BaseException | None = None


class BatchingEmbedder:
    """Wraps an embedder. No thread of its own and no timer: a caller that finds the model idle runs it for its own
    texts and for whatever else is queued (up to `max_texts`); whoever queued after that batch started leads the next
    one, so each caller runs at most the one pass its own texts are in. A lone caller pays nothing extra. Passages
    and larger query batches (indexing) go straight through: a draft never waits behind an upload."""

    def __init__(self, inner: Embedder, *, max_texts: int = 64) -> None:
        self._inner = inner
        self._max_texts = max_texts
        self._lock = threading.Lock()  # guards the queue and `_busy`
        self._queue: list[_Request] = []
        self._busy = False  # a leader is running or about to run a batch

    @property
    def model_id(self) -> str:
        return self._inner.model_id

    @property
    def dimension(self) -> int:
        return self._inner.dimension

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) > self._max_texts:
            return self._inner.embed_queries(texts)
        request = _Request(texts)
        with self._lock:
            self._queue.append(request)
            if not self._busy:
                self._busy = True
                request.wake.set()  # nobody is running the model: lead at once
        while True:
            request.wake.wait()
            request.wake.clear()
            if request.finished:
                break
            self._lead()
        if request.error is not None:
            raise request.error
        assert request.vectors is not None
        return request.vectors

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        return self._inner.embed_passages(texts)

    def _lead(self) -> None:
        """Run one batch (the leader's own request first), then hand the lead to the first caller still waiting."""
        with self._lock:
            batch = self._take()
        self._run(batch)
        with self._lock:
            if self._queue:
                self._queue[0].wake.set()
            else:
                self._busy = False

    def _take(self) -> list[_Request]:
        batch: list[_Request] = []
        count = 0
        while self._queue and (not batch or count + len(self._queue[0].texts) <= self._max_texts):
            request = self._queue.pop(0)
            batch.append(request)
            count += len(request.texts)
        return batch

    def _run(self, batch: list[_Request]) -> None:
        texts = [t for request in batch for t in request.texts]
        try:
            vectors: Vectors | None = self._inner.embed_queries(texts)
            error: BaseException | None = None
        except BaseException as exc:  # every caller in the batch gets the error, none hangs
            vectors, error = None, exc
        start = 0
        for request in batch:
            if vectors is not None:
                request.vectors = vectors[start:start + len(request.texts)]
                start += len(request.texts)
            request.error = error
            request.finished = True
            request.wake.set()
