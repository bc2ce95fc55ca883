"""One shop's catalog: its facts in SQL, its products' words in the vector store, and an in-memory view that drafts
read. The view is re-read when the shop's revision moves (another worker imported), checked at most once a second.

Writes go index first, then SQL: a crash between the two leaves index records SQL does not hold, which matching
ignores and the next write removes; the facts a draft quotes are always SQL's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from catalog.facts import Applied, CatalogFacts, Outcome
from catalog.matching import ProductIndex
from catalog.models import Product, Promotion
from knowledge.embedders.base import Vectors


@dataclass(frozen=True)
class Imported:
    applied: Applied
    embedded: int  # products whose words were embedded (0 when only facts such as price or stock changed)


@dataclass(frozen=True)
class View:
    """One revision of the shop's catalog."""

    revision: int
    products: dict[str, Product] = field(default_factory=dict)
    promotions: tuple[Promotion, ...] = ()
    folded: dict[str, str] = field(default_factory=dict)  # upper-cased SKU → SKU: buyers type "qc-kit-ktl-17"

    def by_sku(self, sku: str) -> Product | None:
        found = self.products.get(sku)
        if found is None and (key := self.folded.get(sku.strip().upper())) is not None:
            found = self.products[key]
        return found


@dataclass(frozen=True)
class PromotionState:
    promotion: Promotion
    state: str  # upcoming, live or ended


class Catalog:
    def __init__(self, facts: CatalogFacts, index: ProductIndex, shop: str, *, refresh_s: float = 1.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._facts, self._index, self._shop = facts, index, shop
        self._refresh_s, self._monotonic = refresh_s, monotonic
        self._view = View(revision=-1)
        self._checked = float("-inf")
        self._read_lock = threading.Lock()
        self._write_lock = threading.Lock()  # one import at a time per process; SQL orders writers across workers

    @property
    def shop(self) -> str:
        return self._shop

    def view(self) -> View:
        now = self._monotonic()
        if now - self._checked < self._refresh_s:
            return self._view
        with self._read_lock:
            if now - self._checked >= self._refresh_s:
                if self._facts.revision(self._shop) != self._view.revision:
                    snap = self._facts.snapshot(self._shop)
                    products = {p.sku: p for p in snap.products}
                    self._view = View(snap.revision, products, tuple(snap.promotions),
                                      {sku.upper(): sku for sku in products})
                self._checked = now
        return self._view

    def apply(self, products: Sequence[Product] | None, promotions: Sequence[Promotion] | None, *,
              prune: bool = False) -> Imported:
        """Import: add and update what is given, and with `prune` delete what a given kind no longer holds."""
        with self._write_lock:
            known = self._index.digests()
            embedded = self._index.sync(products, known) if products is not None else 0
            applied = self._facts.apply(self._shop, products, promotions, prune=prune)
            given = {p.sku for p in products or ()}
            if applied.deleted_skus or any(sku not in given for sku in known):
                self._tidy(known)  # else every record is a product just written: nothing can be stray
            else:
                self._expire()
            return Imported(applied, embedded)

    def put_product(self, product: Product) -> Outcome:
        with self._write_lock:
            self._index.sync([product])
            outcome = self._facts.put_product(self._shop, product)
            self._expire()
            return outcome

    def delete_product(self, sku: str) -> bool:
        with self._write_lock:
            deleted = self._facts.delete_product(self._shop, sku)
            self._index.remove([sku])
            self._expire()
            return deleted

    def put_promotion(self, promotion: Promotion) -> Outcome:
        with self._write_lock:
            outcome = self._facts.put_promotion(self._shop, promotion)
            self._expire()
            return outcome

    def delete_promotion(self, promotion_id: str) -> bool:
        with self._write_lock:
            deleted = self._facts.delete_promotion(self._shop, promotion_id)
            self._expire()
            return deleted

    def nearest(self, vector: Vectors, k: int = 5) -> list[tuple[Product, float]]:
        """Products the vector is nearest to, best first; only those SQL holds and so a draft may quote."""
        view = self.view()
        if not view.products:
            return []
        found = self._index.nearest(vector, k + 3)  # a few spare for records a cut-short write left behind
        return [(view.products[s.sku], s.score) for s in found if s.sku in view.products][:k]

    def promotions_for(self, sku: str, platform: str, at: datetime) -> list[PromotionState]:
        """The promotions this SKU is in on this platform, live first, then upcoming by start, then ended."""
        order = {"live": 0, "upcoming": 1, "ended": 2}
        states = [PromotionState(p, p.state(at)) for p in self.view().promotions if p.covers(sku, platform)]
        return sorted(states, key=lambda s: (order[s.state], s.promotion.starts))

    def _tidy(self, known: dict[str, str]) -> None:
        """Drop index records whose SKU SQL does not hold (deleted now, or left by a write cut short)."""
        self._expire()
        held = self.view().products
        self._index.remove([sku for sku in known if sku not in held])

    def _expire(self) -> None:
        self._checked = float("-inf")
