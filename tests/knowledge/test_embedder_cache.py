"""CachedEmbedder: repeated (normalized) query texts are embedded once; results equal the inner embedder's."""

from __future__ import annotations

import numpy as np

from knowledge.embedders.cache import CachedEmbedder
from knowledge.embedders.normalize import normalize_query
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


def test_near_duplicates_share_one_embedding_of_the_normalized_text() -> None:
    inner = HashingEmbedder()
    cached = CachedEmbedder(inner)
    variants = ["我的快递怎么还没到？", "我的快递怎么还没到?", "  我的快递怎么还没到？？ ", "我的快递怎么还没到？～😊"]

    vectors = cached.embed_queries(variants)
    order = cached.embed_queries(["订单号 123456789012 还没发货", "订单号 987654321098 还没发货 😊"])

    assert inner.calls == [1, 1]
    assert np.allclose(vectors, inner.embed_queries(["我的快递怎么还没到?"]))  # what is embedded, cached or not
    assert np.allclose(order[0], order[1])


def test_normalize_query_keeps_what_matters() -> None:
    assert normalize_query("Ｗｈｅｒｅ　is my   parcel？？") == "Where is my parcel?"  # one closing mark stays
    assert normalize_query("I want to file a complaint.") == "I want to file a complaint."
    assert normalize_query("亲，能便宜点吗～～😊") == "能便宜点吗"
    assert normalize_query("$100 refund?") == "$100 refund?"  # currency signs stay
    assert normalize_query("order 2024 arrived?") == "order 2024 arrived?"  # short numbers (years, sizes) stay
    assert normalize_query("order 20241111123 arrived?") == "order 0 arrived?"
    assert normalize_query("？？？") == "???"  # nothing but punctuation: kept, not emptied
    assert normalize_query("") == ""


def test_greetings_and_thanks_around_the_question_do_not_count() -> None:
    hot = "我的快递怎么还没到?"
    for variant in ("亲 我的快递怎么还没到？", "你好，在吗？请问我的快递怎么还没到？？ 急",
                    "我的快递怎么还没到？，谢谢", "客服 我的快递怎么还没到啊？", "在吗？我的快递怎么还没到？"):
        assert normalize_query(variant) == hot, variant
    assert normalize_query("hi, can I cancel? thanks") == normalize_query("hello, can I cancel?") == "can I cancel?"
    assert normalize_query("excuse me, where is my parcel please") == "where is my parcel"
    # words that only look like greetings stay: 亲自 (in person), 客服电话 (the service line), "his", "thanks for..."
    assert normalize_query("亲自签收可以吗") == "亲自签收可以吗"
    assert normalize_query("客服电话多少") == "客服电话多少"
    assert normalize_query("his order?") == "his order?"
    assert normalize_query("thanks for nothing, I want a refund") == "thanks for nothing, I want a refund"
    assert normalize_query("很急") == "很急"
    # a message that is nothing but a greeting stays what it was
    assert normalize_query("你好") == "你好"
    assert normalize_query("在吗？") == "在吗?"
    assert normalize_query("谢谢！") == "谢谢!"
