"""Knowledge-base versions: a snapshot of every entry after each change, listed, and restorable (rollback).

Snapshots are JSONL files under one directory, with an index file; an unchanged knowledge base makes no new
version. A rollback restores the entries of a version (re-embedding only what changed since) and is itself a
new version, so it can be undone the same way.

Every change goes through `index`: written to the change journal, then to the store, then recorded as a version
and reported to the audit log, then crossed off the journal. `recover` finishes what a crash interrupted.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import logging
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ValidationError

from knowledge.errors import EntryNotFoundError, KnowledgeError
from knowledge.indexing import Indexer, IndexReport
from knowledge.journal import NOBODY, Change, ChangeAudit, Journal, NoAudit, Pending
from knowledge.models import Entry
from knowledge.store import EntryFilter, VectorStore

INDEX_FILE = "versions.json"
log = logging.getLogger("draftdesk.versions")


class Version(BaseModel):
    number: int
    created_at: datetime
    reason: str
    entries: int
    digest: str  # of every entry's content: equal digests, equal knowledge bases


class VersionsError(KnowledgeError):
    code = "versions_unavailable"


class KnowledgeVersions:
    """`journal` defaults to `directory/journal`; `audit` hears of every version a change records."""

    def __init__(self, store: VectorStore, indexer: Indexer, directory: Path, *, keep: int = 200,
                 journal: Journal | None = None, audit: ChangeAudit | None = None) -> None:
        self._store = store
        self._indexer = indexer
        self._dir = directory
        self._keep = keep
        self._journal = journal or Journal(directory / "journal")
        self._audit = audit or NoAudit()

    def index(self, entries: builtins.list[Entry], reason: str, *, prune_sources: builtins.list[str] | None = None,
              keep_learned: bool = True, delete: builtins.list[str] | None = None,
              at: datetime | None = None) -> tuple[IndexReport, Version | None]:
        """`Indexer.index` as one recorded change; the version it made, None when it wrote nothing. Journal, store,
        version, audit, journal crossed off: a crash anywhere leaves the change to `recover`."""
        base = self._number()
        pending: builtins.list[Pending] = []

        def journal(changed: builtins.list[Entry], gone: builtins.list[str]) -> None:
            pending.append(self._journal.begin(Change.of(reason, base, changed, gone, at)))

        try:
            try:
                report = self._indexer.index(entries, prune_sources=prune_sources or [], keep_learned=keep_learned,
                                             delete=delete or [], before_write=journal)
            except Exception:
                if pending:  # what reached the store is recorded now; a store failing that too waits for `recover`
                    self._settle(pending[0], reason + " (interrupted by an error)", recovered=False)
                raise
            version = self._settle(pending[0], reason, recovered=False) if pending else None
        finally:
            for p in pending:  # held until settled: no other process may take the change for abandoned
                p.release()
        return report, version

    def recover(self) -> builtins.list[Version]:
        """Finish the changes a crash left in the journal: write them again (what already reached the store is
        found unchanged), record the version, report it. A change that cannot be written again (its entries no
        longer valid, the model failing) is recorded as far as it got."""
        made: builtins.list[Version] = []
        for pending in self._journal.abandoned():
            change = pending.change
            try:
                try:
                    self._indexer.index(change.parsed(), keep_learned=False, delete=change.delete)
                    reason = f"{change.reason} (finished after a restart)"
                except (KnowledgeError, ValueError) as exc:
                    log.error("change %r could not be finished after a restart: %s", change.reason, exc)
                    reason = f"{change.reason} (interrupted; recorded as far as it got, after a restart)"
                version = self._settle(pending, reason, recovered=True)
            finally:
                pending.release()
            if version is not None:
                made.append(version)
        return made if self._journal.holds_any() else made + self._reconcile()

    def _reconcile(self) -> builtins.list[Version]:
        """A store that changed with no journal record (a crash under an older release, the `Indexer` used alone)
        gets a version too, once no change is in flight."""
        latest = self.latest()
        if latest is None or latest.digest == store_digest(self._store)[0]:
            return []  # no version yet: `knowledge.kbversion` records the first when a draft needs it
        version = self.snapshot("the knowledge base as found at start (changed without a version)")
        self._audit.changed(version.reason, version.number, NOBODY, recovered=True)
        return [version]

    def _settle(self, pending: Pending, reason: str, *, recovered: bool) -> Version | None:
        """Record the store as a version, report it if it is this change's, and cross the change off. After a
        crash, every version of this change is reported: the one recorded before the crash may be followed by
        another (the restarted indexer labels differently), and the audit side skips those it has."""
        change = pending.change
        version = self.snapshot(reason, change.at)
        mine = version.number > change.base
        if recovered:
            for made in sorted(self._read_index(), key=lambda v: v.number):
                if made.number > change.base and made.reason.startswith(change.reason):
                    self._audit.changed(made.reason, made.number, change.origin(), recovered=True)
        elif mine:
            self._audit.changed(version.reason, version.number, change.origin(), recovered=False)
        pending.done()
        return version if mine else None

    def _number(self) -> int:
        latest = self.latest()
        return latest.number if latest else 0

    def list(self) -> builtins.list[Version]:
        """Newest first."""
        return sorted(self._read_index(), key=lambda v: -v.number)

    def latest(self) -> Version | None:
        return max(self._read_index(), key=lambda v: v.number, default=None)

    def stamp(self) -> tuple[int, int, int] | None:
        """(inode, modification time in ns, size) of the index file, None before the first version: changes
        whenever a version is recorded (a new file replaces it), so a reader can tell when to read it again."""
        try:
            info = (self._dir / INDEX_FILE).stat()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise VersionsError(f"cannot read {self._dir / INDEX_FILE}: {exc}") from exc
        return info.st_ino, info.st_mtime_ns, info.st_size

    def snapshot(self, reason: str, at: datetime | None = None) -> Version:
        """Record the knowledge base as it is now; returns the latest version if nothing changed since."""
        digest = store_digest(self._store)[0]
        versions = self._read_index()
        latest = max(versions, key=lambda v: v.number, default=None)
        if latest is not None and latest.digest == digest:
            return latest
        entries = self._entries()
        version = Version(number=(latest.number + 1) if latest else 1, created_at=at or datetime.now(UTC),
                          reason=reason, entries=len(entries), digest=digest)
        lines = "".join(e.model_dump_json() + "\n" for e in entries)
        self._write(self._dir / f"{version.number}.jsonl", lines)
        kept = sorted([*versions, version], key=lambda v: v.number)[-self._keep:]
        for gone in {v.number for v in versions} - {v.number for v in kept}:
            (self._dir / f"{gone}.jsonl").unlink(missing_ok=True)
        self._write(self._dir / INDEX_FILE, json.dumps([v.model_dump(mode="json") for v in kept], indent=1))
        return version

    def entries(self, number: int) -> builtins.list[Entry]:
        path = self._dir / f"{number}.jsonl"
        if number not in {v.number for v in self._read_index()} or not path.exists():
            raise EntryNotFoundError(f"no knowledge-base version {number}")
        try:
            return [Entry.model_validate_json(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
        except (OSError, ValidationError) as exc:
            raise VersionsError(f"version {number} cannot be read: {exc}") from exc

    def rollback(self, number: int, at: datetime | None = None) -> tuple[IndexReport, Version]:
        """Make the knowledge base what it was at version `number`: its entries back, later ones deleted."""
        wanted = self.entries(number)
        keep = {e.key for e in wanted}
        extra = [k for k in self._store.keys(EntryFilter()) if k not in keep]
        reason = f"rollback to version {number}"
        # the examples learned by then, no others
        report, version = self.index(wanted, reason, keep_learned=False, delete=extra, at=at)
        return report, version or self.snapshot(reason, at)

    def _entries(self) -> builtins.list[Entry]:
        return self._store.get(sorted(self._store.keys(EntryFilter())))

    def _read_index(self) -> builtins.list[Version]:
        path = self._dir / INDEX_FILE
        if not path.exists():
            return []
        try:
            return [Version.model_validate(v) for v in json.loads(path.read_text(encoding="utf-8"))]
        except (OSError, ValueError) as exc:
            raise VersionsError(f"{path} cannot be read: {exc}") from exc

    def _write(self, path: Path, text: str) -> None:
        """Atomically: a crash mid-write leaves the previous file."""
        try:
            self._dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self._dir, prefix=".tmp-")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, path)
        except OSError as exc:
            raise VersionsError(f"cannot write {path}: {exc}") from exc


def store_digest(store: VectorStore) -> tuple[str, int]:
    """sha256 over the store's sorted entry keys and their content and text hashes, and the number of entries: two
    stores holding the same entries hash alike whatever order they were indexed in (what drafts and eval runs
    record). The text hash covers the examples learned from agents, which the content hash leaves out."""
    keys = sorted(store.keys(EntryFilter()))
    fingerprints = store.fingerprints(keys)
    digest = hashlib.sha256()
    for key in keys:
        content, texts = fingerprints.get(key, ("", ""))
        digest.update(f"{key}\t{content}\t{texts}\n".encode())
    return digest.hexdigest(), len(keys)
