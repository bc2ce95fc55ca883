"""Concurrent query embeddings, one forward pass: requests that arrive while the model is busy wait for it and then
go through together. On two cores, eight threads each running the model at once mostly fight over the cores.

Every pass runs on one thread of the embedder's own. When each pass ran on whichever request thread arrived first
(the thread then went on with its own draft), OpenVINO's worker threads served a different caller from pass to pass
and spun between them: on the 2-core Xeon one client's drafts took 26 ms of CPU each where they now take 19, and 8
clients got 6 % more requests through (docs/benchmarks-log.md)."""

from __future__ import annotations

import queue
import threading
import weakref
from collections.abc import Sequence
from concurrent.futures import Future

import numpy as np

from knowledge.embedders.base import Embedder, Vectors

_Ask = tuple[Sequence[str], "Future[Vectors]"]


class BatchingEmbedder:
    """Wraps an embedder: concurrent `embed_queries` calls of up to `max_texts` texts in all share a pass, run by the
    embedder's own thread. Passages and larger query batches (indexing) go straight through, on the caller's
    thread: a draft never waits behind an upload."""

    def __init__(self, inner: Embedder, *, max_texts: int = 64) -> None:
        self._inner = inner
        self._max_texts = max_texts
        self._asks: queue.SimpleQueue[_Ask | None] = queue.SimpleQueue()
        # the thread holds the model and the queue, never this object: when this goes, it is told to stop (None)
        # and the model's memory goes with it
        threading.Thread(target=_serve, args=(inner, self._asks, max_texts), name="draftdesk-embed",
                         daemon=True).start()
        weakref.finalize(self, self._asks.put, None)

    @property
    def model_id(self) -> str:
        return self._inner.model_id

    @property
    def dimension(self) -> int:
        return self._inner.dimension

    @property
    def waiting(self) -> int:
        """Calls queued behind the running pass."""
        return self._asks.qsize()

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) > self._max_texts:
            return self._inner.embed_queries(texts)
        answer: Future[Vectors] = Future()
        self._asks.put((texts, answer))
        return answer.result()

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        return self._inner.embed_passages(texts)


def _serve(inner: Embedder, asks: queue.SimpleQueue[_Ask | None], max_texts: int) -> None:
    """The pass thread: waits for a call, takes every call queued behind it up to `max_texts` texts, runs them in one
    pass and answers each; an error reaches every call of the pass it broke, and the next pass runs."""
    held: _Ask | None = None  # a call taken that did not fit the last pass: it leads the next
    while True:
        first = held if held is not None else asks.get()
        held = None
        if first is None:
            return
        batch, total = [first], len(first[0])
        while total < max_texts:
            try:
                ask = asks.get_nowait()
            except queue.Empty:
                break
            if ask is None:
                asks.put(None)  # stop once this pass is answered
                break
            if total + len(ask[0]) > max_texts:
                held = ask
                break
            batch.append(ask)
            total += len(ask[0])
        _answer(inner, batch)


def _answer(inner: Embedder, batch: list[_Ask]) -> None:
    try:
        vectors = inner.embed_queries([t for texts, _ in batch for t in texts])
    except Exception as exc:  # every caller in the pass gets the error, none hangs
        for _, answer in batch:
            answer.set_exception(exc)
        return
    start = 0
    for texts, answer in batch:
        answer.set_result(vectors[start:start + len(texts)])
        start += len(texts)
