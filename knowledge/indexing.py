"""Index entries: embed only what changed, keep what did not, prune what disappeared from a source."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from knowledge.embedders.base import Embedder
from knowledge.models import EmbedMode, Entry, facet_mode
from knowledge.store import EntryFilter, StoredEntry, VectorStore


@dataclass
class IndexReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    embedded: int = 0  # texts sent through the embedding model
    sources: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "deleted": self.deleted, "embedded": self.embedded, "sources": self.sources}


class Indexer:
    def __init__(self, embedder: Embedder, store: VectorStore) -> None:
        self._embedder = embedder
        self._store = store

    def index(self, entries: Sequence[Entry], *, prune_sources: Sequence[str] = ()) -> IndexReport:
        """Upsert `entries`; with `prune_sources`, delete stored entries of those sources not in `entries`."""
        report = IndexReport(sources=sorted({e.source for e in entries} | set(prune_sources)))
        stored = self._store.fingerprints([e.key for e in entries])
        changed: list[Entry] = []
        for entry in entries:
            old = stored.get(entry.key)
            if old is None:
                report.added += 1
            elif old[0] == entry.content_hash():
                report.unchanged += 1
                continue
            else:
                report.updated += 1
            changed.append(entry)
        items, report.embedded = self._embed(changed, stored)
        self._store.upsert(items)
        if prune_sources:
            keep = {e.key for e in entries}
            gone = [k for src in prune_sources for k in self._store.keys(EntryFilter(source=src)) if k not in keep]
            self._store.delete(gone)
            report.deleted = len(gone)
        return report

    def _embed(self, entries: list[Entry], stored: dict[str, tuple[str, str]]) -> tuple[list[StoredEntry], int]:
        """Reuse the stored vector of any facet whose text is unchanged; embed each distinct new text once."""
        known: dict[tuple[str, str], list[float]] = {
            (facet_mode(facet), text): vector
            for facet, text, vector in self._store.vectors([e.key for e in entries if e.key in stored])
        }
        wanted: dict[EmbedMode, set[str]] = {"query": set(), "passage": set()}
        for e in entries:
            for mode, text in e.facets().values():
                if (mode, text) not in known:
                    wanted[mode].add(text)
        for mode, texts in wanted.items():
            ordered = sorted(texts, key=len)  # similar lengths batch with less padding
            embed = self._embedder.embed_queries if mode == "query" else self._embedder.embed_passages
            if ordered:
                known.update({(mode, t): v.tolist() for t, v in zip(ordered, embed(ordered), strict=True)})
        items = [
            StoredEntry(e, e.content_hash(), e.text_hash(),
                        {facet: known[(mode, text)] for facet, (mode, text) in e.facets().items()})
            for e in entries
        ]
        return items, sum(len(t) for t in wanted.values())
