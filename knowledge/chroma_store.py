"""The store the app uses: a Chroma collection, its reads remembered and searched in memory, in step with other
processes' writes. The one place its layers are put together."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from knowledge.chroma import BATCH, ChromaCollection
from knowledge.remembered import Remembered
from knowledge.store import RECORDS
from knowledge.watcher import CHECK_S, ChangeWatcher, Rewarm


class ChromaStore(Remembered):
    """`ChromaCollection` under `Remembered`, which a `ChangeWatcher` tells of other processes' writes and a `Rewarm`
    warms again after a change. `exact=False` for a Chroma server that several workers write to."""

    def __init__(self, client: Any, collection: str, embedder_id: str, *, batch: int = BATCH,
                 records: int = RECORDS, check_s: float = CHECK_S, rewarm_after_s: float = CHECK_S,
                 exact: bool = True, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.chroma = ChromaCollection(client, collection, embedder_id, batch=batch)
        changes = ChangeWatcher(self.chroma, self.chroma.opened_generation, check_s=check_s, monotonic=monotonic)
        super().__init__(self.chroma, changes, Rewarm(rewarm_after_s), records=records, exact=exact)

