"""Products in the vector store, for finding the one a buyer names in words ("那个乳胶枕", "the cast iron pot").

Each product is one record under its SKU: its titles and attributes embedded as a passage, with the digest of that
text, so that a re-import embeds only products whose words changed. The facts themselves live in SQL
(`catalog/facts.py`); a record whose SKU SQL no longer holds is ignored when matching and removed on the next import.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from catalog.models import Product
from knowledge.embedders.base import Embedder, Vectors
from knowledge.errors import EmbedderMismatchError, StoreUnavailableError

_BATCH = 1000  # records per chroma call: it caps the size of one write


def match_text(product: Product) -> str:
    """What a buyer may call the product: its titles and its attributes, names and values."""
    attributes = "；".join(f"{k}：{','.join(v) if isinstance(v, list) else v}" for k, v in product.attributes.items())
    return " / ".join(part for part in (product.title, product.title_en or "", attributes) if part)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class Scored:
    sku: str
    score: float


class ProductIndex:
    """One chroma collection of product records; the embedder's model id is recorded on it and checked on open."""

    def __init__(self, client: Any, collection: str, embedder: Embedder) -> None:
        self._embedder = embedder
        try:
            self._col = client.get_or_create_collection(
                collection, embedding_function=None, metadata={"embedder": embedder.model_id},
                configuration={"hnsw": {"space": "cosine"}},
            )
        except Exception as exc:
            raise StoreUnavailableError(f"cannot open collection {collection!r}: {exc}") from exc
        recorded = (self._col.metadata or {}).get("embedder")
        if recorded != embedder.model_id:
            raise EmbedderMismatchError(f"collection {collection!r} was built with embedder {recorded!r}, "
                                        f"not {embedder.model_id!r}")

    def digests(self) -> dict[str, str]:
        """Every record's SKU and the digest of the text it was embedded from."""
        found: dict[str, str] = {}
        try:
            total = self._col.count()
            for offset in range(0, total, _BATCH):
                got = self._col.get(include=["metadatas"], limit=_BATCH, offset=offset)
                found.update((sku, str((meta or {}).get("digest", ""))) for sku, meta in
                             zip(got["ids"], got["metadatas"] or [], strict=False))
        except Exception as exc:
            raise StoreUnavailableError(f"cannot read the product index: {exc}") from exc
        return found

    def sync(self, products: Sequence[Product], known: dict[str, str] | None = None) -> int:
        """Embed and write the products whose text is new or changed; returns how many were embedded."""
        known = self.digests() if known is None else known
        stale = [(p.sku, text) for p in products if known.get(p.sku) != digest(text := match_text(p))]
        for start in range(0, len(stale), _BATCH):
            part = stale[start:start + _BATCH]
            vectors = self._embedder.embed_passages([text for _, text in part])
            self._write([sku for sku, _ in part], [{"digest": digest(text)} for _, text in part], vectors)
        return len(stale)

    def remove(self, skus: Iterable[str]) -> None:
        skus = list(skus)
        if not skus:
            return
        try:
            for start in range(0, len(skus), _BATCH):
                self._col.delete(ids=skus[start:start + _BATCH])
        except Exception as exc:
            raise StoreUnavailableError(f"cannot remove products from the index: {exc}") from exc

    def nearest(self, vector: Vectors, k: int) -> list[Scored]:
        """The `k` products nearest to a query vector, best first (cosine similarity)."""
        try:
            if self._col.count() == 0:
                return []
            got = self._col.query(query_embeddings=[vector.tolist()], n_results=k, include=["distances"])
        except Exception as exc:
            raise StoreUnavailableError(f"cannot search the product index: {exc}") from exc
        ids, distances = got["ids"][0], (got["distances"] or [[]])[0]
        return [Scored(sku, 1.0 - float(d)) for sku, d in zip(ids, distances, strict=True)]

    def _write(self, ids: list[str], metas: list[dict[str, Any]], vectors: Vectors) -> None:
        try:
            self._col.upsert(ids=ids, metadatas=metas, embeddings=vectors.tolist())
        except Exception as exc:
            raise StoreUnavailableError(f"cannot write the product index: {exc}") from exc
