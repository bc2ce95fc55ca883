"""multilingual-e5-small on OpenVINO, the default where the CPU computes bfloat16 in hardware: the folder's BERT
converted once to OpenVINO's own format (`ensure_e5_openvino`) and compiled for the CPU in bfloat16 (oneDNN's
AVX512-BF16 or AMX kernels; OpenVINO keeps layer norms, softmax and pooling in float32), or at full precision when
asked. Its vectors are the reference's within cosine 0.9999. On a two-core AMD EPYC (AVX512-BF16) it embeds bench
passages ~1.2x as fast as torch in bfloat16 and ~1.8x as fast as ONNX Runtime, and eight messages in one pass ~1.4x
as fast as ONNX Runtime; on a two-core Intel Xeon with AMX ~3x as fast again (docs/embeddings.md)."""

from __future__ import annotations

import os
import queue
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from knowledge.embedders.e5_tokens import E5Runtime, Tokens
from knowledge.embedders.torch_e5 import pooled_e5
from knowledge.errors import EmbedderError

# Inside the model folder. Converted from the PyTorch model, not read from the ONNX export: OpenVINO's PyTorch
# frontend keeps each layer's attention as one ScaledDotProductAttention, which the CPU plugin runs as one fused node
# (781 nodes compiled against the export's 1,106, whose attention is matmuls, softmax and transposes). On the 2-core
# Xeon with AMX: one message 3.1 against 3.6 ms, eight 15.5 against 16.2 ms, 32 passages of 128 tokens 201 against
# 223 ms, in bfloat16 on two threads.
OPENVINO_DIR = "openvino"
OPENVINO_FILE = f"{OPENVINO_DIR}/model.xml"  # and model.bin beside it

# Passes are padded to a multiple of 16 tokens: OpenVINO compiles kernels for each shape it first meets (~6 ms for one
# message, ~40 ms for 32 passages), and on AMX, whose tiles hold 16 rows, the padding costs little or nothing.
WIDTH_STEP = 16
# And hold at most 2,048 tokens (up to 64 texts): a pass's activations then stay in the cores' caches. Passages of
# ~125 tokens embed ~10 % faster than in passes of 32, those of ~240 tokens in passes of 8 faster still.
PASS_TOKENS = 2048


def ensure_e5_openvino(folder: Path) -> Path:
    """The folder's model in OpenVINO's format, converted once (written aside, then renamed into place) if it is
    missing."""
    target = folder / OPENVINO_FILE
    if target.exists():
        return target
    staging = Path(tempfile.mkdtemp(prefix=".openvino-", dir=folder))
    try:
        convert_e5(folder, staging / target.name)
        try:
            staging.rename(target.parent)
        except OSError:
            if not target.exists():  # else another process's conversion got there first: as good as ours
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def convert_e5(folder: Path, out: Path) -> None:
    """The folder's BERT with mean pooling and normalization (`pooled_e5`), traced by OpenVINO's PyTorch frontend
    (dynamic batch and length) and saved at full precision: precision is chosen when it is compiled."""
    import openvino
    import torch

    model = pooled_e5(folder)
    sample = torch.tensor([[0, 6, 2]])
    shape = [-1, -1]
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on Python control flow in transformers' BERT
        converted = openvino.convert_model(model, example_input=(sample, torch.ones_like(sample)), input=[
            ("input_ids", shape, openvino.Type.i64), ("attention_mask", shape, openvino.Type.i64)])
    openvino.save_model(converted, str(out), compress_to_fp16=False)


def bf16_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> list[str]:
    """This CPU's bfloat16 instructions (`avx512_bf16`, `amx_bf16`) among the flags Linux reports, read so that
    asking loads nothing; none where there are none to read."""
    try:
        flags = next((line for line in cpuinfo.read_text().splitlines() if line.startswith("flags")), "").split()
    except OSError:
        return []
    return [flag for flag in ("avx512_bf16", "amx_bf16") if flag in flags]


def native_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether this CPU computes bfloat16 in hardware (elsewhere it is emulated, slower than float32)."""
    return bool(bf16_flags(cpuinfo))


class OpenVinoE5Embedder(E5Runtime):
    """Safe to call from several threads: each pass takes an inference request of its own from a pool."""

    def __init__(self, folder: Path, *, model_id: str, bf16: bool = True, threads: int | None = None,
                 batch: int = 64) -> None:
        try:
            import openvino

            core = openvino.Core()
            self._compiled: Any = core.compile_model(core.read_model(str(ensure_e5_openvino(folder))), "CPU", {
                "INFERENCE_PRECISION_HINT": "bf16" if bf16 else "f32",
                "INFERENCE_NUM_THREADS": threads or os.cpu_count() or 1,
                "PERFORMANCE_HINT": "LATENCY",  # one stream: a pass uses every core
            })
        except Exception as exc:  # ImportError, OSError, the conversion's errors, OpenVINO's RuntimeError
            raise EmbedderError(f"could not load the embedding model from {folder} on OpenVINO: {exc}") from exc
        self._requests: queue.SimpleQueue[Any] = queue.SimpleQueue()
        super().__init__(folder, model_id=model_id,
                         dimension=int(self._compiled.output(0).get_partial_shape()[1].get_length()), batch=batch,
                         width_step=WIDTH_STEP, pass_tokens=PASS_TOKENS)

    def _forward(self, ids: Tokens, mask: Tokens) -> npt.NDArray[Any]:
        """A request's output tensor is its own memory, reused by its next pass: copied out before it goes back."""
        try:
            request = self._requests.get_nowait()
        except queue.Empty:
            request = self._compiled.create_infer_request()
        try:
            return np.array(request.infer({"input_ids": ids, "attention_mask": mask})[0], dtype=np.float32)
        finally:
            self._requests.put(request)
