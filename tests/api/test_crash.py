"""Crash consistency: a real server process (tests/api/worker_app.py, the hashing embedder) is SIGKILLed while it
writes an upload, at several points found by watching its data directory, and restarted. After each restart the
store holds one whole upload (the interrupted one finished, or none of it), a version records it, and the audit
log names that version (docs/operations.md, "Crash consistency")."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from composition.settings import Settings
from core.shop_ids import DEFAULT_SHOP, collection_name
from knowledge.chroma import open_chroma_client
from knowledge.chroma_store import ChromaStore
from knowledge.indexing import Indexer
from knowledge.store import EntryFilter
from knowledge.versions import KnowledgeVersions, store_digest
from tests import services
from tests.conftest import MODEL_CACHE, ROOT
from tests.fakes import HashingEmbedder

ENTRIES = 600  # three batches of the indexer's 256: a kill can land between two writes of the store


def rows(round_: int) -> list[dict[str, Any]]:
    """Every entry's answer names the round, so that each upload changes every entry."""
    return [{"id": f"faq-{n:04d}", "locale": "en", "question": f"How do I change thing {n} on my order?",
             "answer": f"Open the order page and edit thing {n} (round {round_})."} for n in range(ENTRIES)]


class Server:
    def __init__(self, data_dir: Path, log: Path) -> None:
        self.data_dir, self._log = data_dir, log
        self.env = dict(os.environ) | {
            "DRAFTDESK_DATA_DIR": str(data_dir), "DRAFTDESK_MODEL_CACHE_DIR": str(MODEL_CACHE),
            "DRAFTDESK_LLM": "template", "DRAFTDESK_AUTH": "off"}
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = ""

    def start(self) -> None:
        port = services.free_port()
        with self._log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "tests.api.worker_app:create", "--factory", "--host", "127.0.0.1",
                 "--port", str(port), "--log-level", "warning"], cwd=ROOT, env=self.env, stdout=log, stderr=log)
        self.base = f"http://127.0.0.1:{port}"
        services.wait_http(f"{self.base}/readyz", self.proc, timeout_s=120)

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None:
            services.stop(self.proc)

    def call(self, method: str, path: str, body: Any = None, timeout: float = 120) -> Any:
        request = urllib.request.Request(f"{self.base}{path}", method=method,
                                         headers={"content-type": "application/json"},
                                         data=None if body is None else json.dumps(body).encode())
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())

    def versions_dir(self) -> Path:
        return self.data_dir / "kb_versions" / collection_name(Settings(data_dir=self.data_dir).collection,
                                                                DEFAULT_SHOP)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path / "data", tmp_path / "server.log")
    try:
        running.start()
        yield running
    finally:
        running.stop()


def upload(server: Server, round_: int, kill_when: Callable[[], bool] | None = None, after_s: float = 0.0) -> float:
    """Upload round `round_`; with `kill_when`, SIGKILL the server `after_s` after it first holds. The seconds from
    the change's journal record appearing to the response (or the kill)."""
    journal = server.versions_dir() / "journal"
    sent = threading.Thread(target=_post, args=(server, round_), daemon=True)
    sent.start()
    began = None
    while sent.is_alive():
        if began is None and journal.is_dir() and any(journal.glob("*.json")):
            began = time.monotonic()
        if kill_when is not None and kill_when():
            # the trigger may be first to see the journal record, which appeared between the two looks
            began = time.monotonic() if began is None and any(journal.glob("*.json")) else began
            time.sleep(after_s)
            break
        time.sleep(0.002)
    if kill_when is not None:  # the response may beat the last look at the files: then it dies right after
        server.kill()
    sent.join(60)
    assert began is not None, "the change was never journalled"
    return time.monotonic() - began


def _post(server: Server, round_: int) -> None:
    with contextlib.suppress(urllib.error.URLError, ConnectionError):  # killed
        server.call("POST", "/v1/knowledge", {"entries": rows(round_)})


def journalled(server: Server) -> Callable[[], bool]:
    journal = server.versions_dir() / "journal"
    return lambda: any(journal.glob("*.json"))


def versioned(server: Server) -> Callable[[], bool]:
    """The versions index was replaced: the version is recorded, its audit row and the journal not yet done."""
    index = server.versions_dir() / "versions.json"
    before = index.stat().st_mtime_ns
    return lambda: index.stat().st_mtime_ns != before


def in_step(server: Server) -> tuple[int, int]:
    """(the round the store holds, the latest version's number), after checking the store holds one whole round,
    the latest version counts it, every version has one audit row, and the journal is empty."""
    listed: list[dict[str, Any]] = []
    while len(listed) < ENTRIES:
        page = server.call("GET", f"/v1/knowledge?limit=500&offset={len(listed)}")
        assert page["items"], page
        listed += page["items"]
    rounds = {item["answer"].rsplit("(round ", 1)[1].rstrip(").") for item in listed}
    assert len(rounds) == 1, f"the store mixes rounds {sorted(rounds)}"
    versions = server.call("GET", "/v1/knowledge/versions")["items"]
    assert versions[0]["entries"] == ENTRIES
    audited = [e["action"] for e in server.call("GET", "/v1/audit?limit=1000")["items"]
               if e["action"].startswith("knowledge version ")]
    assert sorted(int(a.split()[2].rstrip(":")) for a in audited) == sorted(v["number"] for v in versions)
    assert list((server.versions_dir() / "journal").glob("*.json")) == []
    return int(rounds.pop()), versions[0]["number"]


def test_sigkill_mid_upload_leaves_store_versions_and_audit_in_step(server: Server) -> None:
    write_s = upload(server, 0)  # not killed: how long a write takes here
    assert in_step(server) == (0, 1)
    kills: list[tuple[str, Callable[[Server], Callable[[], bool]], float]] = [
        ("as the journal record appears", journalled, 0.0),
        ("a third into the write", journalled, write_s / 3),
        ("two thirds into the write", journalled, 2 * write_s / 3),
        ("as the version is recorded", versioned, 0.0),
    ]
    held, number = 0, 1
    for round_, (where, trigger, after_s) in enumerate(kills, start=1):
        upload(server, round_, trigger(server), after_s)
        server.start()  # finishes the interrupted change before it answers
        got_round, got_number = in_step(server)
        assert got_round in (held, round_), where
        assert got_number == number + (got_round != held), f"{where}: the store changed without a version"
        held, number = got_round, got_number

    again = server.call("POST", "/v1/knowledge", {"entries": rows(held)})  # a retry of what the store holds
    assert (again["added"], again["updated"]) == (0, 0)
    server.stop()
    _assert_digest_matches(server)


def _assert_digest_matches(server: Server) -> None:
    """In this process, once the server is gone: the latest version's digest and entries are the store's."""
    embedder = HashingEmbedder()
    directory = server.versions_dir()
    store = ChromaStore(open_chroma_client(server.data_dir / "chroma"), directory.name, embedder.model_id)
    versions = KnowledgeVersions(store, Indexer(embedder, store), directory)
    latest = versions.latest()
    assert latest is not None and latest.digest == store_digest(store)[0]
    assert sorted(e.key for e in versions.entries(latest.number)) == sorted(store.keys(EntryFilter()))
