"""Learning from the agents over HTTP: feedback teaches the answering entry the buyer's message; the knowledge owner
sees it on the entry and removes it with `DELETE /v1/knowledge/{id}/learned`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api import create_app
from composition.settings import Settings
from knowledge.embedders import Embedder
from tests.api.conftest import ROWS, assert_error, configure
from tests.conftest import MODEL_CACHE, SAMPLE_KB
from tests.fakes import HashingEmbedder

LEARNED = "/v1/knowledge/ship-001/learned"
TAUGHT = {**ROWS[0], "learned": ["包裹三天了还没动静", "快递到哪了"]}


def drafted(client: TestClient, message: str) -> dict[str, Any]:
    response = client.post("/v1/drafts", json={"message": message, "platform": "taobao"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def score(draft: dict[str, Any], entry_id: str) -> float:
    return float(next(c["score"] for c in draft["candidates"] if c["id"] == entry_id))


@pytest.fixture(scope="module")
def sample_client(tmp_path_factory: pytest.TempPathFactory, real_embedder: Embedder) -> Iterator[TestClient]:
    """The real app and model on the sample knowledge base, its own: what it learns changes no other test's."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("learning"), model_cache_dir=MODEL_CACHE, llm="template")
    app = create_app(settings, embedder=real_embedder)
    with TestClient(app) as client:
        app.state.components.shops.get().knowledge.index_paths([SAMPLE_KB])
        yield client


@pytest.mark.model
def test_an_accepted_draft_teaches_the_entry_and_a_close_message_then_matches_through_it(
    sample_client: TestClient, real_embedder: Embedder
) -> None:
    close = "刚到的盘子碎了两个"
    before = score(drafted(sample_client, close), "ret-005")
    made = drafted(sample_client, "收到的盘子摔碎了一个")
    assert (made["answer_mode"], made["citations"][-1]["id"]) == ("entry", "ret-005"), made

    receipt = sample_client.post(f"/v1/drafts/{made['id']}/feedback", json={"action": "accepted"})

    assert receipt.status_code == 201, receipt.text
    assert receipt.json()["learned"] == {"entry_id": "ret-005", "locale": "zh", "text": "收到的盘子摔碎了一个"}
    entry = sample_client.get("/v1/knowledge/ret-005", params={"locale": "zh"}).json()["entries"][0]
    assert entry["learned"] == ["收到的盘子摔碎了一个"]
    assert (entry["labels"]["intents"], entry["labels"]["source"]) == (["return_refund"], "inferred")
    # the close message now scores what it scores against the learned example: it is matched through that facet
    after = drafted(sample_client, close)
    facets = {facet: np.asarray(vector) for facet, _, vector in
              sample_client.app.state.components.shops.get().store.vectors(["ret-005@zh"])}  # type: ignore[attr-defined]
    query = real_embedder.embed_queries([close])[0]
    similarity = {facet: float(vector @ query) for facet, vector in facets.items()}
    assert max(similarity, key=lambda facet: similarity[facet]) == "l0", similarity
    assert score(after, "ret-005") == pytest.approx(similarity["l0"], abs=1e-3)
    assert score(after, "ret-005") > before
    assert after["citations"][-1]["id"] == "ret-005"


@pytest.fixture
def taught(seeded: TestClient) -> TestClient:
    assert seeded.post("/v1/knowledge", json={"entries": [TAUGHT]}).status_code == 200
    return seeded


def test_delete_a_learned_example(taught: TestClient) -> None:
    response = taught.delete(LEARNED, params={"locale": "zh", "text": "包裹三天了还没动静"})

    assert response.status_code == 200, response.text
    assert response.json()["learned"] == ["快递到哪了"]
    assert {"id", "locale", "question", "answer", "labels"} <= set(response.json())
    assert taught.get("/v1/knowledge/ship-001", params={"locale": "zh"}).json()["entries"][0]["learned"] == [
        "快递到哪了"]
    latest = taught.get("/v1/knowledge/versions").json()["items"][0]
    assert latest["reason"] == "removed a learned example from ship-001@zh"


def test_delete_the_last_learned_example_leaves_none(taught: TestClient) -> None:
    for text in TAUGHT["learned"]:
        assert taught.delete(LEARNED, params={"locale": "zh", "text": text}).status_code == 200

    assert taught.get("/v1/knowledge/ship-001", params={"locale": "zh"}).json()["entries"][0]["learned"] == []


@pytest.mark.parametrize(("path", "params", "mentions"), [
    (LEARNED, {"locale": "zh", "text": "没学过这句"}, "no learned example"),
    (LEARNED, {"locale": "en", "text": "快递到哪了"}, "ship-001"),  # learned in zh only
    ("/v1/knowledge/nope/learned", {"locale": "zh", "text": "快递到哪了"}, "nope"),
])
def test_delete_what_is_not_there_is_404(taught: TestClient, path: str, params: dict[str, str],
                                         mentions: str) -> None:
    assert mentions in assert_error(taught.delete(path, params=params), 404, "not_found")


@pytest.mark.parametrize("params", [{"text": "快递到哪了"}, {"locale": "zh"}, {"locale": "fr", "text": "x"}])
def test_delete_needs_a_locale_and_the_text(taught: TestClient, params: dict[str, str]) -> None:
    assert_error(taught.delete(LEARNED, params=params), 422, "invalid_request")


@pytest.fixture
def secured_client(fake_settings: Settings, fake_embedder: HashingEmbedder) -> Iterator[TestClient]:
    with TestClient(create_app(configure(fake_settings, auth="on"), embedder=fake_embedder)) as client:
        yield client


def test_only_knowledge_owners_and_admins_may_delete(secured_client: TestClient) -> None:
    keys = secured_client.app.state.components.keys  # type: ignore[attr-defined]
    agent, owner, admin = (keys.create(role, label=role)[1] for role in ("agent", "knowledge_owner", "admin"))
    headers = {role: {"Authorization": f"Bearer {key}"} for role, key in
               (("agent", agent), ("owner", owner), ("admin", admin))}
    assert secured_client.post("/v1/knowledge", json={"entries": [TAUGHT]}, headers=headers["owner"]).status_code == 200

    def delete(role: str, text: str) -> Any:
        return secured_client.delete(LEARNED, params={"locale": "zh", "text": text}, headers=headers[role])

    assert_error(secured_client.delete(LEARNED, params={"locale": "zh", "text": "快递到哪了"}), 401, "unauthorized")
    assert "knowledge_owner" in assert_error(delete("agent", "快递到哪了"), 403, "forbidden")
    assert delete("owner", "快递到哪了").status_code == 200
    assert delete("admin", "包裹三天了还没动静").status_code == 200
