"""The draft log: every draft with its request, citations, provider, latency and knowledge-base version, and what
the agent did with it (accepted, edited, rejected). SQLAlchemy: SQLite by default, PostgreSQL when several API
workers or hosts share one log (both are tested); the adapter wraps its errors."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from rapidfuzz.distance import Levenshtein
from sqlalchemy import (
    JSON,
    Engine,
    ForeignKey,
    String,
    Text,
    create_engine,
    event,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from core import sql
from core.errors import DraftdeskError
from core.shop_ids import DEFAULT_SHOP
from core.sql import UtcDateTime, create_tables
from drafting.models import Draft, DraftRequest
from knowledge.grouping import Grouped

Action = Literal["accepted", "edited", "rejected"]
ACTIONS: tuple[Action, ...] = ("accepted", "edited", "rejected")


class HistoryError(DraftdeskError):
    code = "history_error"


class DraftNotFoundError(HistoryError):
    code = "not_found"


class InvalidFeedbackError(HistoryError):
    code = "invalid_request"


class DatabaseUnavailableError(HistoryError):
    code = "database_unavailable"


class _Base(DeclarativeBase):
    pass


class _DraftRow(_Base):
    __tablename__ = "drafts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    shop: Mapped[str] = mapped_column(String(64), index=True, server_default=DEFAULT_SHOP)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    platform: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(8))
    role: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    draft: Mapped[str] = mapped_column(Text)
    citations: Mapped[list[str]] = mapped_column(JSON)
    intent: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float]
    needs_human: Mapped[bool]
    reasons: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    provider: Mapped[str] = mapped_column(Text)  # `vllm:<model path>` may be long; PostgreSQL enforces VARCHAR(n)
    degraded: Mapped[bool]
    latency_ms: Mapped[float]
    kb_version: Mapped[str] = mapped_column(String(64))
    answer_mode: Mapped[str | None] = mapped_column(String(16))  # null in logs made before answer modes
    source_id: Mapped[str | None] = mapped_column(String(200))  # the answering entry, in `entry` mode


class _FeedbackRow(_Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    draft_id: Mapped[str] = mapped_column(ForeignKey("drafts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    action: Mapped[str] = mapped_column(String(16))
    final_text: Mapped[str | None] = mapped_column(Text)
    edit_distance: Mapped[int | None]
    reason: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class Feedback:
    draft_id: str
    action: str
    created_at: datetime
    final_text: str | None
    edit_distance: int | None  # characters inserted, deleted or substituted; 0 when accepted, None when rejected
    reason: str | None


@dataclass(frozen=True)
class LoggedDraft:
    id: str
    shop: str
    created_at: datetime
    platform: str
    locale: str
    role: str
    message: str
    request: dict[str, Any]
    draft: str
    citations: list[str]
    intent: str | None
    confidence: float
    needs_human: bool
    reasons: list[dict[str, str]]
    provider: str
    degraded: bool
    latency_ms: float
    kb_version: str
    feedback: list[Feedback] = field(default_factory=list)  # oldest first; the last one counts
    answer_mode: str | None = None  # `entry`, `situation`, `playbook` or `holding`; None before answer modes
    source_id: str | None = None  # the id of the entry that answered, in `entry` mode

    @property
    def outcome(self) -> Feedback | None:
        return self.feedback[-1] if self.feedback else None


def open_engine(url: str) -> Engine:
    """An engine for `url`; a SQLite file's folder is created."""
    try:
        parsed = make_url(url)
        sqlite = parsed.get_backend_name() == "sqlite"
        if sqlite and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database or "").parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed)
        if sqlite:
            event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    except (SQLAlchemyError, OSError) as exc:
        raise DatabaseUnavailableError(f"cannot open the database {url!r}: {exc}") from exc


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """Write-ahead logging: readers (analytics) never block the writer (drafts), and several workers share the file;
    a commit then costs no fsync of the database (synchronous=NORMAL: a power cut may lose the last commits, a
    crash of the process loses none); a writer waits for another up to 10 s instead of failing at once."""
    cursor = connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=10000"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


class DraftLog:
    """Drafts and feedback in a SQL database; tables are created when missing."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self._engine, self._clock = engine, clock
        self._writes: Grouped[dict[str, Any], None] = Grouped(self._insert, limit=64)
        with self._guard():
            create_tables(engine, _Base.metadata)
            _add_columns(engine)

    def close(self) -> None:
        self._engine.dispose()

    def record(self, request: DraftRequest, draft: Draft, kb_version: str, *, shop: str) -> str:
        """The draft's id, once its row is committed; rows of concurrent drafts share one commit."""
        row = dict(
            id=uuid.uuid4().hex, shop=shop, created_at=self._clock(), platform=request.platform, locale=draft.language,
            role=request.role, message=_text(request.message), request=request.model_dump(mode="json"),
            draft=_text(draft.draft),
            citations=[c.id for c in draft.citations], intent=draft.intent, confidence=draft.confidence,
            needs_human=draft.needs_human, reasons=[r.model_dump() for r in draft.reasons], provider=draft.provider,
            degraded=draft.degraded, latency_ms=draft.latency_ms, kb_version=kb_version,
            answer_mode=draft.answer_mode, source_id=source_id(draft),
        )
        self._writes(row)
        return str(row["id"])

    def _insert(self, rows: list[dict[str, Any]]) -> list[None]:
        with self._guard(), self._engine.begin() as connection:
            connection.execute(insert(_DraftRow), rows)
        return [None] * len(rows)

    def feedback(self, draft_id: str, action: str, final_text: str | None = None,
                 reason: str | None = None, *, shop: str) -> Feedback:
        """Every action is kept; analytics count the latest one per draft."""
        final_text, reason = (None if v is None else _text(v) for v in (final_text, reason))
        with self._session() as session:
            row = _own(session, draft_id, shop)
            distance = _edit_distance(row.draft, action, final_text, reason)
            saved = _FeedbackRow(draft_id=draft_id, created_at=self._clock(), action=action,
                                 final_text=final_text, edit_distance=distance, reason=reason)
            session.add(saved)
            session.commit()
            return _feedback(saved)

    def get(self, draft_id: str, *, shop: str) -> LoggedDraft:
        with self._session() as session:
            row = _own(session, draft_id, shop)
            return self._with_feedback(session, [row])[0]

    def recent(self, limit: int = 50, offset: int = 0, *, shop: str) -> tuple[list[LoggedDraft], int]:
        """The shop's newest drafts first, and how many it has in all."""
        with self._session() as session:
            total = session.scalar(select(func.count()).select_from(_DraftRow).where(_DraftRow.shop == shop)) or 0
            rows = session.scalars(
                select(_DraftRow).where(_DraftRow.shop == shop)
                .order_by(_DraftRow.created_at.desc(), _DraftRow.id).limit(limit).offset(offset)
            ).all()
            return self._with_feedback(session, list(rows)), total

    def between(self, since: datetime | None = None, until: datetime | None = None, *,
                shop: str) -> list[LoggedDraft]:
        """The shop's drafts made in [since, until), oldest first, with their feedback (what analytics read)."""
        query = select(_DraftRow).where(_DraftRow.shop == shop).order_by(_DraftRow.created_at, _DraftRow.id)
        if since is not None:
            query = query.where(_DraftRow.created_at >= since)
        if until is not None:
            query = query.where(_DraftRow.created_at < until)
        with self._session() as session:
            return self._with_feedback(session, list(session.scalars(query).all()))

    @staticmethod
    def _with_feedback(session: Session, rows: list[_DraftRow]) -> list[LoggedDraft]:
        found: dict[str, list[Feedback]] = {row.id: [] for row in rows}
        ids = list(found)
        for start in range(0, len(ids), 500):  # keep each IN (...) list short
            query = (select(_FeedbackRow).where(_FeedbackRow.draft_id.in_(ids[start:start + 500]))
                     .order_by(_FeedbackRow.created_at, _FeedbackRow.id))
            for saved in session.scalars(query):
                found[saved.draft_id].append(_feedback(saved))
        return [_logged(row, found[row.id]) for row in rows]

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._guard(), Session(self._engine, expire_on_commit=False) as session:
            yield session

    @staticmethod
    def _guard() -> AbstractContextManager[None]:
        return database_errors("database call failed")


@contextmanager
def database_errors(what: str) -> Iterator[None]:
    """SQLAlchemy's errors as `DatabaseUnavailableError` ("<what>: <error>"), for every table set of the records."""
    with sql.database_errors(what, DatabaseUnavailableError):
        yield


# Columns added since the first release: (name, definition, index to create with it)
_LATER_COLUMNS: tuple[tuple[str, str, str | None], ...] = (
    # a log made before shops (release 0.x): its drafts belong to the default shop
    ("shop", f"VARCHAR(64) NOT NULL DEFAULT '{DEFAULT_SHOP}'",
     "CREATE INDEX IF NOT EXISTS ix_drafts_shop ON drafts (shop)"),
    # a log made before answer modes: its drafts' modes are unknown (null), so none of them teaches an example
    ("answer_mode", "VARCHAR(16)", None),
    ("source_id", "VARCHAR(200)", None),
)


def _add_columns(engine: Engine) -> None:
    """An older log gets the columns it lacks. Workers starting together may race to add one: the loser finds it
    there."""
    present = _columns(engine)
    for name, definition, index in _LATER_COLUMNS:
        if name in present:
            continue
        try:
            with engine.begin() as conn:
                conn.execute(text(f"ALTER TABLE drafts ADD COLUMN {name} {definition}"))
                if index:
                    conn.execute(text(index))
        except SQLAlchemyError:
            if name not in _columns(engine):
                raise


def _columns(engine: Engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("drafts")}


def source_id(draft: Draft) -> str | None:
    """The entry a draft answers from: in `entry` mode its last citation (announcements come before it)."""
    return draft.citations[-1].id if draft.answer_mode == "entry" and draft.citations else None


def _own(session: Session, draft_id: str, shop: str) -> _DraftRow:
    """The draft, if it is the shop's: another shop's draft is not found, as if it did not exist."""
    row = session.get(_DraftRow, draft_id)
    if row is None or row.shop != shop:
        raise DraftNotFoundError(f"no draft {draft_id!r}")
    return row


def _text(value: str) -> str:
    """PostgreSQL text cannot hold NUL: stored as U+FFFD on every backend, so both logs read back alike."""
    return value.replace("\x00", "\ufffd")


def _edit_distance(draft: str, action: str, final_text: str | None, reason: str | None) -> int | None:
    if action == "accepted":
        if final_text is not None and final_text != draft:
            raise InvalidFeedbackError("final_text differs from the draft: send action 'edited'")
        return 0
    if action == "edited":
        if not final_text or not final_text.strip():
            raise InvalidFeedbackError("an edited draft needs its final_text")
        if final_text == draft:
            raise InvalidFeedbackError("final_text is the draft unchanged: send action 'accepted'")
        return int(Levenshtein.distance(draft, final_text))
    if action == "rejected":
        if not reason or not reason.strip():
            raise InvalidFeedbackError("a rejected draft needs a reason")
        return None
    raise InvalidFeedbackError(f"unknown action {action!r} (use {', '.join(ACTIONS)})")


def _feedback(row: _FeedbackRow) -> Feedback:
    return Feedback(draft_id=row.draft_id, action=row.action, created_at=row.created_at, final_text=row.final_text,
                    edit_distance=row.edit_distance, reason=row.reason)


def _logged(row: _DraftRow, feedback: list[Feedback]) -> LoggedDraft:
    return LoggedDraft(
        id=row.id, shop=row.shop, created_at=row.created_at, platform=row.platform, locale=row.locale, role=row.role,
        message=row.message, request=row.request, draft=row.draft, citations=list(row.citations), intent=row.intent,
        confidence=row.confidence, needs_human=row.needs_human, reasons=list(row.reasons), provider=row.provider,
        degraded=row.degraded, latency_ms=row.latency_ms, kb_version=row.kb_version, feedback=feedback,
        answer_mode=row.answer_mode, source_id=row.source_id,
    )
