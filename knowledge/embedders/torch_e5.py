"""multilingual-e5-small on torch, for bulk work: BERT with mean pooling and normalization in one module (the same
module the ONNX export traces), in bfloat16 under autocast where the CPU computes bfloat16 natively (AVX512-BF16 or
AMX). Layer norms, softmax and pooling stay float32: its vectors are the full-precision ones within cosine 0.99998
and pick the same best entry for 99.6 % of 700 dev messages (README, Embeddings). Long passages embed about twice
as fast as at full precision; one short message is slower than on ONNX Runtime, so the server keeps ONNX Runtime
for drafts and hands indexing's passages here (`BulkEmbedder`)."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from knowledge.embedders.base import Vectors
from knowledge.embedders.e5_tokens import PASSAGE, QUERY, E5Tokens, Tokens
from knowledge.errors import EmbedderError

_CALL_TOKENS = 64  # a pass costs ~13 ms on two cores, a token ~0.18 ms in bfloat16 (see `e5_tokens.groups`)


def native_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether this CPU computes bfloat16 in hardware (elsewhere torch emulates it, slower than float32), read from
    the flags Linux reports, so that asking does not load torch; False where there are none to read."""
    try:
        flags = next((line for line in cpuinfo.read_text().splitlines() if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def pooled_e5(folder: Path) -> Any:
    """The folder's BERT with mean pooling over the attention mask and L2 normalization, in eval mode."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # a bar per model load is noise in logs

    class Pooled(torch.nn.Module):
        def __init__(self, bert: Any) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state.float()
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, dim=-1)

    return Pooled(AutoModel.from_pretrained(str(folder), local_files_only=True)).eval()


class TorchE5Embedder:
    def __init__(self, folder: Path, *, model_id: str, bf16: bool = True, batch: int = 32) -> None:
        try:
            self._model = pooled_e5(folder)
        except Exception as exc:  # ImportError, OSError, the library's errors on a bad folder
            raise EmbedderError(f"could not load the E5 model from {folder} on torch: {exc}") from exc
        self._tokens = E5Tokens(folder)
        self._model_id = model_id
        self._bf16 = bf16
        self._batch = batch

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dimension(self) -> int:
        return int(self._model.bert.config.hidden_size)

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self._tokens.embed(texts, QUERY, self._forward, batch=self._batch, dimension=self.dimension,
                                  call_tokens=_CALL_TOKENS)

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        return self._tokens.embed(texts, PASSAGE, self._forward, batch=self._batch, dimension=self.dimension,
                                  call_tokens=_CALL_TOKENS)

    def _forward(self, ids: Tokens, mask: Tokens) -> npt.NDArray[Any]:
        import torch

        bf16 = torch.autocast("cpu", dtype=torch.bfloat16) if self._bf16 else contextlib.nullcontext()
        with torch.inference_mode(), bf16:
            return np.asarray(self._model(torch.from_numpy(ids), torch.from_numpy(mask)).numpy())
