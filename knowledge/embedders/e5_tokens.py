"""The E5 folder's tokenizer and the batching every E5 runtime shares: the `query: `/`passage: ` prefixes, texts cut
at 512 tokens as sentence-transformers cuts them, and batches of texts sorted by token count (not characters: a
Chinese character is about a token, an English one a quarter of one), each padded only to its longest text."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from knowledge.embedders.base import Vectors
from knowledge.errors import EmbedderError

MAX_TOKENS = 512  # the folder's max_seq_length: sentence-transformers cuts the prompt and text here
QUERY, PASSAGE = "query: ", "passage: "
Tokens = npt.NDArray[np.int64]
# What one more pass costs, in tokens of padding: on two cores ONNX Runtime takes ~4 ms a call and ~0.28 ms a token
CALL_TOKENS = 13


class E5Runtime:
    """What the E5 runtimes share around their one forward pass (`_forward`: input ids and attention mask to unit
    vectors): the folder's tokenizer, the prefixes and the batching."""

    def __init__(self, folder: Path, *, model_id: str, dimension: int, batch: int, width_step: int = 1,
                 pass_tokens: int | None = None) -> None:
        try:
            from tokenizers import Tokenizer

            self._tokenizer: Any = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except Exception as exc:  # ImportError, the library's Exception on a missing or corrupt file
            raise EmbedderError(f"could not load the E5 tokenizer from {folder}: {exc}") from exc
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.no_padding()
        self._pad = self._tokenizer.token_to_id("<pad>") or 0  # masked out: any id would do
        self._model_id = model_id
        self._dimension = dimension
        self._batch = batch
        self._width_step = width_step
        self._pass_tokens = pass_tokens

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self._embed(texts, QUERY)

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        return self._embed(texts, PASSAGE)

    def _forward(self, ids: Tokens, mask: Tokens) -> npt.NDArray[Any]:
        raise NotImplementedError

    def _embed(self, texts: Sequence[str], prefix: str) -> Vectors:
        """`_forward` over at most `batch` texts at a time, shortest first, cut where padding would cost more than
        another call (`groups`); the vectors come back in the callers' order."""
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        try:
            ids = [e.ids for e in self._tokenizer.encode_batch([(prefix + t).strip() for t in texts])]
            order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
            widths = [self._width(len(ids[i])) for i in order]
            for start, end in groups(widths, self._batch, tokens=self._pass_tokens):
                part = order[start:end]
                width = widths[end - 1]
                padded = np.full((len(part), width), self._pad, dtype=np.int64)
                mask = np.zeros((len(part), width), dtype=np.int64)
                for row, i in enumerate(part):
                    padded[row, :len(ids[i])] = ids[i]
                    mask[row, :len(ids[i])] = 1
                out[part] = self._forward(padded, mask)
        except Exception as exc:
            raise EmbedderError(f"embedding failed: {exc}") from exc
        return out


    def _width(self, tokens: int) -> int:
        """A pass's width: its longest text, rounded up to a multiple of `width_step` (padding is masked out)."""
        return -(-tokens // self._width_step) * self._width_step


def groups(lengths: Sequence[int], batch: int, call: int = CALL_TOKENS,
           tokens: int | None = None) -> list[tuple[int, int]]:
    """Where to cut texts sorted by token count into passes of at most `batch` (and, given `tokens`, of at most that
    many padded tokens, but never less than one text), each padded to its longest: the cuts that cost least, counting
    `call` tokens a pass. Eight dev messages of 9-64 tokens pad ~30 % in one pass; a long one among short ones then
    gets a pass of its own."""
    best = [0] * (len(lengths) + 1)
    cut = [0] * (len(lengths) + 1)
    for end in range(1, len(lengths) + 1):
        most = batch if tokens is None else max(1, min(batch, tokens // max(1, lengths[end - 1])))
        best[end], cut[end] = min((best[start] + call + (end - start) * lengths[end - 1], start)
                                  for start in range(max(0, end - most), end))
    bounds: list[tuple[int, int]] = []
    end = len(lengths)
    while end > 0:
        bounds.append((cut[end], end))
        end = cut[end]
    return bounds[::-1]
