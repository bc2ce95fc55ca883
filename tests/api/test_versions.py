"""/v1/knowledge/versions and /duplicates on the real app (hashing embedder, real Chroma)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import ROWS, assert_error

SHIP_ZH = ROWS[0]


def versions(client: TestClient) -> list[dict[str, object]]:
    response = client.get("/v1/knowledge/versions")
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def test_every_change_is_a_version_and_a_rollback_restores_it(client: TestClient) -> None:
    assert versions(client) == []
    assert client.post("/v1/knowledge", json={"entries": ROWS}).status_code == 200
    client.post("/v1/knowledge", json={"entries": ROWS})  # unchanged: no new version
    edited = SHIP_ZH | {"answer": "大促期间付款后72小时内发出，请耐心等待。"}
    client.post("/v1/knowledge", json={"entries": [edited]})
    client.delete("/v1/knowledge/pol-001")
    client.post("/v1/knowledge", json={"entries": [SHIP_ZH]}, params={"dry_run": "true"})  # a preview: none

    listed = versions(client)
    assert [v["number"] for v in listed] == [3, 2, 1]
    assert listed[0]["reason"] == "delete pol-001" and listed[0]["entries"] == len(ROWS) - 1
    assert listed[2]["entries"] == len(ROWS) and len(str(listed[0]["kb_version"])) == 12
    draft = client.post("/v1/drafts", json={"message": "我的快递怎么还没到", "platform": "taobao"}).json()
    logged = client.get(f"/v1/drafts/{draft['id']}").json()
    assert logged["kb_version"] == listed[0]["kb_version"]  # a draft names the version it was made from

    rolled = client.post("/v1/knowledge/versions/1/rollback")

    assert rolled.status_code == 200, rolled.text
    body = rolled.json()
    assert body["version"]["number"] == 4 and body["version"]["reason"] == "rollback to version 1"
    assert body["version"]["digest"] == listed[2]["digest"]
    assert (body["summary"]["added"], body["summary"]["updated"]) == (1, 1)
    assert client.get("/v1/knowledge/pol-001").status_code == 200
    ship = client.get("/v1/knowledge/ship-001", params={"locale": "zh"}).json()["entries"][0]
    assert ship["answer"] == SHIP_ZH["answer"]


def test_rolling_back_to_an_unknown_version_is_a_404(client: TestClient) -> None:
    assert_error(client.post("/v1/knowledge/versions/9/rollback"), 404, "not_found")
    assert_error(client.post("/v1/knowledge/versions/x/rollback"), 422, "invalid_request")


def test_announcements_make_versions_too(client: TestClient) -> None:
    response = client.post("/v1/announcements", json={
        "title": "Carrier delay", "body": "Parcels to Hokkaido are delayed by snow.", "locale": "en",
        "valid_until": "2099-01-01T00:00:00+00:00"})
    assert response.status_code == 201, response.text

    assert versions(client)[0]["reason"] == f"announcement {response.json()['id']} published"


def test_duplicates_lists_pairs_above_the_threshold(client: TestClient) -> None:
    copy = SHIP_ZH | {"id": "ship-copy"}
    client.post("/v1/knowledge", json={"entries": [*ROWS, copy]})

    found = client.get("/v1/knowledge/duplicates", params={"locale": "zh"}).json()

    assert found["threshold"] == 0.95
    assert [(p["first"], p["second"]) for p in found["items"]] == [("ship-001@zh", "ship-copy@zh")]
    assert found["items"][0]["score"] >= 0.999
    assert_error(client.get("/v1/knowledge/duplicates", params={"threshold": 2}), 422, "invalid_request")
