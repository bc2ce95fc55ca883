"""What every table set on the shared database needs (the draft log, keys, audit, sessions, the catalog): UTC
timestamps, table creation that workers starting together may race on, and SQLAlchemy's errors as ours."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import DateTime, Dialect, Engine, MetaData, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.types import TypeDecorator

from core.errors import DraftdeskError

_SCHEMA_LOCK = 0x6472_6166_7464_6B  # "draftdk": PostgreSQL advisory lock taken while workers create tables


class UtcDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC (SQLite keeps no zone), read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def create_tables(engine: Engine, metadata: MetaData) -> None:
    """Several workers may start at once: on PostgreSQL they take turns (concurrent CREATE TABLEs collide); elsewhere
    a loser of the race finds more of the tables on each look, so one look per table (and one more) suffices."""
    attempts = len(metadata.tables) + 1
    for attempt in range(1, attempts + 1):
        try:
            with engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
                metadata.create_all(conn)
            return
        except SQLAlchemyError:
            if attempt == attempts:
                raise


@contextmanager
def database_errors(what: str, error: type[DraftdeskError]) -> Iterator[None]:
    """SQLAlchemy's errors as `error` ("<what>: <error>")."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise error(f"{what}: {exc}") from exc
