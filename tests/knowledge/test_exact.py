"""ExactIndex: every record scored by cosine, as chroma's cosine space scores it, closest first."""

from __future__ import annotations

import numpy as np

from knowledge.exact import ExactIndex


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
