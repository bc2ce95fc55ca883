"""ONNX Runtime (the sentence-transformers folder exported to ONNX; the default where the CPU has no bfloat16)
against the reference (that folder on torch): the same vectors, long texts cut where the reference cuts them, any
batch in the callers' order, the same best entry for every sample question; the export is made once and never left
half-written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge.embedders import Embedder, load_embedder, onnx_e5
from knowledge.embedders.base import Vectors
from knowledge.embedders.e5_folder import ensure_e5_folder
from knowledge.embedders.onnx_e5 import ONNX_FILE, OnnxE5Embedder, ensure_e5_onnx
from knowledge.embedders.registry import E5_MODEL_ID, ONNX_E5
from knowledge.errors import EmbedderError
from tests.conftest import MODEL_CACHE
from tests.knowledge.conftest import E5_TEXTS, sample_question_scores

TEXTS = [*E5_TEXTS, ""]  # an empty text too: sentence-transformers strips "query: " to "query:"

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def onnx_runtime() -> Embedder:
    return load_embedder(ONNX_E5, MODEL_CACHE)


def test_onnx_runtime_has_the_references_vectors(reference: Embedder, onnx_runtime: Embedder) -> None:
    for embed, ref in ((onnx_runtime.embed_queries, reference.embed_queries),
                       (onnx_runtime.embed_passages, reference.embed_passages)):
        ours, theirs = embed(TEXTS), ref(TEXTS)
        assert ours.shape == theirs.shape == (len(TEXTS), 384) and ours.dtype == np.float32
        assert np.all((ours * theirs).sum(axis=1) >= 0.9999)  # long texts too: both stop at 512 tokens
        np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert onnx_runtime.model_id == reference.model_id == E5_MODEL_ID  # one store serves either runtime
    assert onnx_runtime.embed_queries([]).shape == (0, 384)


def test_batches_of_any_size_come_back_in_the_callers_order(onnx_runtime: Embedder) -> None:
    folder = ensure_e5_folder(MODEL_CACHE)
    small = OnnxE5Embedder(folder, model_id=E5_MODEL_ID, batch=3, threads=1)
    texts = [*TEXTS, *(f"第{n}个问题：快递到哪了{'？' * n}" for n in range(9))]

    one_by_one = np.concatenate([small.embed_queries([t]) for t in texts])

    np.testing.assert_allclose(small.embed_queries(texts), one_by_one, atol=2e-6)  # padding changes nothing
    np.testing.assert_allclose(onnx_runtime.embed_queries(texts), one_by_one, atol=2e-6)


def test_onnx_picks_the_same_entry_for_every_sample_question(reference_sample_scores: Vectors) -> None:
    onnx = OnnxE5Embedder(ensure_e5_folder(MODEL_CACHE), model_id=E5_MODEL_ID)
    ours, theirs = sample_question_scores(onnx), reference_sample_scores
    assert len(ours) > 400
    np.testing.assert_allclose(ours, theirs, atol=1e-4)
    assert (ours.argmax(axis=1) != theirs.argmax(axis=1)).sum() <= 1  # at most an exact tie read differently


def test_the_export_is_made_once() -> None:
    folder = ensure_e5_folder(MODEL_CACHE)
    path = ensure_e5_onnx(folder)
    stamp = path.stat().st_mtime_ns

    assert ensure_e5_onnx(folder) == path == folder / ONNX_FILE
    assert path.stat().st_mtime_ns == stamp
    assert [p.name for p in path.parent.iterdir()] == ["model.onnx"]  # no staging file left behind


def test_a_failed_export_leaves_nothing_and_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def half_then_fail(folder: Path, out: Path) -> None:
        out.write_bytes(b"half an export")
        raise RuntimeError("the exporter ran out of memory")

    monkeypatch.setattr(onnx_e5, "export_e5_onnx", half_then_fail)
    (tmp_path / "tokenizer.json").write_text("{}", encoding="utf-8")

    with pytest.raises(EmbedderError, match="ran out of memory"):
        OnnxE5Embedder(tmp_path, model_id="x")
    assert list((tmp_path / "onnx").iterdir()) == []


def test_a_corrupt_export_is_an_embedder_error(tmp_path: Path) -> None:
    (tmp_path / "onnx").mkdir()
    (tmp_path / ONNX_FILE).write_bytes(b"not a model")

    with pytest.raises(EmbedderError, match="could not load the ONNX embedding model"):
        OnnxE5Embedder(tmp_path, model_id="x")
