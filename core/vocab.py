"""The closed sets, each declared once; a schema, a rule file or a form that needs one imports it from here."""

from __future__ import annotations

from typing import Literal, get_args

Platform = Literal["taobao", "pdd", "jd", "amazon"]  # where a buyer writes
PLATFORMS: tuple[Platform, ...] = get_args(Platform)
EntryPlatform = Literal[Platform, "any"]  # what a knowledge entry applies to
ENTRY_PLATFORMS: tuple[EntryPlatform, ...] = get_args(EntryPlatform)

Locale = Literal["zh", "en"]
LOCALES: tuple[Locale, ...] = get_args(Locale)

Role = Literal["l1", "l2", "supervisor"]  # an agent's authority
ROLES: tuple[Role, ...] = get_args(Role)  # least authority first

KeyRole = Literal["agent", "knowledge_owner", "qa", "admin"]  # what an API key may do
KEY_ROLES: tuple[KeyRole, ...] = get_args(KeyRole)

Intent = Literal[
    "logistics", "cancel", "modify_order", "return_refund", "exchange", "price_protection", "coupon", "presale",
    "invoice", "product_question", "complaint", "bad_review_threat", "bargaining", "bulk_order", "greeting", "other",
]
INTENTS: tuple[Intent, ...] = get_args(Intent)
