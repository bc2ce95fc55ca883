"""multilingual-e5-small as one torch module: BERT with mean pooling and normalization, the graph the ONNX export
traces for ONNX Runtime (`onnx_e5.export_e5_onnx`) and OpenVINO converts for itself (`openvino_e5.convert_e5`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def pooled_e5(folder: Path) -> Any:
    """The folder's BERT with mean pooling over the attention mask and L2 normalization, in eval mode."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a bar per model load is noise in logs

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
