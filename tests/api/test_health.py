"""Liveness, readiness, the OpenAPI document, and the error body for routes that do not exist."""

from __future__ import annotations

import gc
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from threadpoolctl import threadpool_info

from api import create_app
from composition.settings import Settings
from core.errors import ConfigError
from knowledge.errors import EmbedderError, EmbedderMismatchError
from tests.api.conftest import ROWS, assert_error, configure
from tests.fakes import HashingEmbedder


class BreakableEmbedder(HashingEmbedder):
    """A hashing embedder that starts failing when told to, as a model on a lost device would."""

    broken = False

    def _embed(self, texts: Sequence[str]):  # type: ignore[no-untyped-def]
        if self.broken:
            raise EmbedderError("embedding failed: device lost")
        return super()._embed(texts)


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_start_up_objects_are_frozen_while_serving(fake_settings: Settings, fake_embedder: HashingEmbedder) -> None:
    """Python's full collections skip what the process held at start-up (the model, chroma), and shutdown gives it
    back to the collector."""
    held = [fake_embedder]  # made before the app starts: a tracked container the collector can see

    def collected() -> bool:
        return any(obj is held for obj in gc.get_objects())

    assert collected()
    with TestClient(create_app(fake_settings, embedder=fake_embedder)) as client:
        assert not collected() and gc.get_freeze_count() > 0
        response = client.post("/v1/drafts", json={"message": "我的快递怎么还没到", "platform": "taobao"})
        assert response.status_code == 200, response.text
    assert collected() and gc.get_freeze_count() == 0


def test_the_server_runs_blas_on_one_thread_and_gives_the_setting_back(
        fake_settings: Settings, fake_embedder: HashingEmbedder) -> None:
    """OpenBLAS's own threads would spin against the embedding model's; the exact search is BLAS's one big use."""
    def threads() -> set[int]:
        return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}

    before = threads()
    with TestClient(create_app(fake_settings, embedder=fake_embedder)):
        assert threads() == {1}
    assert threads() == before


@pytest.mark.parametrize("remembered", [None, 0])
def test_a_started_server_holds_the_records_and_reads_none_for_a_draft(
        remembered: int | None, fake_settings: Settings, fake_embedder: HashingEmbedder,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The lifespan reads every record's metadata once (`ChromaStore.warm`): a draft then asks chroma only for the
    nearest records and the live announcements, not for the metadata of what it found. With
    DRAFTDESK_REMEMBERED_RECORDS=0 nothing is kept, and the draft reads it."""
    settings = fake_settings if remembered is None else configure(fake_settings, remembered_records=remembered)
    with TestClient(create_app(settings, embedder=fake_embedder)) as client:
        assert client.post("/v1/knowledge", json={"entries": ROWS}).status_code == 200
    with TestClient(create_app(settings, embedder=fake_embedder)) as client:
        collection = client.app.state.components.shops.get().store.chroma.col  # type: ignore[attr-defined]
        reads: list[dict[str, Any]] = []
        get = collection.get
        monkeypatch.setattr(collection, "get", lambda **kwargs: reads.append(kwargs) or get(**kwargs))

        response = client.post("/v1/drafts", json={"message": "我的快递怎么还没到", "platform": "taobao"})

        assert response.status_code == 200, response.text
        assert response.json()["citations"]
        announcements = {"where": {"kind": {"$in": ["announcement"]}}, "include": ["metadatas"]}
        if remembered is None:
            assert reads == [announcements]
        else:
            assert announcements in reads and any(r.get("ids") for r in reads)


def test_readyz_counts_entries(client: TestClient) -> None:
    assert client.get("/readyz").json()["entries"] == 0
    client.post("/v1/knowledge", json={"entries": ROWS})

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "entries": 5, "embedder": "fake-hashing-256", "provider": "template"}


def test_broken_embedder_is_not_ready_and_drafts_are_503(fake_settings: Settings) -> None:
    embedder = BreakableEmbedder()
    with TestClient(create_app(fake_settings, embedder=embedder)) as client:
        embedder.broken = True

        assert_error(client.get("/readyz"), 503, "not_ready")
        response = client.post("/v1/drafts", json={"message": "这个问题没人问过", "platform": "taobao"})  # not cached
        message = assert_error(response, 503, "embedder_error")
        assert "device lost" in message
        assert client.get("/healthz").status_code == 200  # alive, just not ready


def test_openapi_lists_every_path(client: TestClient) -> None:
    response = client.get("/openapi.json")

    assert response.status_code == 200
    spec = response.json()
    assert spec["info"]["title"] == "draftdesk"
    assert set(spec["paths"]) >= {"/v1/drafts", "/v1/knowledge", "/v1/knowledge/{entry_id}", "/healthz", "/readyz"}
    assert set(spec["paths"]["/v1/knowledge"]) == {"get", "post"}
    assert set(spec["paths"]["/v1/knowledge/{entry_id}"]) == {"get", "delete"}
    upload = spec["paths"]["/v1/knowledge"]["post"]["requestBody"]["content"]
    assert set(upload) == {"application/json", "multipart/form-data"}
    draft_schema = spec["components"]["schemas"]["DraftRequest"]
    assert draft_schema["properties"]["platform"]["enum"] == ["taobao", "pdd", "jd", "amazon"]


def test_docs_are_served(client: TestClient) -> None:
    response = client.get("/docs")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in response.text


@pytest.mark.parametrize("path", ["/nope", "/v1/draft", "/v2/drafts"])
def test_unknown_route_is_a_404_error_body(client: TestClient, path: str) -> None:
    assert_error(client.get(path), 404, "not_found")


def test_wrong_method_is_a_405_error_body(client: TestClient) -> None:
    assert_error(client.get("/v1/drafts"), 405, "method_not_allowed")


def test_bad_llm_config_fails_at_startup(fake_settings: Settings) -> None:
    app = create_app(configure(fake_settings, llm="gpt-5"), embedder=HashingEmbedder())

    with pytest.raises(ConfigError, match="gpt-5"), TestClient(app):
        pass


def test_store_built_with_another_embedder_fails_at_startup(fake_settings: Settings, tmp_path: Path) -> None:
    with TestClient(create_app(fake_settings, embedder=HashingEmbedder(model_id="model-a"))) as client:
        client.post("/v1/knowledge", json={"entries": ROWS})
    other = create_app(fake_settings, embedder=HashingEmbedder(model_id="model-b"))

    with pytest.raises(EmbedderMismatchError, match="model-a"), TestClient(other):
        pass
