"""RecentReads: what is kept, until when, and what a read that overlapped a change may not leave behind."""

from __future__ import annotations

from knowledge.nearest import RecentReads


def test_reads_are_kept_until_cleared_the_least_recently_used_going_first() -> None:
    reads = RecentReads(size=2)
    epoch = reads.epoch
    reads.put("a", 1, epoch)
    reads.put("b", 2, epoch)
    assert reads.get("a") == (epoch, 1)  # "a" is now the more recently used
    reads.put("c", 3, epoch)

    assert reads.get("b") is None and reads.get("a") == (epoch, 1) and reads.get("c") == (epoch, 3)
    reads.clear()
    assert reads.get("a") is None and reads.get("c") is None


def test_a_read_begun_before_a_clear_is_not_kept() -> None:
    """A read that overlapped a write may hold what the write replaced: it is dropped, not remembered."""
    reads = RecentReads()
    before = reads.epoch
    reads.clear()  # a write happened while the read was in flight

    reads.put("record", {"answer": "old"}, before)
    assert reads.get("record") is None
    reads.put("record", {"answer": "new"}, reads.epoch)
    assert reads.get("record") == (reads.epoch, {"answer": "new"})
