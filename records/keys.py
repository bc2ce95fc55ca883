"""API keys: a role each (agent, knowledge_owner, qa, admin) and a shop, stored hashed in the draft-log database.

A key reads `dd_<key id>_<secret>`; only the sha256 of the secret is kept (the secret is 256 random bits, so a
fast hash is enough, as for GitHub tokens). The plain key is shown once, when it is created.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import DateTime, String, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from core.shop_ids import DEFAULT_SHOP, InvalidShopError, check_shop
from core.sql import create_tables
from core.vocab import KEY_ROLES, KeyRole
from records.history import HistoryError, database_errors

PREFIX = "dd"
USE_RECORDED_EVERY = timedelta(minutes=1)  # how fresh `last_used_at` is kept


class ApiKeyError(HistoryError):
    """A bad role or shop; the API answers 422, the CLI exits non-zero."""

    code = "invalid_request"


class KeyNotFoundError(ApiKeyError):
    code = "not_found"


class _Base(DeclarativeBase):
    pass


class _KeyRow(_Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    shop: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


@dataclass(frozen=True)
class ApiKey:
    id: str
    role: KeyRole
    shop: str
    label: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class KeyStore:
    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self._engine, self._clock = engine, clock
        with self._guard():
            create_tables(engine, _Base.metadata)

    def create(self, role: str, shop: str = DEFAULT_SHOP, label: str = "") -> tuple[ApiKey, str]:
        """The new key's record and the plain key (shown once)."""
        if role not in KEY_ROLES:
            raise ApiKeyError(f"role must be one of {', '.join(KEY_ROLES)}, not {role!r}")
        try:
            shop = check_shop(shop)
        except InvalidShopError as exc:
            raise ApiKeyError(str(exc)) from exc
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        row = _KeyRow(id=key_id, secret_sha256=_sha256(secret), role=role, shop=shop, label=label[:200],
                      created_at=_naive(self._clock()))
        with self._guard(), Session(self._engine, expire_on_commit=False) as session, session.begin():
            session.add(row)
        return _key(row), f"{PREFIX}_{key_id}_{secret}"

    def verify(self, presented: str) -> ApiKey | None:
        """The active key `presented` is, or None (unknown, malformed, revoked); records its use (to the minute:
        a write per request would cost every request a commit)."""
        parts = presented.strip().split("_", 2)
        if len(parts) != 3 or parts[0] != PREFIX:
            return None
        with self._guard(), Session(self._engine, expire_on_commit=False) as session:
            row = session.get(_KeyRow, parts[1])
            if row is None or row.revoked_at is not None:
                return None
            if not hmac.compare_digest(row.secret_sha256, _sha256(parts[2])):
                return None
            now = _naive(self._clock())
            if row.last_used_at is None or now - row.last_used_at >= USE_RECORDED_EVERY:
                row.last_used_at = now
                session.commit()
            return _key(row)

    def active(self, key_id: str) -> ApiKey | None:
        """The key `key_id` if it exists and is not revoked (a console session asks on every use)."""
        with self._guard(), Session(self._engine, expire_on_commit=False) as session:
            row = session.get(_KeyRow, key_id)
            return None if row is None or row.revoked_at is not None else _key(row)

    def revoke(self, key_id: str) -> ApiKey:
        with self._guard(), Session(self._engine, expire_on_commit=False) as session, session.begin():
            row = session.get(_KeyRow, key_id)
            if row is None:
                raise KeyNotFoundError(f"no API key {key_id!r}")
            if row.revoked_at is None:
                row.revoked_at = _naive(self._clock())
            return _key(row)

    def list(self) -> list[ApiKey]:
        with self._guard(), Session(self._engine, expire_on_commit=False) as session:
            return [_key(r) for r in session.scalars(select(_KeyRow).order_by(_KeyRow.created_at, _KeyRow.id))]

    def any_active(self) -> bool:
        return any(k.active for k in self.list())

    @staticmethod
    def _guard() -> AbstractContextManager[None]:
        return database_errors("API keys: database error")


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC)


def _key(row: _KeyRow) -> ApiKey:
    return ApiKey(id=row.id, role=cast(KeyRole, row.role), shop=row.shop, label=row.label,
                  created_at=_aware(row.created_at) or row.created_at, revoked_at=_aware(row.revoked_at),
                  last_used_at=_aware(row.last_used_at))
