"""Index entries: embed only what changed, keep what did not, prune what disappeared from a source."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from knowledge.embedders.base import Embedder
from knowledge.labels import NO_LABELS, Labeler, Labels
from knowledge.models import EmbedMode, Entry, facet_mode
from knowledge.store import EntryFilter, StoredEntry, VectorStore

_Known = dict[tuple[str, str], list[float]]  # (mode, text) -> vector
_Wanted = dict[EmbedMode, set[str]]  # texts to embed, per mode
BeforeWrite = Callable[[list[Entry], list[str]], None]  # (entries to store, keys to delete)


@dataclass
class IndexReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    embedded: int = 0  # texts sent through the embedding model (a dry run: texts that would be)
    sources: list[str] = field(default_factory=list)
    dry_run: bool = False
    keys: dict[str, list[str]] = field(default_factory=dict)  # "added" | "updated" | "deleted" -> id@locale keys

    def as_dict(self) -> dict[str, object]:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "deleted": self.deleted, "embedded": self.embedded, "sources": self.sources,
                "dry_run": self.dry_run, "keys": self.keys}


class Indexer:
    """`batch` entries are embedded and written at a time, so an interrupted run keeps what it finished and the
    next run embeds only the rest."""

    def __init__(self, embedder: Embedder, store: VectorStore, *, batch: int = 256,
                 labeler: Labeler | None = None) -> None:
        self._embedder = embedder
        self._store = store
        self._batch = batch
        self._labeler = labeler

    def fingerprint(self, entry: Entry) -> str:
        """The entry's content hash, and the labeler's version: new intent rules label every entry again on the
        next index (without embedding anything)."""
        content = entry.content_hash()
        if self._labeler is None:
            return content
        return hashlib.sha256(f"{content}\t{self._labeler.version}".encode()).hexdigest()

    def index(
        self, entries: Sequence[Entry], *, prune_sources: Sequence[str] = (), dry_run: bool = False,
        keep_learned: bool = True, delete: Sequence[str] = (), before_write: BeforeWrite | None = None,
    ) -> IndexReport:
        """Upsert `entries`; with `prune_sources`, delete stored entries of those sources not in `entries`, and
        the stored keys in `delete`. `dry_run` reports the same counts and keys but embeds and writes nothing (a
        preview before publishing). `keep_learned=False` writes the entries' `learned` as given, even when empty
        (an example removed, a rollback), instead of keeping the stored ones. `before_write` is told what will be
        written (entries as stored, keys deleted) before anything is, when anything is (the change journal)."""
        report = IndexReport(sources=sorted({e.source for e in entries} | set(prune_sources)), dry_run=dry_run)
        stored = self._store.fingerprints([e.key for e in entries])
        prints = {e.key: self._prints(e) for e in entries}
        if keep_learned:
            entries = self._keep_learned(entries, stored, prints)
        changed: list[Entry] = []
        added: list[str] = []
        updated: list[str] = []
        for entry in entries:
            old = stored.get(entry.key)
            if old is None:
                added.append(entry.key)
            elif old == prints[entry.key]:
                report.unchanged += 1
                continue
            else:
                updated.append(entry.key)
            changed.append(entry)
        keep = {e.key for e in entries}
        gone = [k for src in prune_sources for k in self._store.keys(EntryFilter(source=src)) if k not in keep]
        gone = sorted({*gone, *(k for k in delete if k not in keep)})
        report.added, report.updated, report.deleted = len(added), len(updated), len(gone)
        report.keys = {"added": added, "updated": updated, "deleted": sorted(gone)}
        known, wanted = self._reusable(changed)
        report.embedded = sum(len(t) for t in wanted.values())
        if dry_run:
            return report
        if before_write is not None and (changed or gone):
            before_write(changed, gone)
        # batches of similar lengths pad little; UTF-8 bytes track tokens across scripts (a Chinese character is
        # three bytes and about one token, an English word four or five bytes and about one token)
        changed.sort(key=lambda e: len(e.embedding_text().encode()))
        labels = self._kept_labels([e for e in changed if e.key in stored and stored[e.key][1] == e.text_hash()])
        for start in range(0, len(changed), self._batch):
            self._store.upsert(self._embed(changed[start:start + self._batch], known, labels))
        if gone:
            self._store.delete(gone)
        return report

    def _prints(self, entry: Entry) -> tuple[str, str]:
        """What the store keeps to tell whether an entry changed: (fingerprint, text hash)."""
        return self.fingerprint(entry), entry.text_hash()

    def _keep_learned(self, entries: Sequence[Entry], stored: dict[str, tuple[str, str]],
                      prints: dict[str, tuple[str, str]]) -> list[Entry]:
        """An entry re-indexed from a file keeps the examples learned from agents (the file has none): only the
        stored entries that differ from what comes in are read. `prints` is updated for the entries that change."""
        differ = [e.key for e in entries if e.key in stored and not e.learned and stored[e.key] != prints[e.key]]
        learned = {old.key: old.learned for old in self._store.get(differ) if old.learned} if differ else {}
        kept = [e.model_copy(update={"learned": learned[e.key]}) if e.key in learned else e for e in entries]
        prints.update({e.key: self._prints(e) for e in kept if e.key in learned})
        return kept

    def _reusable(self, entries: list[Entry]) -> tuple[_Known, _Wanted]:
        """The stored vector of every facet whose text is unchanged (of a new entry too: facets an interrupted run
        wrote before its anchor), and the distinct new texts to embed."""
        known: _Known = {
            (facet_mode(facet), text): vector for facet, text, vector in self._store.vectors([e.key for e in entries])
        }
        return known, _missing(entries, known)

    def _kept_labels(self, same_text: list[Entry]) -> dict[str, Labels]:
        """Inferred labels depend on the texts alone: an entry whose texts did not change (an announcement expired,
        a tag edited) keeps them, and labelling it needs no model."""
        if self._labeler is None or not same_text:
            return {}
        version = self._labeler.version
        stored = self._store.labels([e.key for e in same_text if not (e.intents or e.scope.intents)])
        return {key: found for key, found in stored.items() if found.source != "declared" and found.version == version}

    def _embed(self, entries: list[Entry], known: _Known, kept: dict[str, Labels] | None = None) -> list[StoredEntry]:
        """Embed each distinct new text once (`known` grows across batches); every facet then has a vector."""
        for mode, texts in _missing(entries, known).items():
            ordered = sorted(texts, key=len)  # a stable order (a set has none); E5 runtimes re-sort by tokens
            embed = self._embedder.embed_queries if mode == "query" else self._embedder.embed_passages
            if ordered:
                known.update({(mode, t): v.tolist() for t, v in zip(ordered, embed(ordered), strict=True)})
        items = [
            StoredEntry(e, self.fingerprint(e), e.text_hash(),
                        {facet: known[(mode, text)] for facet, (mode, text) in e.facets().items()})
            for e in entries
        ]
        if self._labeler is None:
            return items
        kept = kept or {}
        fresh = iter(self._labeler.label([(i.entry, i.vectors) for i in items if i.entry.key not in kept]))
        return [replace(item, labels=kept[item.entry.key] if item.entry.key in kept else next(fresh) or NO_LABELS)
                for item in items]


def _missing(entries: list[Entry], known: _Known) -> _Wanted:
    wanted: _Wanted = {"passage": set(), "query": set()}
    for e in entries:
        for mode, text in e.facets().values():
            if (mode, text) not in known:
                wanted[mode].add(text)
    return wanted
