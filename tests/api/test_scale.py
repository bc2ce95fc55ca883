"""Several API workers share one store: the real app on a Chroma server (`chroma run`) and PostgreSQL, both
started once per session on loopback (tests/conftest.py); then two uvicorn worker processes on them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import create_app
from composition.settings import Settings
from tests import services
from tests.api.conftest import ROWS, configure
from tests.conftest import MODEL_CACHE, ROOT
from tests.fakes import HashingEmbedder

ASK = {"message": "我的快递怎么还没到", "platform": "taobao"}


@pytest.fixture
def shared(fake_settings: Settings, chroma_port: int, postgres_url: str) -> Settings:
    """The deployment's settings: a collection of this test's own on the session's Chroma server, a fresh schema
    on its PostgreSQL."""
    return configure(fake_settings, chroma_host="127.0.0.1", chroma_port=chroma_port,
                     collection=f"kb-{uuid.uuid4().hex[:12]}", database_url=services.create_database(postgres_url))


def test_the_app_on_a_chroma_server_and_postgresql(shared: Settings, fake_embedder: HashingEmbedder) -> None:
    with TestClient(create_app(shared, embedder=fake_embedder)) as client:
        indexed = client.post("/v1/knowledge", json={"entries": ROWS})
        made = client.post("/v1/drafts", json=ASK).json()
        accepted = client.post(f"/v1/drafts/{made['id']}/feedback", json={"action": "accepted"})
        ready = client.get("/readyz").json()

    assert indexed.status_code == 200, indexed.text
    assert [c["id"] for c in made["citations"]] == ["ship-001"] and made["needs_human"] is False
    assert accepted.status_code == 201, accepted.text
    assert ready["entries"] == len(ROWS)
    assert not shared.chroma_dir.exists()  # nothing went to an embedded store

    with TestClient(create_app(shared, embedder=fake_embedder)) as again:  # a restart: both services kept it all
        logged = again.get(f"/v1/drafts/{made['id']}").json()
        assert again.get("/readyz").json()["entries"] == len(ROWS)
    assert [f["action"] for f in logged["feedback"]] == ["accepted"]


def _call(base: str, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(f"{base}{path}", method=method, data=None if body is None else json.dumps(
        body).encode(), headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def workers(shared: Settings, tmp_path: Path) -> Iterator[list[str]]:
    """Two uvicorn processes, as two API workers or hosts, on the same Chroma server and PostgreSQL."""
    env = dict(os.environ)  # as the autouse `_offline` fixture left it: no DRAFTDESK_* from the shell
    env |= {f"DRAFTDESK_{name.upper()}": str(value) for name, value in {
        "data_dir": shared.data_dir, "model_cache_dir": MODEL_CACHE, "chroma_host": shared.chroma_host,
        "chroma_port": shared.chroma_port, "collection": shared.collection, "database_url": shared.database_url,
        "threshold_zh": shared.threshold_zh, "threshold_en": shared.threshold_en, "llm": "template"}.items()}
    procs, bases = [], []
    try:
        for n in range(2):
            port = services.free_port()
            log = (tmp_path / f"worker{n}.log").open("wb")
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "tests.api.worker_app:create", "--factory", "--host", "127.0.0.1",
                 "--port", str(port), "--log-level", "warning"], cwd=ROOT, env=env, stdout=log, stderr=log))
            bases.append(f"http://127.0.0.1:{port}")
        for base, proc in zip(bases, procs, strict=True):  # they start together: the schema is created once
            services.wait_http(f"{base}/readyz", proc, timeout_s=120)
        yield bases
    finally:
        for proc in procs:
            services.stop(proc)


def test_two_workers_share_the_store_and_the_draft_log(workers: list[str]) -> None:
    one, other = workers

    status, indexed = _call(one, "POST", "/v1/knowledge", {"entries": ROWS})
    assert status == 200, indexed
    status, made = _call(other, "POST", "/v1/drafts", ASK)  # sees what the first indexed
    assert status == 200, made
    assert [c["id"] for c in made["citations"]] == ["ship-001"] and made["id"]
    status, saved = _call(one, "POST", f"/v1/drafts/{made['id']}/feedback", {"action": "edited",
                                                                            "final_text": made["draft"] + "谢谢亲"})
    assert status == 201, saved

    for base in workers:  # both read the same log and the same knowledge base
        assert _call(base, "GET", f"/v1/drafts/{made['id']}")[1]["feedback"][0]["edit_distance"] == 3
        assert _call(base, "GET", "/v1/history")[1]["total"] == 1
        assert _call(base, "GET", "/readyz")[1]["entries"] == len(ROWS)
    acceptance = _call(other, "GET", "/v1/analytics/acceptance?by=entry")[1]
    assert (acceptance["items"][0]["key"], acceptance["items"][0]["edited"]) == ("ship-001", 1.0)
