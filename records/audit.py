"""The audit log: who changed knowledge, announcements or keys, and who was refused, when, with which request.

Refusals of requests that named no valid key are one row per source and window, carrying a count (api/audit.py
aggregates them). Rows older than the retention are dropped, checked at most once an hour as rows are written."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime, Integer, String, delete, inspect, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from core.sql import create_tables
from records.history import database_errors


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
    source: Mapped[str] = mapped_column(String(64), default="")  # the client address, for refusals
    count: Mapped[int] = mapped_column(Integer, default=1)  # the refusals one row stands for


# Columns added after the table first shipped: an older log gains them on start.
_LATER_COLUMNS = (("source", "VARCHAR(64) NOT NULL DEFAULT ''"), ("count", "INTEGER NOT NULL DEFAULT 1"))
_PRUNE_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class AuditEvent:
    at: datetime
    actor: str
    role: str
    shop: str
    action: str
    status: int
    request_id: str
    source: str = ""
    count: int = 1


NO_SHOP = "-"  # a refused request that named no valid key


class AuditLog:
    def __init__(self, engine: Engine, clock: Callable[[], datetime], retention: timedelta | None = None) -> None:
        """`retention`: how long rows are kept (None: for ever)."""
        self._engine, self._clock, self._retention = engine, clock, retention
        self._pruned: datetime | None = None
        with self._guard():
            create_tables(engine, _Base.metadata)
            _add_columns(engine)

    def record(self, action: str, *, actor: str = "-", role: str = "-", shop: str = NO_SHOP, status: int = 0,
               request_id: str = "", source: str = "", count: int = 1) -> int:
        """The new row's id (`add_count` raises its count)."""
        now = self._now()
        row = _AuditRow(at=now, actor=actor[:64], role=role[:32], shop=shop[:64], action=action[:200], status=status,
                        request_id=request_id[:64], source=source[:64], count=count)
        with self._guard(), Session(self._engine) as session, session.begin():
            if self._retention is not None and (self._pruned is None or now - self._pruned >= _PRUNE_EVERY):
                session.execute(delete(_AuditRow).where(_AuditRow.at < now - self._retention))
                self._pruned = now
            session.add(row)
            session.flush()
            return row.id

    def add_count(self, row_id: int, more: int) -> None:
        with self._guard(), Session(self._engine) as session, session.begin():
            session.execute(update(_AuditRow).where(_AuditRow.id == row_id).values(count=_AuditRow.count + more))

    def recent(self, limit: int = 100, *, shop: str, unattributed: bool = False) -> list[AuditEvent]:
        """The shop's events, newest first; with `unattributed`, also the refusals of requests that named no valid
        key (shop `-`): they belong to no shop, so only a server admin sees them (api/routes/audit.py)."""
        shops = [shop, NO_SHOP] if unattributed else [shop]
        query = select(_AuditRow).where(_AuditRow.shop.in_(shops)).order_by(_AuditRow.id.desc())
        with self._guard(), Session(self._engine) as session:
            rows = session.scalars(query.limit(limit))
            return [AuditEvent(at=r.at.replace(tzinfo=UTC), actor=r.actor, role=r.role, shop=r.shop, action=r.action,
                               status=r.status, request_id=r.request_id, source=r.source, count=r.count)
                    for r in rows]

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC).replace(tzinfo=None)

    @staticmethod
    def _guard() -> AbstractContextManager[None]:
        return database_errors("audit log: database error")


def _add_columns(engine: Engine) -> None:
    """Workers starting together may race to add a column: the loser finds it there."""
    for name, definition in _LATER_COLUMNS:
        if name in _columns(engine):
            continue
        try:
            with engine.begin() as conn:
                conn.execute(text(f"ALTER TABLE audit_log ADD COLUMN {name} {definition}"))
        except SQLAlchemyError:
            if name not in _columns(engine):
                raise


def _columns(engine: Engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("audit_log")}
