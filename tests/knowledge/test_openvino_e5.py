"""The default runtime where the CPU has bfloat16 (the folder's model converted to OpenVINO's format) against the
reference: vectors within cosine 0.9999, long texts cut where the reference cuts them, scores within 0.002 and the
same best entry for all but a handful of the sample questions; at full precision it is the reference. Where a CPU has no
bfloat16 the default is ONNX Runtime, which never loads OpenVINO."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from knowledge.embedders import DEFAULT_EMBEDDER, Embedder, load_embedder, openvino_e5
from knowledge.embedders.base import Vectors
from knowledge.embedders.batching import BatchingEmbedder
from knowledge.embedders.e5_folder import ensure_e5_folder
from knowledge.embedders.onnx_e5 import OnnxE5Embedder
from knowledge.embedders.openvino_e5 import OPENVINO_FILE, OpenVinoE5Embedder, ensure_e5_openvino, native_bf16
from knowledge.embedders.registry import E5_MODEL_ID, ONNX_E5
from knowledge.errors import EmbedderError
from tests.conftest import MODEL_CACHE
from tests.knowledge.conftest import E5_TEXTS, sample_question_scores

TEXTS = [*E5_TEXTS, ""]


@pytest.fixture(scope="module")
def bf16() -> OpenVinoE5Embedder:
    return OpenVinoE5Embedder(ensure_e5_folder(MODEL_CACHE), model_id=E5_MODEL_ID)  # bf16 even where it is emulated


@pytest.mark.model
def test_bf16_vectors_agree_with_the_reference(bf16: OpenVinoE5Embedder, reference: Embedder) -> None:
    for ours, theirs in ((bf16.embed_queries(TEXTS), reference.embed_queries(TEXTS)),
                         (bf16.embed_passages(TEXTS), reference.embed_passages(TEXTS))):
        assert ours.shape == theirs.shape == (len(TEXTS), 384) and ours.dtype == np.float32
        assert np.all((ours * theirs).sum(axis=1) >= 0.9999)  # past 512 tokens too: cut where the reference cuts
        np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)
    assert bf16.model_id == reference.model_id and bf16.dimension == 384


@pytest.mark.model
def test_full_precision_on_openvino_is_the_reference(reference: Embedder) -> None:
    """Its passes are padded to a multiple of 16 tokens: at full precision the padding is seen to change nothing."""
    fp32 = OpenVinoE5Embedder(ensure_e5_folder(MODEL_CACHE), model_id=E5_MODEL_ID, bf16=False, batch=3)
    np.testing.assert_allclose(fp32.embed_passages(TEXTS), reference.embed_passages(TEXTS), atol=1e-5)
    np.testing.assert_allclose(fp32.embed_queries(TEXTS), reference.embed_queries(TEXTS), atol=1e-5)


@pytest.mark.model
def test_passes_come_in_widths_of_16_tokens_and_hold_at_most_2048(bf16: OpenVinoE5Embedder,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """OpenVINO compiles kernels for each new shape: widths come in steps of 16, and long texts go fewer to a pass."""
    shapes: list[tuple[int, int]] = []
    forward = bf16._forward
    monkeypatch.setattr(bf16, "_forward", lambda ids, mask: shapes.append(ids.shape) or forward(ids, mask))
    texts = [f"第{n}个问题：{'快递到哪了' * (n % 40)}" for n in range(200)] + [E5_TEXTS[5]] * 9

    vectors = bf16.embed_passages(texts)

    assert vectors.shape == (len(texts), 384) and sum(rows for rows, _ in shapes) == len(texts)
    assert all(width % 16 == 0 and rows * width <= 2048 for rows, width in shapes), shapes
    assert (4, 512) in shapes  # the nine past 512 tokens: four to a pass


@pytest.mark.model
def test_bf16_moves_scores_less_than_two_thousandths_and_rarely_the_best_entry(
        bf16: OpenVinoE5Embedder, reference_sample_scores: Vectors) -> None:
    ours, theirs = sample_question_scores(bf16), reference_sample_scores  # messages and entries both in bf16
    assert len(ours) > 400
    np.testing.assert_allclose(ours, theirs, atol=2e-3)
    assert (ours.argmax(axis=1) != theirs.argmax(axis=1)).sum() <= len(ours) // 100


@pytest.mark.model
def test_batches_of_any_size_come_back_in_the_callers_order(bf16: OpenVinoE5Embedder) -> None:
    texts = [*TEXTS, *(f"第{n}个问题：快递到哪了{'？' * n}" for n in range(9))]
    one_by_one = np.concatenate([bf16.embed_queries([t]) for t in texts])
    together = bf16.embed_queries(texts)
    assert np.all((together * one_by_one).sum(axis=1) >= 0.9999)  # padding moves a vector by rounding at most


@pytest.mark.model
def test_concurrent_passes_each_get_their_own_vectors(bf16: OpenVinoE5Embedder) -> None:
    """Each thread's pass runs on a request of its own: no pass reads another's output."""
    texts = [f"{text} #{n}" for n in range(6) for text in E5_TEXTS[:5]]
    alone = [bf16.embed_queries([t]) for t in texts]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda t: bf16.embed_queries([t]), texts))
    for one, other in zip(alone, together, strict=True):
        np.testing.assert_allclose(one, other, atol=1e-6)


@pytest.mark.model
def test_the_default_is_openvino_where_the_cpu_has_bf16(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("knowledge.embedders.registry.native_bf16", lambda: True)
    embedder = load_embedder(DEFAULT_EMBEDDER, MODEL_CACHE)
    assert isinstance(embedder, BatchingEmbedder)
    assert isinstance(vars(embedder)["_inner"], OpenVinoE5Embedder)
    assert embedder.model_id == E5_MODEL_ID


def test_without_native_bf16_the_default_is_onnx_runtime_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("OpenVINO was loaded on a CPU without bfloat16")

    monkeypatch.setattr("knowledge.embedders.registry.native_bf16", lambda: False)
    monkeypatch.setattr("knowledge.embedders.registry.OpenVinoE5Embedder", never)
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
    with pytest.raises(EmbedderError, match=r"could not load the embedding model .* on OpenVINO"):
        OpenVinoE5Embedder(tmp_path, model_id="x")


def test_the_conversion_is_made_once() -> None:
    folder = ensure_e5_folder(MODEL_CACHE)
    path = ensure_e5_openvino(folder)
    stamp = path.stat().st_mtime_ns

    assert ensure_e5_openvino(folder) == path == folder / OPENVINO_FILE
    assert path.stat().st_mtime_ns == stamp
    assert sorted(p.name for p in path.parent.iterdir()) == ["model.bin", "model.xml"]
    assert not [p for p in folder.iterdir() if p.name.startswith(".openvino-")]  # no staging folder left behind


def test_a_failed_conversion_leaves_nothing_and_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def half_then_fail(folder: Path, out: Path) -> None:
        out.write_text("<half a model", encoding="utf-8")
        raise RuntimeError("the converter ran out of memory")

    monkeypatch.setattr(openvino_e5, "convert_e5", half_then_fail)

    with pytest.raises(EmbedderError, match="ran out of memory"):
        OpenVinoE5Embedder(tmp_path, model_id="x")
    assert list(tmp_path.iterdir()) == []


def test_a_corrupt_conversion_is_an_embedder_error(tmp_path: Path) -> None:
    (tmp_path / "openvino").mkdir()
    (tmp_path / OPENVINO_FILE).write_text("not a model", encoding="utf-8")

    with pytest.raises(EmbedderError, match=r"could not load the embedding model .* on OpenVINO"):
        OpenVinoE5Embedder(tmp_path, model_id="x")
