"""Embedders turn text into normalized vectors; `load_embedder` picks one by name."""

from knowledge.embedders.base import Embedder
from knowledge.embedders.registry import DEFAULT_EMBEDDER, load_embedder

__all__ = ["DEFAULT_EMBEDDER", "Embedder", "load_embedder"]
