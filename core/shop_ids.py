"""Shop ids: which strings name a shop, the shop a single-shop installation uses, and each shop's collection. Kept
apart from `composition.shops` so the draft log and the key store need not import the draft service."""

from __future__ import annotations

import re

from core.errors import DraftdeskError

DEFAULT_SHOP = "default"
# Chroma collection names allow [A-Za-z0-9._-] and must start and end with a letter or digit.
_SHOP_ID = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_-]{0,38}[A-Za-z0-9])?")


class InvalidShopError(DraftdeskError, ValueError):
    """A shop id that cannot name a shop (a ValueError too: pydantic validators raise it)."""

    code = "invalid_request"


def check_shop(shop: str) -> str:
    """`shop`, stripped, if it is a valid shop id: 1-40 ASCII letters, digits, '-' or '_', starting and ending
    with a letter or digit."""
    shop = shop.strip()
    if not _SHOP_ID.fullmatch(shop):
        raise InvalidShopError(f"shop {shop!r}: use 1-40 ASCII letters, digits, '-' or '_', starting and ending "
                               "with a letter or digit")
    return shop


def collection_name(collection: str, shop: str) -> str:
    return collection if shop == DEFAULT_SHOP else f"{collection}--{shop}"
