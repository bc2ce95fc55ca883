"""ExactIndex: every record scored by cosine, as chroma's cosine space scores it, closest first."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from knowledge.exact import ExactIndex
from knowledge.nearest import Nearest


def test_the_nearest_come_closest_first_with_chroma_cosine_distances() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(500, 16)).astype(np.float32) * rng.uniform(0.5, 3, size=(500, 1))  # not unit length
    ids = [f"e{n}#a" for n in range(500)]
    query = rng.normal(size=16).astype(np.float32)

    nearest = ExactIndex(ids, vectors).nearest(query * 7, 20)

    cosine = vectors @ query / np.linalg.norm(vectors, axis=1) / np.linalg.norm(query)
    order = np.argsort(-cosine)[:20]
    assert nearest.ids == tuple(ids[i] for i in order)
    np.testing.assert_allclose(nearest.distances, 1 - cosine[order], atol=1e-5)
    assert list(nearest.distances) == sorted(nearest.distances) and nearest.metas == ()


def test_asking_for_more_than_there_are_gives_them_all_and_none_gives_nothing() -> None:
    index = ExactIndex(["a", "b"], [[1.0, 0.0], [0.0, 1.0]])
    assert index.nearest(np.array([[0.2, 1.0]]), 64).ids == ("b", "a") and len(index) == 2
    assert index.nearest(np.array([1.0, 0.0]), 0).ids == ()
    assert ExactIndex([], []).nearest(np.array([1.0, 0.0]), 5).ids == ()


def test_a_zero_vector_scores_zero_instead_of_failing() -> None:
    index = ExactIndex(["zero", "one"], [[0.0, 0.0], [1.0, 0.0]])
    nearest = index.nearest(np.array([1.0, 0.0]), 2)
    assert nearest.ids == ("one", "zero")
    np.testing.assert_allclose(nearest.distances, [0.0, 1.0], atol=1e-6)


def test_a_search_among_labels_reads_only_those_records() -> None:
    rng = np.random.default_rng(5)
    vectors = rng.normal(size=(300, 8)).astype(np.float32)
    ids = [f"r{n}" for n in range(300)]
    labels = [("zh", "taobao"), ("zh", "any"), ("en", "amazon")] * 100  # interleaved: the index groups them
    index = ExactIndex(ids, vectors, labels)
    query = rng.normal(size=8).astype(np.float32)

    nearest = index.nearest(query, 30, among=[("zh", "taobao"), ("zh", "any"), ("de", "otto")])

    kept = [n for n in range(300) if labels[n][0] == "zh"]
    cosine = vectors @ query / np.linalg.norm(vectors, axis=1) / np.linalg.norm(query)
    order = sorted(kept, key=lambda n: -cosine[n])[:30]
    assert nearest.ids == tuple(ids[n] for n in order)
    np.testing.assert_allclose(nearest.distances, 1 - cosine[order], atol=1e-5)
    assert index.nearest(query, 300).ids == ExactIndex(ids, vectors).nearest(query, 300).ids  # no labels: all
    english = index.nearest(query, 500, among=[("en", "amazon")])  # one block, not the first
    assert english.ids == tuple(ids[n] for n in sorted(range(2, 300, 3), key=lambda n: -cosine[n]))
    assert index.nearest(query, 5, among=[]).ids == () and index.labels == frozenset(labels)


def test_concurrent_searches_share_a_product_and_each_gets_its_own_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    products: list[int] = []
    hold = threading.Event()  # set: a product waits until the other searches have queued behind it
    search = ExactIndex._search

    def counted(self: ExactIndex, batch: list[Any]) -> list[Nearest]:
        products.append(len(batch))
        deadline = time.monotonic() + 10
        while hold.is_set() and self._grouped.waiting < 15 and time.monotonic() < deadline:
            time.sleep(0.001)
        hold.clear()
        return search(self, batch)

    monkeypatch.setattr(ExactIndex, "_search", counted)
    rng = np.random.default_rng(9)
    vectors = rng.normal(size=(2000, 16)).astype(np.float32)
    ids = [f"r{n}" for n in range(2000)]
    index = ExactIndex(ids, vectors, ["a", "b", "c", "d"] * 500)
    asks = [(rng.normal(size=16).astype(np.float32), 1 + n % 40, [["a"], ["b", "c"], None, ["d", "a"]][n % 4])
            for n in range(64)]
    alone = [index.nearest(q, n, among) for q, n, among in asks]
    assert products == [1] * 64
    products.clear()
    hold.set()
    with ThreadPoolExecutor(16) as pool:
        together = list(pool.map(lambda number: index.nearest(*asks[number]), range(64)))

    assert [n.ids for n in together] == [n.ids for n in alone]  # a product rounds a little unlike one search
    for mine, own in zip(together, alone, strict=True):
        np.testing.assert_allclose(mine.distances, own.distances, atol=1e-6)
    assert products[0] == 1 and products[1] >= 15 and sum(products) == 64  # those queued behind it: one product
