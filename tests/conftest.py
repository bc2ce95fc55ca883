"""Real objects on temp dirs. The real embedding model is built once per machine into a shared cache."""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import create_app
from composition.settings import Settings
from knowledge.chroma import open_chroma_client
from knowledge.chroma_store import ChromaStore
from knowledge.embedders import DEFAULT_EMBEDDER, Embedder, load_embedder
from knowledge.indexing import Indexer
from tests import services
from tests.fakes import HashingEmbedder

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_KB = ROOT / "knowledge" / "sample_kb"
MODEL_CACHE = Path(os.environ.get("DRAFTDESK_TEST_MODEL_CACHE", Path.home() / ".cache" / "draftdesk-test" / "models"))


_LOOPBACK = ("127.0.0.1", "::1", "localhost")
# API keys are off in tests unless a test turns them on (tests/api/test_auth.py). Set here, not only in `_offline`:
# session- and module-scoped app fixtures are built before any function-scoped fixture runs.
os.environ["DRAFTDESK_AUTH"] = "off"


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No DRAFTDESK_* setting leaks in from the shell, and no test may reach past loopback (servers a test
    starts itself, such as a Chroma server, listen on 127.0.0.1). API keys are off unless a test turns them on
    (`Settings(auth="on")`, tests/api/test_auth.py): the other tests are about what the endpoints do."""
    for name in [n for n in os.environ if n.startswith("DRAFTDESK_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DRAFTDESK_AUTH", "off")
    connect = socket.socket.connect

    def loopback_only(self: socket.socket, address: Any) -> None:
        if self.family == socket.AF_UNIX or (isinstance(address, tuple) and address[0] in _LOOPBACK):
            return connect(self, address)
        raise OSError(f"tests must not touch the network (tried {address!r})")

    monkeypatch.setattr(socket.socket, "connect", loopback_only)


@pytest.fixture(scope="session")
def real_embedder() -> Embedder:
    return load_embedder(DEFAULT_EMBEDDER, MODEL_CACHE)


@pytest.fixture
def fake_embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture
def store(tmp_path: Path, fake_embedder: HashingEmbedder) -> ChromaStore:
    return ChromaStore(open_chroma_client(tmp_path / "chroma"), "test-kb", fake_embedder.model_id)


@pytest.fixture
def indexer(fake_embedder: HashingEmbedder, store: ChromaStore) -> Indexer:
    return Indexer(fake_embedder, store)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", model_cache_dir=MODEL_CACHE, llm="template")


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def sample_app_client(tmp_path_factory: pytest.TempPathFactory, real_embedder: Embedder) -> Iterator[TestClient]:
    """The real app, real model and real Chroma, with the bundled sample knowledge base indexed."""
    data = tmp_path_factory.mktemp("sample-data")
    app = create_app(Settings(data_dir=data, model_cache_dir=MODEL_CACHE, llm="template"), embedder=real_embedder)
    with TestClient(app) as client:
        app.state.components.shops.get().knowledge.index_paths([SAMPLE_KB])
        yield client


@pytest.fixture(scope="session")
def chroma_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A Chroma server (`chroma run`) on a free loopback port, started once per session; tests share it through
    collections of their own."""
    with services.chroma_server(tmp_path_factory.mktemp("chroma-server") / "data") as port:
        yield port


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL 15 on loopback, once per session (its URL without a database). Skipped where it
    cannot run, unless DRAFTDESK_REQUIRE_SERVICES is set (.ci/run sets it)."""
    problem = services.postgres_problem()
    if problem is not None:
        if services.REQUIRE_SERVICES:
            pytest.fail(f"PostgreSQL required (DRAFTDESK_REQUIRE_SERVICES is set) but {problem}")
        pytest.skip(f"PostgreSQL tests skipped: {problem}")
    base = Path(tempfile.mkdtemp(prefix="draftdesk-pg-"))  # under /tmp: the postgres user must reach it
    try:
        with services.postgres_server(base) as url:
            yield url
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty draft log: a SQLite file, or a fresh schema on the session's PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'draftdesk.db'}"
    return services.create_database(request.getfixturevalue("postgres_url"))
