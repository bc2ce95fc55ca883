"""The live announcements a draft carries: the board a shop keeps (`knowledge.announcements.Announcements`), or
none at all."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from knowledge.models import Entry


class NoticeBoard(Protocol):
    """Live announcements that apply to an order by their scope (intent, SKU, region), highest priority first."""

    def applicable(
        self, at: datetime, *, platform: str, locale: str, intent: str | None, skus: Sequence[str], region: str | None
    ) -> list[Entry]: ...

    def in_scope(self, entry: Entry, *, intent: str | None, skus: Sequence[str], region: str | None) -> bool: ...


class NoNotices:
    """A board with no announcements of its own: an announcement retrieval finds is scoped to no order, so it
    stays in every draft it matched."""

    def applicable(
        self, at: datetime, *, platform: str, locale: str, intent: str | None, skus: Sequence[str], region: str | None
    ) -> list[Entry]:
        return []

    def in_scope(self, entry: Entry, *, intent: str | None, skus: Sequence[str], region: str | None) -> bool:
        return True
