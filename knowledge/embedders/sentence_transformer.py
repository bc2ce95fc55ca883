"""sentence-transformers adapter: loads once, embeds in batches, wraps the library's errors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from knowledge.embedders.base import Vectors
from knowledge.errors import EmbedderError


class SentenceTransformerEmbedder:
    def __init__(self, model_path: str, model_id: str, *, batch_size: int = 32, device: str = "cpu") -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a progress bar per model load is noise in server logs

        try:
            self._model: Any = SentenceTransformer(model_path, device=device, local_files_only=True)
        except Exception as exc:  # the library raises OSError, ValueError, HF errors...
            raise EmbedderError(f"could not load embedding model {model_path!r}: {exc}") from exc
        self._model_id = model_id
        self._batch_size = batch_size
        prompts = getattr(self._model, "prompts", {}) or {}
        self._query_prompt = "query" if "query" in prompts else None
        self._passage_prompt = "passage" if "passage" in prompts else None
        dim = self._model.get_embedding_dimension()
        self._dimension = int(dim) if dim else int(self.embed_queries(["x"]).shape[1])

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, self._query_prompt)

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, self._passage_prompt)

    def _encode(self, texts: Sequence[str], prompt_name: str | None) -> Vectors:
        if not texts:
            return np.zeros((0, getattr(self, "_dimension", 0)), dtype=np.float32)
        try:
            vectors = self._model.encode(
                list(texts), prompt_name=prompt_name, batch_size=self._batch_size,
                normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False,
            )
        except Exception as exc:
            raise EmbedderError(f"embedding failed: {exc}") from exc
        return np.asarray(vectors, dtype=np.float32)
