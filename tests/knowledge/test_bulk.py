"""BulkEmbedder: many passages go to the bulk runtime, built once on first need (also under concurrent first calls),
and many queries once it is built; other queries and a few passages go to the small one; an error building it
reaches the caller and the next large call tries again."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from knowledge.embedders.bulk import BulkEmbedder
from knowledge.errors import EmbedderError
from tests.fakes import HashingEmbedder


class Factory:
    def __init__(self, fail: bool = False) -> None:
        self.built: list[HashingEmbedder] = []
        self.fail = fail
        self.gate = threading.Event()
        self.gate.set()

    def __call__(self) -> HashingEmbedder:
        self.gate.wait(5)
        if self.fail:
            raise EmbedderError("could not load the E5 model on torch: no memory")
        self.built.append(HashingEmbedder())
        return self.built[-1]


def test_queries_and_a_few_passages_stay_on_the_small_runtime_and_bulk_is_never_built() -> None:
    small, factory = HashingEmbedder(), Factory()
    embedder = BulkEmbedder(small, factory, few=4)

    embedder.embed_queries(["在吗"])
    embedder.embed_queries([f"例句 {n}" for n in range(300)])  # the intent examples at start-up
    embedder.embed_passages(["a", "b", "c", "d"])

    assert small.calls == [1, 300, 4] and factory.built == []
    assert embedder.model_id == small.model_id and embedder.dimension == small.dimension


def test_many_passages_go_to_the_bulk_runtime_built_once() -> None:
    small, factory = HashingEmbedder(), Factory()
    embedder = BulkEmbedder(small, factory, few=4)
    texts = [f"问题 {n}" for n in range(5)]

    passages = embedder.embed_passages(texts)
    embedder.embed_passages(texts * 2)

    assert len(factory.built) == 1 and factory.built[0].calls == [5, 10] and small.calls == []
    np.testing.assert_array_equal(passages, small.embed_passages(texts))  # same space, same vectors here


def test_many_queries_go_to_the_bulk_runtime_once_passages_built_it() -> None:
    small, factory = HashingEmbedder(), Factory()
    embedder = BulkEmbedder(small, factory, few=4)
    questions = [f"问题 {n}" for n in range(5)]

    embedder.embed_queries(questions)  # nothing built it yet: the small runtime, and bulk stays unbuilt
    embedder.embed_passages(questions)
    embedder.embed_queries(questions)  # an index's questions, after its passages
    embedder.embed_queries(questions[:4])  # a few: still the small one

    assert small.calls == [5, 4] and factory.built[0].calls == [5, 5]


def test_concurrent_first_large_calls_build_it_once() -> None:
    factory = Factory()
    factory.gate.clear()
    embedder = BulkEmbedder(HashingEmbedder(), factory, few=1)
    with ThreadPoolExecutor(4) as pool:
        runs = [pool.submit(embedder.embed_passages, ["a", "b"]) for _ in range(4)]
        factory.gate.set()
        assert all(run.result().shape == (2, 256) for run in runs)
    assert len(factory.built) == 1


def test_a_failed_build_reaches_the_caller_and_is_retried() -> None:
    factory = Factory(fail=True)
    embedder = BulkEmbedder(HashingEmbedder(), factory, few=1)

    with pytest.raises(EmbedderError, match="no memory"):
        embedder.embed_passages(["a", "b"])
    factory.fail = False
    assert embedder.embed_passages(["a", "b"]).shape == (2, 256)
    assert embedder.embed_queries(["only one"]).shape == (1, 256)  # the small runtime served throughout
