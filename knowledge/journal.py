"""The change journal: a change to a shop's knowledge base is written down, durably, before it touches the store,
and crossed off once its version and its audit row are recorded. A change a crash left in the journal is finished
by the next process that opens the shop (`KnowledgeVersions.recover`); docs/operations.md, "Crash consistency".

One file per change, `<id>.json`. The process making a change holds an `flock` on its file: the kernel drops the
lock when the process dies, however it dies, so a record nobody holds is one whose change was cut short."""

from __future__ import annotations

import fcntl
import logging
import os
import tempfile
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

from knowledge.errors import KnowledgeError
from knowledge.models import Entry

log = logging.getLogger("draftdesk.journal")


@dataclass(frozen=True)
class Origin:
    """Who asks for the changes made in this context: the API sets it per request, the CLI once."""

    actor: str = "-"
    role: str = "-"
    request_id: str = ""


NOBODY = Origin()  # frozen: a safe default for every context
acting: ContextVar[Origin] = ContextVar("knowledge_acting", default=NOBODY)


class Change(BaseModel):
    """What a change writes, as the indexer planned it: the entries to store as they are (learned examples
    merged) and the keys to delete. Re-applying it is idempotent: entries already stored are found unchanged."""

    reason: str
    base: int  # the latest version's number before the change (0: none): a version above it is this change's
    entries: list[dict[str, Any]]  # validated only when re-applied: one bad record must not stop a start
    delete: list[str]
    actor: str = "-"
    role: str = "-"
    request_id: str = ""
    at: datetime | None = None

    @classmethod
    def of(cls, reason: str, base: int, entries: list[Entry], delete: list[str], at: datetime | None) -> Change:
        origin = acting.get()
        return cls(reason=reason, base=base, entries=[e.model_dump(mode="json") for e in entries], delete=delete,
                   actor=origin.actor, role=origin.role, request_id=origin.request_id, at=at)

    def origin(self) -> Origin:
        return Origin(self.actor, self.role, self.request_id)

    def parsed(self) -> list[Entry]:
        return [Entry.model_validate(e) for e in self.entries]


class JournalError(KnowledgeError):
    code = "versions_unavailable"  # the journal lives with the versions: the same 503


class Pending:
    """A change written down, and the lock that says its process is alive."""

    def __init__(self, path: Path, fd: int, change: Change) -> None:
        self.path, self.change, self._fd = path, change, fd

    def done(self) -> None:
        """Cross it off, then let go of it: a process that finds it between the two sees it gone or locked."""
        self.path.unlink(missing_ok=True)
        self.release()

    def release(self) -> None:
        """Let go, leaving it in the journal for the next start (the change did not settle)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class ChangeAudit(Protocol):
    """Where a recorded version is reported (the audit log); `recovered`: by the start after a crash, which may
    find the row already written."""

    def changed(self, reason: str, number: int, origin: Origin, *, recovered: bool) -> None: ...


class NoAudit:
    def changed(self, reason: str, number: int, origin: Origin, *, recovered: bool) -> None:
        return None


class Journal:
    def __init__(self, directory: Path) -> None:
        self._dir = directory

    def begin(self, change: Change) -> Pending:
        """Written to a locked temporary file, synced, renamed into place, and the directory synced: once this
        returns, the change survives a crash or power loss, and no other process takes it for abandoned."""
        fd, tmp = -1, ""
        path = self._dir / f"{uuid.uuid4().hex}.json"
        try:
            self._dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self._dir, prefix=".tmp-")
            fcntl.flock(fd, fcntl.LOCK_EX)  # the lock is the inode's: it holds across the rename
            with open(fd, "wb", closefd=False) as handle:
                handle.write(change.model_dump_json().encode())
            os.fsync(fd)
            os.replace(tmp, path)
            _sync_dir(self._dir)
        except OSError as exc:
            if fd >= 0:  # the change fails here, before any write: nothing of it may be finished later
                for written in (Path(tmp), path):
                    written.unlink(missing_ok=True)
                os.close(fd)
            raise JournalError(f"cannot write to the change journal {self._dir}: {exc}") from exc
        return Pending(path, fd, change)

    def holds_any(self) -> bool:
        """Whether any change is written down, in flight or abandoned."""
        return self._dir.is_dir() and any(self._dir.glob("*.json"))

    def abandoned(self) -> list[Pending]:
        """The changes no live process holds, oldest first, each locked by this one until `done` or `release`.
        An unreadable record is logged and left where it is for an operator."""
        if not self._dir.is_dir():
            return []
        found: list[Pending] = []
        for path in sorted(self._dir.glob("*.json"), key=_mtime):
            taken = _take(path)
            if taken is None:
                continue
            try:
                found.append(Pending(path, taken, Change.model_validate_json(path.read_bytes())))
            except (OSError, ValidationError) as exc:
                os.close(taken)
                log.error("change journal: cannot read %s (%s); it is left in place", path, exc)
        for stale in self._dir.glob(".tmp-*"):  # a change never written in full was never begun
            fd = _take(stale)
            if fd is not None:
                stale.unlink(missing_ok=True)
                os.close(fd)
        return found


def _take(path: Path) -> int | None:
    """An open, locked descriptor of `path` when no process holds it and it is still there, else None."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.fstat(fd).st_ino != os.stat(path).st_ino:  # crossed off and replaced while we waited
            raise FileNotFoundError(path)
    except OSError:  # held by a live process, or gone
        os.close(fd)
        return None
    return fd


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _sync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
