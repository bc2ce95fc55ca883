"""The audit log: who changed knowledge, announcements or keys, and who was refused, when, with which request."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import DateTime, Integer, String, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from drafting.history import create_tables, database_errors


class _Base(DeclarativeBase):
    pass


class _AuditRow(_Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(64))  # a key id, "cli", or "-" when keys are off / none was valid
    role: Mapped[str] = mapped_column(String(32))
    shop: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(200))  # "POST /v1/knowledge", "keys create", ...
    status: Mapped[int] = mapped_column(Integer)
    request_id: Mapped[str] = mapped_column(String(64))


@dataclass(frozen=True)
class AuditEvent:
    at: datetime
    actor: str
    role: str
    shop: str
    action: str
    status: int
    request_id: str


NO_SHOP = "-"  # a refused request that named no valid key


class AuditLog:
    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self._engine, self._clock = engine, clock
        with self._guard():
            create_tables(engine, _Base.metadata)

    def record(self, action: str, *, actor: str = "-", role: str = "-", shop: str = NO_SHOP, status: int = 0,
               request_id: str = "") -> None:
        row = _AuditRow(at=self._clock().astimezone(UTC).replace(tzinfo=None), actor=actor[:64], role=role[:32],
                        shop=shop[:64], action=action[:200], status=status, request_id=request_id[:64])
        with self._guard(), Session(self._engine) as session, session.begin():
            session.add(row)

    def recent(self, limit: int = 100, *, shop: str) -> list[AuditEvent]:
        """The shop's events, newest first, with the refusals of requests that named no valid key (shop `-`):
        those belong to no shop, and every shop's admin should see someone knocking."""
        query = select(_AuditRow).where(_AuditRow.shop.in_([shop, NO_SHOP])).order_by(_AuditRow.id.desc())
        with self._guard(), Session(self._engine) as session:
            rows = session.scalars(query.limit(limit))
            return [AuditEvent(at=r.at.replace(tzinfo=UTC), actor=r.actor, role=r.role, shop=r.shop, action=r.action,
                               status=r.status, request_id=r.request_id) for r in rows]

    @staticmethod
    def _guard() -> AbstractContextManager[None]:
        return database_errors("audit log: database error")
