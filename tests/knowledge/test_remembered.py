"""Remembered over a ChromaCollection on a real Chroma in a temp dir: it finds what chroma finds, reads each record
once until the collection changes, holds no more than `records`, and searches its own vectors once warmed."""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from knowledge.chroma import ChromaCollection, open_chroma_client
from knowledge.embedders.base import Vectors
from knowledge.indexing import Indexer
from knowledge.nearest import Meta, Nearest
from knowledge.remembered import Remembered
from knowledge.store import EntryFilter, Hit
from knowledge.watcher import ChangeWatcher, Rewarm
from tests.fakes import HashingEmbedder
from tests.knowledge.conftest import at, bilingual_entries, make_entry

RECORDS = sum(len(e.facets()) for e in bilingual_entries())
MESSAGES = ["快递 还没到", "淘宝 退款 多久", "发票", "where is my parcel", "Amazon refund", "invoice"]
FILTERS = [EntryFilter(), EntryFilter(locale="zh"), EntryFilter(locale="en", platform="amazon"),
           EntryFilter(platform="taobao", valid_at=at(2025, 11, 5)), EntryFilter(locale="zh", platform="pdd")]


class Logged(ChromaCollection):
    """Notes which reads reach chroma."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[str] = []

    def nearest(self, query: Vectors, n: int) -> Nearest:
        self.calls.append("nearest")
        return super().nearest(query, n)

    def metadata(self, records: Sequence[str]) -> dict[str, Meta]:
        self.calls.append("metadata")
        return super().metadata(records)

    def matching(self, clause: dict[str, Any]) -> builtins.list[Meta]:
        self.calls.append("matching")
        return super().matching(clause)

    def query(self, vector: Vectors, k: int, flt: EntryFilter) -> builtins.list[Hit]:
        self.calls.append("query")
        return super().query(vector, k, flt)

    def read_records(self, total: int, *, vectors: bool) -> Iterator[
            tuple[builtins.list[str], builtins.list[Meta], npt.NDArray[np.float32] | None]]:
        self.calls.append(f"read_records vectors={vectors}")
        return super().read_records(total, vectors=vectors)


def _chroma(path: Path) -> Logged:
    return Logged(open_chroma_client(path), "test-kb", HashingEmbedder().model_id, batch=5)


class Asked(Rewarm):
    """Notes the stores it is asked to warm again, and leaves it to the test."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[Any] = []

    def start(self, store: Any) -> None:
        self.asked.append(store)


def _remembered(chroma: ChromaCollection, clock: list[float], rewarm: Rewarm | None = None,
                **options: Any) -> Remembered:
    changes = ChangeWatcher(chroma, chroma.opened_generation, check_s=2.0, monotonic=lambda: clock[0])
    return Remembered(chroma, changes, rewarm or Asked(), **options)


@pytest.fixture
def chroma(tmp_path: Path, fake_embedder: HashingEmbedder) -> Logged:
    chroma = _chroma(tmp_path / "chroma")
    Indexer(fake_embedder, chroma).index(bilingual_entries())
    chroma.calls.clear()
    return chroma


def _found(store: Any, embedder: HashingEmbedder) -> list[list[tuple[str, float]]]:
    found = []
    for message in MESSAGES:
        for flt in FILTERS:
            hits = store.query(embedder.embed_queries([message])[0], 3, flt)
            found.append([(h.entry.key, round(h.score, 4)) for h in hits if h.score > 0])  # ties at 0: any order
    return found


@pytest.mark.parametrize("warm", [False, True])
def test_it_finds_what_chromas_filtered_search_finds(chroma: Logged, fake_embedder: HashingEmbedder,
                                                      warm: bool) -> None:
    store = _remembered(chroma, [0.0])
    if warm:
        assert store.warm() == RECORDS

    assert _found(store, fake_embedder) == _found(chroma, fake_embedder)


def test_records_are_read_once_until_its_own_write(chroma: Logged, fake_embedder: HashingEmbedder) -> None:
    store = _remembered(chroma, [0.0])
    vector = fake_embedder.embed_queries(["快递 延迟"])[0]
    faqs = EntryFilter(locale="zh", kinds=("faq",))

    first = store.query(vector, 2, faqs)
    reads = list(chroma.calls)
    assert store.query(vector, 2, faqs) == first and chroma.calls == reads  # the same search, remembered
    assert store.query(fake_embedder.embed_queries(["快递 还没 到 延迟"])[0], 2, faqs)
    assert "metadata" not in chroma.calls[len(reads):]  # another search: its records' metadata were read already

    Indexer(fake_embedder, store).index([make_entry(answer="今天发出。")])
    chroma.calls.clear()
    assert store.query(vector, 1, faqs)[0].entry.answer == "今天发出。"
    assert chroma.calls[:2] == ["nearest", "metadata"]


def test_another_process_write_is_seen_once_the_watcher_looks(chroma: Logged, fake_embedder: HashingEmbedder,
                                                              tmp_path: Path) -> None:
    clock = [0.0]
    store = _remembered(chroma, clock)
    other = _remembered(_chroma(tmp_path / "chroma"), [0.0])
    notices = EntryFilter(kinds=("announcement",))
    assert store.keys(notices) == ["ann-double11@zh"]

    Indexer(fake_embedder, other).index([make_entry(id="ann-2", kind="announcement", title="停发", question="")])
    assert store.keys(notices) == ["ann-double11@zh"] and chroma.calls.count("matching") == 1
    clock[0] = 2.0
    assert sorted(store.keys(notices)) == ["ann-2@zh", "ann-double11@zh"]


def test_warm_holds_every_record_only_if_they_fit(chroma: Logged, fake_embedder: HashingEmbedder) -> None:
    assert _remembered(chroma, [0.0], records=RECORDS - 1).warm() == 0
    assert chroma.calls == []  # counted, not read

    rewarm = Asked()
    store = _remembered(chroma, [0.0], rewarm, records=RECORDS)
    assert store.warm() == RECORDS and chroma.calls == ["read_records vectors=True"]
    _found(store, fake_embedder)
    assert chroma.calls == ["read_records vectors=True"]  # every search ran here, on what warm read
    assert not store.behind

    assert rewarm.asked == []
    store.delete(["ship-001@zh"])
    assert store.behind  # its vectors predate the change: chroma searches until it is warmed again
    chroma.calls.clear()
    assert all("ship-001@zh" not in [k for k, _ in hits] for hits in _found(store, fake_embedder))
    assert "nearest" in chroma.calls and rewarm.asked[0] is store  # and it is to be warmed again
    assert store.warm() == RECORDS - 2 and not store.behind


def test_without_exact_warm_reads_metadata_and_chroma_searches(chroma: Logged, fake_embedder: HashingEmbedder) -> None:
    store = _remembered(chroma, [0.0], exact=False)

    assert store.warm() == RECORDS and chroma.calls == ["read_records vectors=False"]
    store.query(fake_embedder.embed_queries(["发票"])[0], 2, EntryFilter())
    assert chroma.calls[1:] == ["nearest"]  # chroma's search, then metadata already in memory
    assert not store.behind


def test_remembered_records_are_bounded(chroma: Logged, fake_embedder: HashingEmbedder) -> None:
    def metadata_reads(records: int) -> int:
        chroma.calls.clear()
        store = _remembered(chroma, [0.0], records=records)
        for message in MESSAGES:  # each a new search: only the records' metadata may be remembered
            store.query(fake_embedder.embed_queries([message])[0], 1, EntryFilter())
        return chroma.calls.count("metadata")

    assert metadata_reads(RECORDS) == 1  # the first search read every record
    assert metadata_reads(4) > 1
