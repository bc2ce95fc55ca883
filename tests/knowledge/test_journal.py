"""The change journal: a change cut short at any point is finished by the next start, recorded as one version and
reported once (a crash is a `Killed` raised mid-change: it skips every handler, as SIGKILL would, and the lock it
held is let go, as the kernel does)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from knowledge.chroma_store import ChromaStore
from knowledge.errors import EmbedderError
from knowledge.indexing import Indexer
from knowledge.journal import Change, Journal, Origin, acting
from knowledge.models import Entry
from knowledge.service import KnowledgeBase
from knowledge.store import EntryFilter
from knowledge.versions import KnowledgeVersions, store_digest
from tests.fakes import HashingEmbedder

ENTRIES = [Entry(id=f"faq-{n:02d}", locale="en", question=f"Question number {n}?", answer=f"Answer {n}.")
           for n in range(9)]


class Killed(BaseException):
    """The process died here."""


class Dying(HashingEmbedder):
    """Dies (or fails, with `error`) on its `at`-th call."""

    def __init__(self, at: int, error: BaseException | None = None) -> None:
        super().__init__()
        self._at, self._error = at, error or Killed()

    def _embed(self, texts: Sequence[str]) -> np.ndarray:  # type: ignore[type-arg]
        if len(self.calls) + 1 == self._at:
            raise self._error
        return super()._embed(texts)


class Heard:
    """The audit side: what it was told (a row per version, as `records.version_audit` writes them: not again
    after a crash), and optionally a death before or after writing the row."""

    def __init__(self, die: str = "") -> None:
        self.rows: list[tuple[str, int, Origin, bool]] = []
        self._die = die

    def changed(self, reason: str, number: int, origin: Origin, *, recovered: bool) -> None:
        if self._die == "before":
            raise Killed()
        if not (recovered and any(row[1] == number for row in self.rows)):
            self.rows.append((reason, number, origin, recovered))
        if self._die == "after":
            raise Killed()


def versions_on(tmp_path: Path, store: ChromaStore, embedder: HashingEmbedder, audit: Heard) -> KnowledgeVersions:
    return KnowledgeVersions(store, Indexer(embedder, store, batch=2), tmp_path / "versions", audit=audit)


def assert_in_step(store: ChromaStore, versions: KnowledgeVersions, tmp_path: Path) -> None:
    latest = versions.latest()
    assert latest is not None and latest.digest == store_digest(store)[0]
    assert sorted(e.key for e in versions.entries(latest.number)) == sorted(store.keys(EntryFilter()))
    assert list((tmp_path / "versions" / "journal").iterdir()) == []


def test_a_change_is_journalled_before_it_writes_and_crossed_off_after(
    tmp_path: Path, store: ChromaStore, fake_embedder: HashingEmbedder
) -> None:
    heard = Heard()
    versions = versions_on(tmp_path, store, fake_embedder, heard)
    seen: list[list[Change]] = []
    original = store.upsert

    def upsert(items: object) -> None:  # what the journal holds when the store is first written
        if not seen:
            seen.append([p.change for p in Journal(tmp_path / "versions" / "journal").abandoned()])
        original(items)  # type: ignore[arg-type]

    store.upsert = upsert  # type: ignore[method-assign]
    token = acting.set(Origin("k1", "knowledge_owner", "req-1"))
    try:
        report, version = versions.index(ENTRIES, "upload faq.jsonl")
    finally:
        acting.reset(token)

    assert seen == [[]]  # the record is there, but held by a live process: nobody else may take it
    assert report.added == len(ENTRIES) and version is not None and version.number == 1
    assert heard.rows == [("upload faq.jsonl", 1, Origin("k1", "knowledge_owner", "req-1"), False)]
    assert_in_step(store, versions, tmp_path)
    assert versions.index(ENTRIES, "upload faq.jsonl")[1] is None  # unchanged: nothing journalled, no version
    assert len(heard.rows) == 1


@pytest.mark.parametrize("die_at", [1, 2, 3, 5])  # before any write, after one batch, after two, after four
def test_a_change_killed_mid_write_is_finished_on_the_next_start(
    tmp_path: Path, store: ChromaStore, die_at: int
) -> None:
    dying = versions_on(tmp_path, store, Dying(die_at), Heard())
    with pytest.raises(Killed):
        dying.index(ENTRIES, "upload faq.jsonl")
    assert dying.latest() is None and store.count() < len(ENTRIES)  # the store got some of it; no version yet

    heard = Heard()
    restarted = versions_on(tmp_path, store, HashingEmbedder(), heard)
    made = restarted.recover()

    assert [v.number for v in made] == [1] and made[0].entries == len(ENTRIES)
    assert made[0].reason == "upload faq.jsonl (finished after a restart)"
    assert [(r[1], r[3]) for r in heard.rows] == [(1, True)]
    assert_in_step(store, restarted, tmp_path)
    assert restarted.recover() == []  # once
    assert restarted.index(ENTRIES, "upload faq.jsonl")[1] is None  # a retry: nothing left to do


def test_a_change_killed_after_its_writes_gets_its_version_on_the_next_start(
    tmp_path: Path, store: ChromaStore, fake_embedder: HashingEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    dying = versions_on(tmp_path, store, fake_embedder, Heard())
    monkeypatch.setattr(dying, "snapshot", lambda *a, **k: (_ for _ in ()).throw(Killed()))
    with pytest.raises(Killed):
        dying.index(ENTRIES, "upload faq.jsonl")
    assert store.count() == len(ENTRIES) and dying.latest() is None  # the state: store ahead of versions

    heard = Heard()
    restarted = versions_on(tmp_path, store, fake_embedder, heard)
    calls = len(fake_embedder.calls)

    assert [v.number for v in restarted.recover()] == [1]
    assert len(fake_embedder.calls) == calls  # everything was stored: nothing embedded again
    assert [(r[1], r[3]) for r in heard.rows] == [(1, True)]
    assert_in_step(store, restarted, tmp_path)


def test_a_change_killed_after_its_version_is_reported_on_the_next_start(
    tmp_path: Path, store: ChromaStore, fake_embedder: HashingEmbedder
) -> None:
    told = Heard(die="after")  # the row is written, then the process dies before crossing the change off
    with pytest.raises(Killed):
        versions_on(tmp_path, store, fake_embedder, told).index(ENTRIES, "upload faq.jsonl")

    heard = Heard()
    restarted = versions_on(tmp_path, store, fake_embedder, heard)

    assert restarted.recover() == [restarted.latest()]
    assert [v.number for v in restarted.list()] == [1]  # no second version for the same change
    assert [(r[1], r[3]) for r in heard.rows] == [(1, True)]  # told again, as recovered: the audit side dedupes
    assert_in_step(store, restarted, tmp_path)


def test_a_change_killed_before_its_row_gets_it_though_the_restart_records_another_version(
    tmp_path: Path, store: ChromaStore, fake_embedder: HashingEmbedder
) -> None:
    """The restarted process finds the store changed since the version (here an entry indexed without the journal;
    in life, new labelling rules): both versions are reported."""
    with pytest.raises(Killed):
        versions_on(tmp_path, store, fake_embedder, Heard(die="before")).index(ENTRIES, "upload faq.jsonl")
    Indexer(fake_embedder, store).index([ENTRIES[0].model_copy(update={"id": "extra"})])

    heard = Heard()
    restarted = versions_on(tmp_path, store, fake_embedder, heard)

    assert [v.number for v in restarted.recover()] == [2]
    assert [(r[0], r[1]) for r in heard.rows] == [
        ("upload faq.jsonl", 1), ("upload faq.jsonl (finished after a restart)", 2)]
    assert_in_step(store, restarted, tmp_path)


def test_an_error_mid_write_records_what_reached_the_store(
    tmp_path: Path, store: ChromaStore
) -> None:
    heard = Heard()
    versions = versions_on(tmp_path, store, Dying(3, EmbedderError("the model failed")), heard)

    with pytest.raises(EmbedderError):
        versions.index(ENTRIES, "upload faq.jsonl")

    latest = versions.latest()
    assert latest is not None and 0 < latest.entries < len(ENTRIES)
    assert latest.reason == "upload faq.jsonl (interrupted by an error)"
    assert [r[1] for r in heard.rows] == [1]
    assert_in_step(store, versions, tmp_path)


def test_a_record_that_no_longer_validates_is_recorded_as_far_as_it_got(
    tmp_path: Path, store: ChromaStore, fake_embedder: HashingEmbedder
) -> None:
    journal = Journal(tmp_path / "versions" / "journal")
    Indexer(fake_embedder, store).index(ENTRIES[:2])
    journal.begin(Change(reason="upload old.jsonl", base=0, entries=[{"id": "", "answer": ""}], delete=[])).release()

    heard = Heard()
    versions = versions_on(tmp_path, store, fake_embedder, heard)
    made = versions.recover()

    assert [v.reason for v in made] == ["upload old.jsonl (interrupted; recorded as far as it got, after a restart)"]
    assert_in_step(store, versions, tmp_path)


def test_a_live_change_is_left_alone(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    held = journal.begin(Change(reason="upload", base=0, entries=[], delete=["a@en"]))

    assert Journal(tmp_path / "journal").abandoned() == []  # another process (or shop) starting now
    held.release()
    found = Journal(tmp_path / "journal").abandoned()
    assert [p.change.delete for p in found] == [["a@en"]]
    found[0].done()
    assert Journal(tmp_path / "journal").abandoned() == []


def test_every_knowledge_base_change_goes_through_the_journal(
    tmp_path: Path, store: ChromaStore, fake_embedder: HashingEmbedder
) -> None:
    heard = Heard()
    versions = versions_on(tmp_path, store, fake_embedder, heard)
    kb = KnowledgeBase(store, Indexer(fake_embedder, store), versions)

    kb.index_rows([e.model_dump(mode="json") for e in ENTRIES[:3]])
    kb.learn("faq-00", "en", "what is the first question")
    kb.unlearn("faq-00", "en", "what is the first question")
    kb.delete("faq-01")
    kb.index_rows([e.model_dump(mode="json") for e in ENTRIES[:3]], dry_run=True)
    versions.rollback(1)

    assert [r[0] for r in heard.rows] == [
        "entries from api", "learned an example for faq-00@en", "removed a learned example from faq-00@en",
        "delete faq-01", "rollback to version 1",
    ]
    assert [r[1] for r in heard.rows] == [1, 2, 3, 4, 5]
    assert_in_step(store, versions, tmp_path)


def test_a_store_changed_without_a_journal_gets_a_version_at_start(
    tmp_path: Path, store: ChromaStore, fake_embedder: HashingEmbedder
) -> None:
    """The issue's state, left by a crash under a release without the journal: 9 entries stored, 3 versioned."""
    versions = versions_on(tmp_path, store, fake_embedder, Heard())
    versions.index(ENTRIES[:3], "upload part.jsonl")
    Indexer(fake_embedder, store).index(ENTRIES)

    heard = Heard()
    restarted = versions_on(tmp_path, store, fake_embedder, heard)

    assert [(v.number, v.entries) for v in restarted.recover()] == [(2, len(ENTRIES))]
    assert [(r[1], r[2], r[3]) for r in heard.rows] == [(2, Origin(), True)]
    assert_in_step(store, restarted, tmp_path)
    assert restarted.recover() == []
