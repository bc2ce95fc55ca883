"""Shops (tenants): each has its own knowledge base (a Chroma collection), announcements, versions and drafter.

An API key belongs to one shop and sees only that shop's data. The shop `default` keeps the configured collection
name, so a single-shop installation reads the store it always had; another shop `S` uses `<collection>--S`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from catalog.service import Catalog
from core.shop_ids import DEFAULT_SHOP, check_shop
from drafting.service import DraftService
from drafting.written import WrittenReplies
from knowledge.announcements import Announcements
from knowledge.kbversion import KbVersion
from knowledge.service import KnowledgeBase
from knowledge.store import VectorStore
from knowledge.versions import KnowledgeVersions


@dataclass(frozen=True)
class Shop:
    name: str
    store: VectorStore
    knowledge: KnowledgeBase
    announcements: Announcements
    versions: KnowledgeVersions
    drafts: DraftService
    kb_version: KbVersion
    written: WrittenReplies
    catalog: Catalog


class Shops:
    """Every shop's parts, built by `build` on first use and kept for the life of the process."""

    def __init__(self, build: Callable[[str], Shop]) -> None:
        self._build = build
        self._shops: dict[str, Shop] = {}
        self._lock = threading.Lock()

    def built(self, name: str = DEFAULT_SHOP) -> Shop | None:
        """The shop if it is built already, None if `get` would have to build it (which may block)."""
        return self._shops.get(name)

    def get(self, name: str = DEFAULT_SHOP) -> Shop:
        shop = self._shops.get(name)
        if shop is not None:
            return shop
        name = check_shop(name)
        with self._lock:  # two first requests of a shop build it once
            if name not in self._shops:
                self._shops[name] = self._build(name)
            return self._shops[name]
