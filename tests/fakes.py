"""Fakes for fast unit tests: a hashing embedder and a scripted chat model. No mocks of our own code."""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Sequence

import numpy as np

from drafting.llm.base import OnDelta, UpstreamError

_TOKEN = re.compile(r"[\u4e00-\u9fff]|[a-z0-9]+")


class HashingEmbedder:
    """Bag of hashed tokens (CJK characters and bigrams, Latin words): shared words mean similar vectors."""

    def __init__(self, dimension: int = 256, model_id: str = "fake-hashing-256") -> None:
        self._dimension = dimension
        self._model_id = model_id
        self.calls: list[int] = []  # texts per call, to assert what was (not) embedded

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:  # type: ignore[type-arg]
        return self._embed(texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:  # type: ignore[type-arg]
        return self._embed(texts)

    def _embed(self, texts: Sequence[str]) -> np.ndarray:  # type: ignore[type-arg]
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            tokens = _TOKEN.findall(text.lower())
            grams = tokens + [a + b for a, b in itertools.pairwise(tokens)]
            for gram in grams or ["<empty>"]:
                slot = int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=4).digest(), "big")
                out[row, slot % self._dimension] += 1.0
            out[row] /= np.linalg.norm(out[row])
        return out

    @property
    def embedded(self) -> int:
        return sum(self.calls)


class ScriptedChatModel:
    """Returns (or raises) the scripted items in order and records every prompt it was given."""

    def __init__(self, *script: str | Exception, name: str = "scripted:test") -> None:
        self._script = list(script)
        self._name = name
        self.prompts: list[tuple[str, str]] = []

    @property
    def name(self) -> str:
        return self._name

    def complete(self, system: str, user: str, on_delta: OnDelta | None = None) -> str:
        """With `on_delta`, the reply arrives in three pieces, as a streaming model would send it."""
        self.prompts.append((system, user))
        if not self._script:
            raise UpstreamError("script exhausted")
        item = self._script.pop(0)
        if isinstance(item, Exception):
            raise item
        if on_delta is not None:
            step = max(1, len(item) // 3)
            for start in range(0, len(item), step):
                on_delta(item[start:start + step])
        return item
