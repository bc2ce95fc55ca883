"""Knowledge-base versions over a real Chroma store (hashing embedder): snapshot, list, rollback, restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.chroma_store import ChromaStore
from knowledge.errors import EntryNotFoundError
from knowledge.indexing import Indexer
from knowledge.models import Entry
from knowledge.store import EntryFilter
from knowledge.versions import KnowledgeVersions
from tests.fakes import HashingEmbedder

SHIP = Entry(id="ship-001", locale="zh", question="我的快递怎么还没到？", answer="付款后48小时内发出。")
SHIP_EDITED = SHIP.model_copy(update={"answer": "大促期间付款后72小时内发出。"})
RETURN = Entry(id="ret-001", locale="en", question="Can I return it?", answer="Within 7 days of delivery.")


@pytest.fixture
def versions(tmp_path: Path, store: ChromaStore, indexer: Indexer) -> KnowledgeVersions:
    return KnowledgeVersions(store, indexer, tmp_path / "versions")


def keys(store: ChromaStore) -> list[str]:
    return sorted(store.keys(EntryFilter()))


def test_each_change_is_a_version_and_no_change_is_none(versions: KnowledgeVersions, indexer: Indexer) -> None:
    assert versions.list() == [] and versions.latest() is None
    indexer.index([SHIP])
    first = versions.snapshot("upload faq.zh.jsonl")
    again = versions.snapshot("upload faq.zh.jsonl")
    indexer.index([SHIP_EDITED, RETURN])
    second = versions.snapshot("upload faq.jsonl")

    assert again == first
    assert [v.number for v in versions.list()] == [2, 1]
    assert (first.entries, second.entries, second.reason) == (1, 2, "upload faq.jsonl")
    assert first.digest != second.digest
    assert [e.answer for e in versions.entries(1)] == [SHIP.answer]


def test_rollback_restores_entries_and_deletes_later_ones(
    versions: KnowledgeVersions, indexer: Indexer, store: ChromaStore, fake_embedder: HashingEmbedder
) -> None:
    indexer.index([SHIP])
    versions.snapshot("v1")
    indexer.index([SHIP_EDITED, RETURN])
    versions.snapshot("v2")
    before = fake_embedder.embedded

    report, version = versions.rollback(1)

    assert keys(store) == ["ship-001@zh"]
    assert store.get(["ship-001@zh"])[0].answer == SHIP.answer
    assert (report.updated, report.deleted, report.keys["deleted"]) == (1, 1, ["ret-001@en"])
    assert fake_embedder.embedded - before >= 1  # the edited answer is embedded again; nothing else
    assert (version.number, version.reason) == (3, "rollback to version 1")
    assert version.digest == versions.list()[-1].digest  # the same content as version 1

    versions.rollback(2)  # and a rollback can be undone
    assert keys(store) == ["ret-001@en", "ship-001@zh"]


def test_versions_survive_a_restart_and_old_ones_are_pruned(
    tmp_path: Path, store: ChromaStore, indexer: Indexer
) -> None:
    first = KnowledgeVersions(store, indexer, tmp_path / "v", keep=2)
    for n in range(3):
        indexer.index([SHIP.model_copy(update={"answer": f"第{n}版"})])
        first.snapshot(f"edit {n}")

    restarted = KnowledgeVersions(store, indexer, tmp_path / "v", keep=2)

    assert [v.number for v in restarted.list()] == [3, 2]
    assert not (tmp_path / "v" / "1.jsonl").exists()
    with pytest.raises(EntryNotFoundError, match="no knowledge-base version 1"):
        restarted.rollback(1)
    assert [e.answer for e in restarted.entries(2)] == ["第1版"]
