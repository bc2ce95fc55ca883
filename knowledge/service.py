"""What knowledge owners do: index files, uploads or rows; list, read and delete entries; and the examples an entry
learns from agents' drafts (added as they are sent, removed by the owner)."""

from __future__ import annotations

import builtins
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from knowledge.errors import EntryNotFoundError, ExampleNotFoundError, InvalidFileError
from knowledge.indexing import Indexer, IndexReport
from knowledge.labels import Labels
from knowledge.learned import with_learned, without_learned
from knowledge.loaders import knowledge_files, load_bytes, load_path, parse_entries
from knowledge.models import Entry
from knowledge.store import EntryFilter, VectorStore
from knowledge.versions import KnowledgeVersions


class KnowledgeBase:
    """With `versions`, every change that writes is journalled and recorded as a version (`KnowledgeVersions.index`):
    a crash mid-change is finished on the next start."""

    def __init__(self, store: VectorStore, indexer: Indexer, versions: KnowledgeVersions | None = None, *,
                 max_rows: int | None = None) -> None:
        self._store = store
        self._indexer = indexer
        self._versions = versions
        self._max_rows = max_rows  # entries one upload or request may carry (files on disk are not limited)
        self._learning = threading.Lock()  # two drafts sent at once from one entry: neither example is lost

    def index_paths(self, paths: Sequence[Path], *, prune: bool = False, dry_run: bool = False) -> IndexReport:
        """Every file is read before anything is written: one bad file leaves the store untouched. `dry_run`
        reports what would change (keys per bucket) and writes nothing."""
        entries = [entry for path in paths for entry in load_path(path)]
        sources = _sources(paths) if prune else []
        return self._write(entries, "index " + ", ".join(p.name for p in paths), prune_sources=sources, dry_run=dry_run)

    def index_upload(self, data: bytes, filename: str, *, prune: bool = False, dry_run: bool = False) -> IndexReport:
        source = f"upload:{Path(filename).name}"
        entries = self._capped(load_bytes(data, filename=filename, source=source), source)
        return self._write(entries, f"upload {Path(filename).name}", prune_sources=[source] if prune else [],
                           dry_run=dry_run)

    def index_rows(self, rows: Iterable[dict[str, Any]], *, source: str = "api", prune: bool = False,
                   dry_run: bool = False) -> IndexReport:
        entries = self._capped(parse_entries(rows, source), source)
        return self._write(entries, f"entries from {source}", prune_sources=[source] if prune else [],
                           dry_run=dry_run)

    def list(self, flt: EntryFilter, *, limit: int = 50, offset: int = 0) -> tuple[builtins.list[Entry], int]:
        keys = sorted(self._store.keys(flt))  # chroma's own order is not stable
        return self._store.get(keys[offset:offset + limit]), len(keys)

    def get(self, entry_id: str, locale: str | None = None) -> builtins.list[Entry]:
        entries = self._store.get(self._keys(entry_id, locale))
        return sorted(entries, key=lambda e: e.locale)

    def labels(self, entries: Sequence[Entry]) -> dict[str, Labels]:
        """The labels stored with each entry (what it answers), by `id@locale` key."""
        return self._store.labels([e.key for e in entries]) if entries else {}

    def learn(self, entry_id: str, locale: str, text: str) -> Entry | None:
        """Add a buyer message to the entry's learned examples (only the new text is embedded) and record a
        version; None when nothing changed: a message it already asks, or one never learned (`learnable`)."""
        with self._learning:
            updated = with_learned(self._one(entry_id, locale), text)
            if updated is None:
                return None
            self._write([updated], f"learned an example for {updated.key}")
        return updated

    def unlearn(self, entry_id: str, locale: str, text: str) -> Entry:
        """Remove one learned example; `ExampleNotFoundError` when the entry has none such."""
        with self._learning:
            entry = self._one(entry_id, locale)
            updated = without_learned(entry, text)
            if updated is None:
                raise ExampleNotFoundError(f"{entry.key} has no learned example {text!r}")
            # the last one removed leaves it none, on purpose
            self._write([updated], f"removed a learned example from {updated.key}", keep_learned=False)
        return updated

    def delete(self, entry_id: str, locale: str | None = None) -> int:
        keys = self._keys(entry_id, locale)
        self._write([], f"delete {entry_id}" + (f"@{locale}" if locale else ""), delete=keys)
        return len(keys)

    def count(self) -> int:
        return self._store.count()

    def _capped(self, entries: builtins.list[Entry], source: str) -> builtins.list[Entry]:
        if self._max_rows is not None and len(entries) > self._max_rows:
            raise InvalidFileError(source, [f"{len(entries)} entries; one upload may hold at most {self._max_rows} "
                                            "(split the file, or index it from disk with `draftdesk index`)"])
        return entries

    def _write(self, entries: builtins.list[Entry], reason: str, *, prune_sources: builtins.list[str] | None = None,
               keep_learned: bool = True, delete: builtins.list[str] | None = None,
               dry_run: bool = False) -> IndexReport:
        if self._versions is None or dry_run:
            return self._indexer.index(entries, prune_sources=prune_sources or [], keep_learned=keep_learned,
                                       delete=delete or [], dry_run=dry_run)
        return self._versions.index(entries, reason, prune_sources=prune_sources, keep_learned=keep_learned,
                                    delete=delete)[0]

    def _one(self, entry_id: str, locale: str) -> Entry:
        found = self._store.get(self._keys(entry_id, locale))
        if not found:  # deleted since its key was read
            raise EntryNotFoundError(f"no knowledge entry with id {entry_id!r} in locale {locale!r}")
        return found[0]

    def _keys(self, entry_id: str, locale: str | None) -> builtins.list[str]:
        keys = self._store.keys(EntryFilter(entry_id=entry_id, locale=locale))
        if not keys:
            where = f" in locale {locale!r}" if locale else ""
            raise EntryNotFoundError(f"no knowledge entry with id {entry_id!r}{where}")
        return keys


def _sources(paths: Sequence[Path]) -> list[str]:
    """The sources a prune may touch: the files named, or the files under the directories named."""
    return [str(f.resolve()) for path in paths for f in knowledge_files(path)]
