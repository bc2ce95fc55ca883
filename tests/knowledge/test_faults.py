"""Indexing under faults, on a real Chroma in a temp dir: concurrent drafting loses or half-shows nothing, a crash
mid-index converges on re-run (embedding only what is missing), and a restart keeps everything."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from knowledge.chroma import open_chroma_client
from knowledge.chroma_store import ChromaStore
from knowledge.errors import StoreUnavailableError
from knowledge.indexing import Indexer
from knowledge.models import Entry, facet_mode
from knowledge.retrieval import Retriever
from knowledge.store import EntryFilter
from tests.fakes import HashingEmbedder
from tests.knowledge.conftest import make_entry

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def entries(n: int, version: str = "v1") -> list[Entry]:
    return [make_entry(id=f"faq-{i:03d}", question=f"问题 {i} 快递 {version}", answer=f"回答 {i} 物流 {version}",
                       examples=[f"例子 {i} a {version}", f"例子 {i} b"]) for i in range(n)]


def chroma(path: Path, batch: int = 1000) -> ChromaStore:
    return ChromaStore(open_chroma_client(path), "test-kb", HashingEmbedder().model_id, batch=batch)


def assert_complete(store: ChromaStore, wanted: list[Entry]) -> None:
    """Every entry is there whole: its fingerprint, exactly its facets, each with the text it should have."""
    keys = [e.key for e in wanted]
    assert store.fingerprints(keys) == {e.key: (e.content_hash(), e.text_hash()) for e in wanted}
    stored: dict[str, set[tuple[str, str]]] = {}
    for key in keys:
        stored[key] = {(facet, text) for facet, text, _ in store.vectors([key])}
    assert stored == {e.key: {(f, t) for f, (_, t) in e.facets().items()} for e in wanted}
    assert store.count() == len(wanted)


class CrashingStore:
    """A store whose process dies after `writes` successful record writes (each a chroma upsert call)."""

    def __init__(self, inner: ChromaStore, writes: int) -> None:
        self._inner = inner
        self._left = writes
        col = inner.chroma.col
        real = col.upsert

        def upsert(**kwargs: Any) -> Any:
            if self._left == 0:
                raise ConnectionError("killed mid-index")
            self._left -= 1
            return real(**kwargs)

        self._proxy = _Proxy(col, upsert=upsert)
        inner.chroma.col = self._proxy

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _Proxy:
    def __init__(self, target: Any, **overrides: Any) -> None:
        self._target, self._overrides = target, overrides

    def __getattr__(self, name: str) -> Any:
        return self._overrides.get(name) or getattr(self._target, name)


@pytest.mark.parametrize("writes", [0, 1, 2, 3, 5])
def test_a_crash_mid_index_converges_on_rerun_and_embeds_only_what_is_missing(tmp_path: Path, writes: int) -> None:
    kb = entries(12)
    store = chroma(tmp_path / "chroma", batch=7)  # 12 entries x 4 facets: several write calls per batch
    embedder = HashingEmbedder()
    with pytest.raises(StoreUnavailableError, match="killed mid-index"):
        Indexer(embedder, CrashingStore(store, writes), batch=5).index(kb)  # type: ignore[arg-type]
    first = embedder.embedded
    store.chroma.col = store.chroma.col._target  # type: ignore[attr-defined]  # the process restarts: writes work again
    keys = [e.key for e in kb]
    complete = store.fingerprints(keys)
    assert complete == {e.key: (e.content_hash(), e.text_hash()) for e in kb if e.key in complete}
    present = {(facet_mode(f), t) for f, t, _ in store.vectors(keys)}
    missing = {text for e in kb for text in e.facets().values()} - present

    report = Indexer(embedder, store, batch=5).index(kb)

    assert_complete(store, kb)
    assert report.unchanged == len(complete)  # what the crash finished is kept
    assert embedder.embedded - first == report.embedded == len(missing)  # and only what was missing is embedded
    clean = chroma(tmp_path / "clean")
    Indexer(HashingEmbedder(), clean).index(kb)
    assert store.fingerprints([e.key for e in kb]) == clean.fingerprints([e.key for e in kb])


def test_an_update_interrupted_half_way_is_redone_and_drops_removed_facets(tmp_path: Path) -> None:
    store = chroma(tmp_path / "chroma", batch=3)
    old = entries(4)
    Indexer(HashingEmbedder(), store).index(old)
    new = [e.model_copy(update={"answer": e.answer + " 更新", "examples": ("只剩一个例子",)}) for e in old]
    with pytest.raises(StoreUnavailableError):
        Indexer(HashingEmbedder(), CrashingStore(store, 1)).index(new)  # type: ignore[arg-type]
    store.chroma.col = store.chroma.col._target  # type: ignore[attr-defined]
    assert store.fingerprints([e.key for e in new]) == {e.key: (e.content_hash(), e.text_hash()) for e in old}

    Indexer(HashingEmbedder(), store).index(new)

    assert_complete(store, new)  # no stale example facet carries the old entry


def _without_side_fingerprints(store: ChromaStore, failing: str) -> None:
    """The side collection's `failing` call ("upsert" or "delete") dies, as a process killed at that point."""
    def die(**kwargs: Any) -> Any:
        raise ConnectionError("killed at the side fingerprints")

    store.chroma.fp = _Proxy(store.chroma.fp, **{failing: die})


def _restore(store: ChromaStore) -> None:
    store.chroma.fp = store.chroma.fp._target  # type: ignore[attr-defined]


def test_a_crash_after_the_anchors_keeps_what_was_written_and_redoes_nothing(tmp_path: Path) -> None:
    store = chroma(tmp_path / "chroma", batch=4)
    kb = entries(6)
    embedder = HashingEmbedder()
    _without_side_fingerprints(store, "upsert")
    with pytest.raises(StoreUnavailableError, match="killed at the side"):
        Indexer(embedder, store).index(kb)
    _restore(store)
    assert store.chroma.fp.get(include=[])["ids"] == []  # the anchors were written, their side fingerprints not
    assert_complete(store, kb)  # the fingerprints are read from the anchors instead
    first = embedder.embedded

    report = Indexer(embedder, store).index(kb)

    assert (report.unchanged, report.embedded, embedder.embedded) == (6, 0, first)


def test_an_update_interrupted_before_its_side_fingerprint_is_not_taken_for_the_old_version(tmp_path: Path) -> None:
    """v1 is indexed, v2's anchors are written and the process dies before v2's side fingerprints: the source then
    goes back to v1, which must be rewritten, not passed as unchanged against v1's stale side fingerprint."""
    store = chroma(tmp_path / "chroma")
    v1, v2 = entries(3), entries(3, version="v2")
    Indexer(HashingEmbedder(), store).index(v1)
    _without_side_fingerprints(store, "upsert")
    with pytest.raises(StoreUnavailableError):
        Indexer(HashingEmbedder(), store).index(v2)
    _restore(store)

    report = Indexer(HashingEmbedder(), store).index(v1)

    assert (report.updated, report.unchanged) == (3, 0)
    assert_complete(store, v1)


def test_a_deletion_interrupted_after_the_side_fingerprints_is_finished_on_rerun(tmp_path: Path) -> None:
    store = chroma(tmp_path / "chroma")
    kb = entries(5)
    Indexer(HashingEmbedder(), store).index(kb)
    col = store.chroma.col
    store.chroma.col = _Proxy(col, delete=lambda **kw: (_ for _ in ()).throw(ConnectionError("killed mid-delete")))
    with pytest.raises(StoreUnavailableError):
        Indexer(HashingEmbedder(), store).index(kb[:3], prune_sources=["test"])
    store.chroma.col = col
    assert store.fingerprints([e.key for e in kb]) == {e.key: (e.content_hash(), e.text_hash()) for e in kb}

    report = Indexer(HashingEmbedder(), store).index(kb[:3], prune_sources=["test"])

    assert (report.deleted, report.unchanged) == (2, 3)
    assert_complete(store, kb[:3])


def test_a_store_written_before_side_fingerprints_reads_them_from_its_anchors(tmp_path: Path) -> None:
    store = chroma(tmp_path / "chroma")
    kb = entries(4)
    Indexer(HashingEmbedder(), store).index(kb)
    store.chroma.fp.delete(ids=[e.key for e in kb])  # as an older version left it: no side collection records

    report = Indexer(HashingEmbedder(), store).index(kb)

    assert (report.unchanged, report.embedded) == (4, 0)


def test_indexing_while_drafting_never_shows_a_lost_or_half_written_entry(tmp_path: Path) -> None:
    store = chroma(tmp_path / "chroma", batch=5)
    embedder = HashingEmbedder()
    base = entries(10)
    Indexer(embedder, store).index(base)
    retriever = Retriever(embedder, store, thresholds={"zh": 0.0}, top_k=4)
    errors: list[BaseException] = []
    done = threading.Event()
    rounds = [entries(10, version=f"v{n}") + entries(30)[10:10 + 2 * n] for n in range(2, 7)]

    def index() -> None:
        try:
            for wanted in rounds:
                Indexer(embedder, store, batch=4).index(wanted)
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    def draft() -> None:
        try:
            while not done.is_set():
                found = retriever.retrieve("快递 物流 问题", platform="taobao", locale="zh", at=NOW)
                for hit in found.candidates:  # each hit is one whole entry, never a mix of versions
                    versions = {w for w in (hit.entry.question + " " + hit.entry.answer).split() if w[0] == "v"}
                    assert len(versions) == 1, hit.entry
                listed = store.get(store.keys(EntryFilter(source="test")))
                assert {e.id for e in base} <= {e.id for e in listed}  # never lost while being rewritten
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=index)] + [threading.Thread(target=draft) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert not errors, errors
    assert_complete(store, rounds[-1])


def test_a_restart_keeps_everything(tmp_path: Path) -> None:
    """A new process on the same directory (in-process, chroma would hand back its cached client)."""
    kb = entries(8)
    Indexer(HashingEmbedder(), chroma(tmp_path / "chroma")).index(kb)
    script = (
        "import json, sys; from pathlib import Path; from knowledge.chroma import open_chroma_client\n"
        "from knowledge.chroma_store import ChromaStore\n"
        "s = ChromaStore(open_chroma_client(Path(sys.argv[1])), 'test-kb', 'fake-hashing-256')\n"
        "keys = json.loads(sys.argv[2])\n"
        "print(json.dumps({'count': s.count(), 'fp': s.fingerprints(keys), "
        "'facets': sorted(f + '|' + t for f, t, _ in s.vectors(keys))}))\n"
    )
    keys = [e.key for e in kb]

    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "chroma"), json.dumps(keys)],
                         capture_output=True, text=True, timeout=120, cwd=ROOT, check=True)

    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["count"] == 8
    assert got["fp"] == {e.key: [e.content_hash(), e.text_hash()] for e in kb}
    assert got["facets"] == sorted(f"{f}|{t}" for e in kb for f, (_, t) in e.facets().items())
    reindexed = Indexer(HashingEmbedder(), chroma(tmp_path / "chroma")).index(kb)
    assert (reindexed.unchanged, reindexed.embedded) == (8, 0)

