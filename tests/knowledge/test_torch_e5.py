"""The bulk runtime (the E5 folder on torch, bfloat16 under autocast) against the reference: vectors within cosine
0.9999, long texts cut where the reference cuts them, the same best entry for all but a handful of the sample
questions; at full precision it is the reference. Where a CPU has no bfloat16 the default never loads it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge.embedders import DEFAULT_EMBEDDER, Embedder, load_embedder
from knowledge.embedders.base import Vectors
from knowledge.embedders.batching import BatchingEmbedder
from knowledge.embedders.e5_folder import ensure_e5_folder
from knowledge.embedders.onnx_e5 import OnnxE5Embedder
from knowledge.embedders.registry import E5_MODEL_ID, ONNX_E5
from knowledge.embedders.torch_e5 import TorchE5Embedder, native_bf16
from knowledge.errors import EmbedderError
from tests.conftest import MODEL_CACHE
from tests.knowledge.conftest import E5_TEXTS, sample_question_scores

TEXTS = [*E5_TEXTS, ""]


@pytest.fixture(scope="module")
def bf16() -> TorchE5Embedder:
    return TorchE5Embedder(ensure_e5_folder(MODEL_CACHE), model_id=E5_MODEL_ID)  # bf16 even where it is emulated


@pytest.mark.model
def test_bf16_vectors_agree_with_the_reference(bf16: TorchE5Embedder, reference: Embedder) -> None:
    for ours, theirs in ((bf16.embed_queries(TEXTS), reference.embed_queries(TEXTS)),
                         (bf16.embed_passages(TEXTS), reference.embed_passages(TEXTS))):
        assert ours.shape == theirs.shape == (len(TEXTS), 384) and ours.dtype == np.float32
        assert np.all((ours * theirs).sum(axis=1) >= 0.9999)  # past 512 tokens too: cut where the reference cuts
        np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert bf16.model_id == reference.model_id and bf16.dimension == 384


@pytest.mark.model
def test_full_precision_on_torch_is_the_reference(reference: Embedder) -> None:
    fp32 = TorchE5Embedder(ensure_e5_folder(MODEL_CACHE), model_id=E5_MODEL_ID, bf16=False, batch=3)
    np.testing.assert_allclose(fp32.embed_passages(TEXTS), reference.embed_passages(TEXTS), atol=2e-6)


@pytest.mark.model
def test_bf16_moves_scores_less_than_a_thousandth_and_rarely_the_best_entry(
        bf16: TorchE5Embedder, reference_sample_scores: Vectors) -> None:
    ours, theirs = sample_question_scores(bf16), reference_sample_scores
    assert len(ours) > 400
    np.testing.assert_allclose(ours, theirs, atol=1e-3)
    assert (ours.argmax(axis=1) != theirs.argmax(axis=1)).sum() <= len(ours) // 100


@pytest.mark.model
def test_the_default_sends_passages_in_bulk_to_bf16_and_the_rest_to_onnx(monkeypatch: pytest.MonkeyPatch,
                                                                        reference: Embedder) -> None:
    built: list[Embedder] = []
    real = TorchE5Embedder

    def spy(folder: Path, *, model_id: str) -> TorchE5Embedder:
        built.append(real(folder, model_id=model_id))
        return built[-1]

    monkeypatch.setattr("knowledge.embedders.registry.native_bf16", lambda: True)
    monkeypatch.setattr("knowledge.embedders.registry.TorchE5Embedder", spy)
    embedder = load_embedder(DEFAULT_EMBEDDER, MODEL_CACHE)

    many = [f"{text} #{n}" for n in range(10) for text in E5_TEXTS]
    embedder.embed_queries(E5_TEXTS[:3])
    embedder.embed_queries(many)
    embedder.embed_passages(E5_TEXTS)
    assert built == []  # drafts, the intent examples at start-up and a small upload never load torch
    vectors = embedder.embed_passages(many)
    embedder.embed_passages(many[:65])
    assert len(built) == 1  # loaded once, on the first large batch
    assert np.all((vectors * reference.embed_passages(many)).sum(axis=1) >= 0.9999)


def test_without_native_bf16_the_default_is_onnx_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("knowledge.embedders.registry.native_bf16", lambda: False)
    for name in (DEFAULT_EMBEDDER, ONNX_E5):
        embedder = load_embedder(name, MODEL_CACHE)
        assert isinstance(embedder, BatchingEmbedder)
        assert isinstance(vars(embedder)["_inner"], OnnxE5Embedder)


@pytest.mark.parametrize(("flags", "native"), [
    ("fpu sse avx2 avx512f avx512_bf16 avx512_vnni", True),
    ("fpu sse avx2 amx_bf16 amx_tile amx_int8", True),
    ("fpu sse avx2 avx512f avx512_vnni", False),
])
def test_native_bf16_reads_the_cpu_flags(tmp_path: Path, flags: str, native: bool) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nmodel name\t: a CPU\nflags\t\t: {flags}\n\nprocessor\t: 1\n")
    assert native_bf16(cpuinfo) is native
    assert native_bf16(tmp_path / "missing") is False


def test_a_missing_model_folder_is_an_embedder_error(tmp_path: Path) -> None:
    with pytest.raises(EmbedderError, match="could not load the E5 model"):
        TorchE5Embedder(tmp_path, model_id="x")
