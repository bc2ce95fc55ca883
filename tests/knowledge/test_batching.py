"""BatchingEmbedder with real threads: concurrent callers share passes, each gets its own vectors or the error."""

from __future__ import annotations

import gc
import threading
import time
import weakref
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from knowledge.embedders.base import Vectors
from knowledge.embedders.batching import BatchingEmbedder
from knowledge.errors import EmbedderError
from tests.fakes import HashingEmbedder


class SlowEmbedder(HashingEmbedder):
    """Holds each pass until the test releases it, and notes how many passes ever ran at once."""

    def __init__(self) -> None:
        super().__init__()
        self.started = threading.Semaphore(0)
        self.release = threading.Event()
        self.fail_on: str | None = None
        self._running = 0
        self.most_at_once = 0
        self._count = threading.Lock()

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        with self._count:
            self._running += 1
            self.most_at_once = max(self.most_at_once, self._running)
        self.started.release()
        self.release.wait(5)
        try:
            if self.fail_on in texts:
                raise EmbedderError("embedding failed: boom")
            return super().embed_queries(texts)
        finally:
            with self._count:
                self._running -= 1


def _texts(n: int) -> list[list[str]]:
    return [[f"question {i}", f"问题 {i}"] for i in range(n)]


def test_callers_that_arrive_while_the_model_is_busy_share_one_pass() -> None:
    inner = SlowEmbedder()
    batching = BatchingEmbedder(inner)
    asks = _texts(7)
    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(batching.embed_queries, ["the first"])
        assert inner.started.acquire(timeout=5)  # the first pass is running, alone
        rest = [pool.submit(batching.embed_queries, texts) for texts in asks]
        while batching.waiting < len(asks):  # all seven wait behind it
            threading.Event().wait(0.01)
        inner.release.set()
        got = [f.result(timeout=10) for f in rest]

    assert first.result().shape == (1, inner.dimension)
    assert inner.calls == [1, 14]  # the first alone, then the seven together
    assert inner.most_at_once == 1
    for texts, vectors in zip(asks, got, strict=True):
        np.testing.assert_allclose(vectors, HashingEmbedder().embed_queries(texts))


def test_a_batch_holds_at_most_max_texts_and_every_caller_is_answered() -> None:
    inner = HashingEmbedder()
    batching = BatchingEmbedder(inner, max_texts=4)
    asks = _texts(40)
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(batching.embed_queries, asks))

    assert max(inner.calls) <= 4 and sum(inner.calls) == 80
    for texts, vectors in zip(asks, got, strict=True):
        np.testing.assert_allclose(vectors, HashingEmbedder().embed_queries(texts))


def test_an_error_reaches_every_caller_in_its_batch_and_the_next_batch_runs() -> None:
    inner = SlowEmbedder()
    batching = BatchingEmbedder(inner)
    inner.fail_on = "bad"
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(batching.embed_queries, ["first"])
        assert inner.started.acquire(timeout=5)
        doomed = [pool.submit(batching.embed_queries, texts) for texts in (["bad"], ["fine"])]
        while batching.waiting < 2:
            threading.Event().wait(0.01)
        inner.release.set()
        for future in doomed:  # "fine" shared the failing pass
            with pytest.raises(EmbedderError, match="boom"):
                future.result(timeout=10)
        first.result(timeout=10)

    inner.fail_on = None
    assert batching.embed_queries(["after"]).shape == (1, inner.dimension)  # the gate was released
    assert batching.embed_queries([]).shape == (0, inner.dimension)


def test_passages_and_large_query_batches_go_straight_through() -> None:
    inner = SlowEmbedder()
    batching = BatchingEmbedder(inner, max_texts=4)
    with ThreadPoolExecutor(4) as pool:
        query = pool.submit(batching.embed_queries, ["a draft's message"])
        assert inner.started.acquire(timeout=5)  # a query pass is running ...
        passages = batching.embed_passages(["a", "b"])  # ... and a passage call does not wait for it
        many = pool.submit(batching.embed_queries, [f"q{n}" for n in range(5)])
        assert inner.started.acquire(timeout=5)  # nor does a batch larger than max_texts: it runs alongside
        inner.release.set()
        assert many.result(timeout=10).shape == (5, inner.dimension)
        query.result(timeout=10)

    assert passages.shape == (2, inner.dimension) and inner.most_at_once == 2
    assert batching.embed_passages(["c"]).shape == (1, inner.dimension)
    assert (batching.model_id, batching.dimension) == (inner.model_id, inner.dimension)


def test_every_pass_runs_on_the_embedders_own_thread_which_ends_with_it() -> None:
    class ThreadNoting(HashingEmbedder):
        def __init__(self) -> None:
            super().__init__()
            self.threads: set[int] = set()

        def embed_queries(self, texts: Sequence[str]) -> Vectors:
            self.threads.add(threading.get_ident())
            return super().embed_queries(texts)

    inner = ThreadNoting()
    batching = BatchingEmbedder(inner)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(batching.embed_queries, _texts(40)))
    assert len(inner.threads) == 1 and threading.get_ident() not in inner.threads

    gone = weakref.ref(inner)
    del inner, batching
    gc.collect()
    deadline = time.monotonic() + 5
    while gone() is not None and time.monotonic() < deadline:  # the thread stops and lets go of the model
        time.sleep(0.01)
    assert gone() is None
