"""CachedEmbedder: repeated query texts are embedded once; results equal the inner embedder's."""

from __future__ import annotations

import numpy as np

from knowledge.embedders.cache import CachedEmbedder
from tests.fakes import HashingEmbedder


def test_repeated_queries_are_embedded_once_and_match() -> None:
    inner = HashingEmbedder()
    cached = CachedEmbedder(inner, size=3)

    first = cached.embed_queries(["我的快递怎么还没到", "Where is my parcel?", "我的快递怎么还没到"])
    again = cached.embed_queries(["Where is my parcel?"])

    assert inner.calls == [2]  # two distinct texts, one call; the second call was answered from the cache
    assert np.allclose(first, inner.embed_queries(["我的快递怎么还没到", "Where is my parcel?", "我的快递怎么还没到"]))
    assert np.allclose(again[0], first[1])
    assert cached.embed_queries([]).shape == (0, inner.dimension)


def test_the_cache_is_bounded_and_passages_pass_through() -> None:
    inner = HashingEmbedder()
    cached = CachedEmbedder(inner, size=2)
    cached.embed_queries(["a"])
    cached.embed_queries(["b"])
    cached.embed_queries(["c"])  # evicts "a"
    inner.calls.clear()

    cached.embed_queries(["a", "c"])
    cached.embed_passages(["c"])

    assert inner.calls == [1, 1]  # "a" again (evicted), "c" from the cache; the passage always goes through
    assert (cached.model_id, cached.dimension) == (inner.model_id, inner.dimension)
