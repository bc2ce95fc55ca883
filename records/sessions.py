"""Console sessions: the console's cookie carries a random session id, never the API key.

Sessions live in the draft-log database, so every worker of a server knows them; only the sha256 of the id is
kept. A session ends when it expires, when the console signs out, or when its key is revoked (checked on every
use). Each session has a CSRF token, which the console's pages carry and its scripts send back on every write.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime, String, delete
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from core.sql import create_tables
from records.history import database_errors
from records.keys import ApiKey, KeyStore

SESSION_TTL = timedelta(hours=12)


class _Base(DeclarativeBase):
    pass


class _SessionRow(_Base):
    __tablename__ = "console_sessions"

    id_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(16), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)


@dataclass(frozen=True)
class ConsoleSession:
    key: ApiKey
    csrf_token: str


class ConsoleSessions:
    def __init__(self, engine: Engine, keys: KeyStore, clock: Callable[[], datetime],
                 ttl: timedelta = SESSION_TTL) -> None:
        self._engine, self._keys, self._clock, self._ttl = engine, keys, clock, ttl
        with self._guard():
            create_tables(engine, _Base.metadata)

    @property
    def ttl(self) -> timedelta:
        return self._ttl

    def open(self, key: ApiKey) -> tuple[str, str]:
        """A new session for `key`: its id (for the cookie) and its CSRF token. Expired sessions are dropped."""
        session_id, token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self._now()
        row = _SessionRow(id_sha256=_sha256(session_id), key_id=key.id, csrf_token=token, expires_at=now + self._ttl)
        with self._guard(), Session(self._engine) as session, session.begin():
            session.execute(delete(_SessionRow).where(_SessionRow.expires_at <= now))
            session.add(row)
        return session_id, token

    def find(self, session_id: str) -> ConsoleSession | None:
        """The live session `session_id` names, or None (unknown, expired, or its key revoked)."""
        if not session_id or len(session_id) > 100:
            return None
        with self._guard(), Session(self._engine) as session:
            row = session.get(_SessionRow, _sha256(session_id))
            if row is None or row.expires_at <= self._now():
                return None
            key_id, token = row.key_id, row.csrf_token
        key = self._keys.active(key_id)
        return None if key is None else ConsoleSession(key, token)

    def close(self, session_id: str) -> None:
        with self._guard(), Session(self._engine) as session, session.begin():
            session.execute(delete(_SessionRow).where(_SessionRow.id_sha256 == _sha256(session_id)))

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC).replace(tzinfo=None)

    @staticmethod
    def _guard() -> AbstractContextManager[None]:
        return database_errors("console sessions: database error")


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
