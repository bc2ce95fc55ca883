"""SplitEmbedder: queries to one embedder, passages to another built once, on the first passage."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from knowledge.embedders.split import SplitEmbedder
from knowledge.errors import EmbedderError
from tests.fakes import HashingEmbedder


def test_passages_go_to_an_embedder_built_on_first_use_and_only_once() -> None:
    queries, passages = HashingEmbedder(), HashingEmbedder()
    built: list[HashingEmbedder] = []

    def build() -> HashingEmbedder:
        built.append(passages)
        return passages

    split = SplitEmbedder(queries, build)
    split.embed_queries(["where is my parcel"])
    assert built == [] and split.embed_passages([]).shape == (0, queries.dimension)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(split.embed_passages, [["a"], ["b"], ["c"], ["d"]]))

    assert len(built) == 1 and sorted(passages.calls) == [1, 1, 1, 1] and queries.calls == [1]
    assert (split.model_id, split.dimension) == (queries.model_id, queries.dimension)


def test_many_queries_at_once_go_to_the_passage_embedder_once_it_is_loaded() -> None:
    queries, passages = HashingEmbedder(), HashingEmbedder()
    split = SplitEmbedder(queries, lambda: passages, many=2)
    split.embed_queries(["a", "b", "c"])  # not loaded yet: stays with `queries`
    split.embed_passages(["p"])

    split.embed_queries(["a", "b", "c"])
    split.embed_queries(["a", "b"])

    assert queries.calls == [3, 2] and passages.calls == [1, 3]


def test_passages_stay_with_the_query_embedder_if_the_other_cannot_be_built() -> None:
    queries = HashingEmbedder()

    def build() -> HashingEmbedder:
        raise EmbedderError("could not load embedding model: read-only cache")

    split = SplitEmbedder(queries, build)

    assert split.embed_passages(["a"]).shape == (1, queries.dimension) and queries.calls == [1]
