"""ChangeWatcher: another process's write is seen within `check_s`, and a write of ours changes the generation before
and after; Rewarm: a store is warmed again once quiet, by one thread at a time."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from knowledge.chroma import ChromaCollection, open_chroma_client
from knowledge.errors import StoreUnavailableError
from knowledge.watcher import ChangeWatcher, Rewarm
from tests.fakes import HashingEmbedder


class Generations:
    """A collection's generation in memory; `fail` makes the next writes of it fail."""

    def __init__(self) -> None:
        self.now: str | None = None
        self.reads = 0
        self.made: list[str] = []
        self.fail = 0

    def generation(self) -> str | None:
        self.reads += 1
        return self.now

    def new_generation(self) -> str:
        if self.fail:
            self.fail -= 1
            raise StoreUnavailableError("chroma is down")
        self.now = f"g{len(self.made)}"
        self.made.append(self.now)
        return self.now


def test_a_change_is_seen_once_check_s_has_passed_and_only_once() -> None:
    generations, clock = Generations(), [0.0]
    watcher = ChangeWatcher(generations, None, check_s=2.0, monotonic=lambda: clock[0])

    generations.now = "another process wrote"
    assert not watcher.changed() and generations.reads == 0  # not looked at before check_s
    clock[0] = 2.0
    assert watcher.changed()
    clock[0] = 4.0
    assert not watcher.changed() and generations.reads == 2  # the same generation: nothing new


def test_our_own_writes_change_the_generation_before_and_after_and_are_not_taken_for_another() -> None:
    generations, clock = Generations(), [0.0]
    watcher = ChangeWatcher(generations, None, check_s=2.0, monotonic=lambda: clock[0])

    with watcher.writing():
        assert generations.made == ["g0"]  # already changed while the write runs
    assert generations.made == ["g0", "g1"]
    clock[0] = 2.0
    assert not watcher.changed()


def test_a_failed_write_still_changes_the_generation_and_its_own_error_comes_out() -> None:
    generations = Generations()
    watcher = ChangeWatcher(generations, None)

    with pytest.raises(ValueError, match="the write"), watcher.writing():
        raise ValueError("the write failed")
    assert generations.made == ["g0", "g1"]

    with pytest.raises(ValueError, match="the write"), watcher.writing():
        generations.fail = 1  # nor can the generation be changed after it: the write's error says more
        raise ValueError("the write failed")


def test_on_chroma_a_generation_made_by_one_process_is_seen_by_another(tmp_path: Path) -> None:
    def opened() -> ChromaCollection:
        return ChromaCollection(open_chroma_client(tmp_path / "chroma"), "test-kb", HashingEmbedder().model_id)

    writer, reader, clock = opened(), opened(), [0.0]
    watching = ChangeWatcher(reader, reader.opened_generation, check_s=2.0, monotonic=lambda: clock[0])
    with ChangeWatcher(writer, writer.opened_generation).writing():
        pass

    assert not watching.changed()
    clock[0] = 2.0
    assert watching.changed()


class Store:
    """A store as the re-warm thread sees it: `epochs` scripts what `epoch` reads, as writes that land while it waits
    would; the last one stays."""

    def __init__(self, epochs: tuple[int, ...] = (0,), fails: bool = False, fits: bool = True) -> None:
        self._epochs, self.fails, self._fits = list(epochs), fails, fits
        self.warmed_at: list[int] = []

    @property
    def epoch(self) -> int:
        return self._epochs.pop(0) if len(self._epochs) > 1 else self._epochs[0]

    @property
    def behind(self) -> bool:
        return self._fits and (not self.warmed_at or self.warmed_at[-1] != self._epochs[0])

    def warm(self) -> int:
        if self.fails:
            raise StoreUnavailableError("chroma is down")
        self.warmed_at.append(self._epochs[0])
        return 1


def _run(rewarm: Rewarm, store: Store, starts: int = 1) -> int:
    """Start the re-warm `starts` times at once and wait for it to end; the threads it started."""
    before = set(threading.enumerate())
    for _ in range(starts):
        rewarm.start(store)
    started = [t for t in threading.enumerate() if t not in before and t.name == "draftdesk-rewarm"]
    for thread in started:
        thread.join(10)
        assert not thread.is_alive()
    return len(started)


def test_a_store_is_warmed_again_only_once_no_write_came_for_the_quiet_period() -> None:
    store, rewarm = Store(epochs=(0, 1, 1, 2, 2, 2)), Rewarm(quiet_s=0.1)

    assert _run(rewarm, store, starts=2) == 1  # one thread at a time
    assert store.warmed_at == [2]  # two waits saw a write land: warmed after the first quiet one


def test_a_store_whose_records_no_longer_fit_is_left_to_chroma() -> None:
    store, rewarm = Store(fits=False), Rewarm(quiet_s=0.01)
    assert _run(rewarm, store) == 1
    assert store.warmed_at == [0]


def test_an_unreachable_store_ends_the_thread_and_a_later_change_starts_another() -> None:
    store, rewarm = Store(fails=True), Rewarm(quiet_s=0.01)
    assert _run(rewarm, store) == 1
    assert store.warmed_at == []

    store.fails = False
    assert _run(rewarm, store) == 1  # the failed thread let go
    assert store.warmed_at == [0]
