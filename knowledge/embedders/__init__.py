"""Embedders turn text into normalized vectors; `load_embedder` picks one by name."""

from knowledge.embedders.base import Embedder
from knowledge.embedders.lazy import LazyEmbedder
from knowledge.embedders.registry import DEFAULT_EMBEDDER, embedder_model_id, load_embedder

__all__ = ["DEFAULT_EMBEDDER", "Embedder", "LazyEmbedder", "embedder_model_id", "load_embedder"]
