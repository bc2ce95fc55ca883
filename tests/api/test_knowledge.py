"""/v1/knowledge: index JSON rows and uploaded files, list, read and delete, with the hashing embedder."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import ROWS, assert_error, total

JSONL = "\n".join(json.dumps(r, ensure_ascii=False) for r in [
    {"id": "up-001", "locale": "zh", "question": "可以开发票吗？", "answer": "可以，确认收货后在订单页面申请开票。"},
    {"id": "up-002", "locale": "en", "question": "Can I get an invoice?",
     "answer": "Yes, request one on the order page."},
]) + "\n"

CSV = (
    "id,kind,question,answer,platform,locale,tags\n"
    "csv-001,faq,优惠券可以叠加吗？,一般可以叠加，以结算页为准。,taobao,zh,coupon|payment\n"
    'csv-002,faq,Can I combine coupons?,"Usually yes, as shown at checkout.",any,en,coupon\n'
)

MARKDOWN = """---
kind: policy
platform: any
locale: en
tags: [return_refund]
---

# Returns

## Refund time

Refunds reach the original payment method within 1 to 7 working days.

## Return shipping

We pay return shipping for faulty items.
"""


def upload(client: TestClient, name: str, data: str | bytes, **form: str) -> Any:
    content = data.encode("utf-8") if isinstance(data, str) else data
    return client.post("/v1/knowledge", files={"file": (name, content, "application/octet-stream")}, data=form)


# --- JSON rows -------------------------------------------------------------------------------------------


def test_index_json_entries_reports_counts(client: TestClient) -> None:
    response = client.post("/v1/knowledge", json={"entries": ROWS})

    assert response.status_code == 200, response.text
    assert response.json() == {
        "added": 5, "updated": 0, "unchanged": 0, "deleted": 0, "embedded": 10, "sources": ["api"],
        "dry_run": False,
        "keys": {"added": [f"{r['id']}@{r['locale']}" for r in ROWS], "updated": [], "deleted": []},
        "compliance": {},
    }
    assert total(client) == 5


def test_reindexing_is_incremental(client: TestClient) -> None:
    client.post("/v1/knowledge", json={"entries": ROWS})
    changed = [dict(r) for r in ROWS]
    changed[0]["tags"] = ["logistics"]  # metadata only: updated, not re-embedded
    changed[1]["answer"] = "Orders ship within 48 hours of payment."  # text: updated and re-embedded

    body = client.post("/v1/knowledge", json={"entries": changed}).json()

    assert (body["added"], body["updated"], body["unchanged"], body["deleted"]) == (0, 2, 3, 0)
    assert body["embedded"] == 1  # the changed passage; its question and the tags-only change embed nothing
    en = client.get("/v1/knowledge/ship-001", params={"locale": "en"}).json()["entries"][0]
    assert en["answer"] == "Orders ship within 48 hours of payment."


def test_prune_via_json_deletes_only_missing_entries_of_that_source(client: TestClient) -> None:
    client.post("/v1/knowledge", json={"entries": ROWS[:2], "source": "crm"})
    client.post("/v1/knowledge", json={"entries": ROWS[2:4], "source": "other"})

    body = client.post("/v1/knowledge", json={"entries": ROWS[:1], "source": "crm", "prune": True}).json()

    assert (body["unchanged"], body["deleted"]) == (1, 1)
    assert body["sources"] == ["crm"]
    assert total(client, source="crm") == 1
    assert total(client, source="other") == 2


def test_without_prune_nothing_is_deleted(client: TestClient) -> None:
    client.post("/v1/knowledge", json={"entries": ROWS[:2], "source": "crm"})

    body = client.post("/v1/knowledge", json={"entries": ROWS[:1], "source": "crm"}).json()

    assert body["deleted"] == 0
    assert total(client, source="crm") == 2


def test_invalid_json_entries_are_400_and_nothing_is_indexed(client: TestClient) -> None:
    rows = [ROWS[0], {"id": "bad one", "locale": "zh", "question": "q"}]

    response = client.post("/v1/knowledge", json={"entries": rows})

    message = assert_error(response, 400, "invalid_file")
    assert "entry 2" in message
    assert any("answer" in p for p in response.json()["error"]["problems"])
    assert total(client) == 0


@pytest.mark.parametrize(
    "body",
    [{"entries": []}, {"entries": ROWS, "surprise": 1}, {"rows": ROWS}, {"entries": ROWS, "source": ""}],
    ids=["no-entries", "extra-field", "wrong-key", "empty-source"],
)
def test_invalid_index_request_is_422(client: TestClient, body: dict[str, Any]) -> None:
    assert_error(client.post("/v1/knowledge", json=body), 422, "invalid_request")
    assert total(client) == 0


def test_malformed_json_index_body_is_422(client: TestClient) -> None:
    response = client.post("/v1/knowledge", content=b'{"entries": [', headers={"content-type": "application/json"})

    assert_error(response, 422, "invalid_request")


# --- uploads ---------------------------------------------------------------------------------------------


def test_upload_jsonl(client: TestClient) -> None:
    response = upload(client, "faq.jsonl", JSONL)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["added"], body["deleted"], body["sources"]) == (2, 0, ["upload:faq.jsonl"])
    assert total(client, source="upload:faq.jsonl") == 2


def test_upload_csv(client: TestClient) -> None:
    response = upload(client, "coupons.csv", CSV)

    assert response.status_code == 200, response.text
    assert response.json()["added"] == 2
    assert response.json()["sources"] == ["upload:coupons.csv"]
    [entry] = client.get("/v1/knowledge/csv-001").json()["entries"]
    assert (entry["platform"], entry["tags"]) == ("taobao", ["coupon", "payment"])
    assert entry["source"] == "upload:coupons.csv"
    assert client.get("/v1/knowledge/csv-002").json()["entries"][0]["answer"] == "Usually yes, as shown at checkout."


def test_upload_markdown_makes_one_policy_per_section(client: TestClient) -> None:
    response = upload(client, "returns.md", MARKDOWN)

    assert response.status_code == 200, response.text
    assert response.json()["added"] == 2
    items = client.get("/v1/knowledge", params={"source": "upload:returns.md"}).json()["items"]
    assert [i["id"] for i in items] == ["returns:refund-time", "returns:return-shipping"]
    assert {i["kind"] for i in items} == {"policy"}
    assert items[0]["title"] == "Returns > Refund time"


def test_uploaded_path_is_reduced_to_its_name(client: TestClient) -> None:
    response = upload(client, "../../etc/faq.jsonl", JSONL)

    assert response.status_code == 200, response.text
    assert response.json()["sources"] == ["upload:faq.jsonl"]


def test_reupload_is_unchanged_and_embeds_nothing(client: TestClient) -> None:
    upload(client, "faq.jsonl", JSONL)

    body = upload(client, "faq.jsonl", JSONL).json()

    assert (body["added"], body["unchanged"], body["embedded"]) == (0, 2, 0)


@pytest.mark.parametrize("flag", ["true", "1", "on", "YES"])
def test_prune_via_form_field(client: TestClient, flag: str) -> None:
    upload(client, "faq.jsonl", JSONL)
    upload(client, "other.jsonl", JSONL.replace("up-00", "other-00"))
    first_line_only = JSONL.splitlines()[0] + "\n"

    body = upload(client, "faq.jsonl", first_line_only, prune=flag).json()

    assert (body["unchanged"], body["deleted"]) == (1, 1)
    assert total(client, source="upload:faq.jsonl") == 1
    assert total(client, source="upload:other.jsonl") == 2
    assert client.get("/v1/knowledge/up-002").status_code == 404


def test_upload_without_prune_keeps_removed_lines(client: TestClient) -> None:
    upload(client, "faq.jsonl", JSONL)

    body = upload(client, "faq.jsonl", JSONL.splitlines()[0] + "\n", prune="false").json()

    assert body["deleted"] == 0
    assert total(client, source="upload:faq.jsonl") == 2


@pytest.mark.parametrize(
    ("name", "data", "where"),
    [
        ("faq.jsonl", JSONL + '{"id": "up-003", "locale": "zh", \n', "line 3"),
        ("faq.jsonl", JSONL.replace('"answer": "Yes, request one on the order page."', '"answer": ""'), "line 2"),
        ("faq.jsonl", '["not", "an", "object"]\n', "line 1"),
        ("coupons.csv", CSV + "csv-003,faq,q,a,any,zh,coupon,surplus\n", "line 4"),
        ("faq.jsonl", bytes(range(128, 256)) * 3, "UTF-8"),
        ("returns.md", "---\nkind: [unclosed\n---\n## A\ntext\n", "front matter"),
    ],
    ids=["bad-json-line", "empty-answer", "not-an-object", "extra-csv-cell", "not-utf8", "bad-front-matter"],
)
def test_malformed_upload_is_400_and_leaves_the_store_unchanged(
    seeded: TestClient, name: str, data: str | bytes, where: str
) -> None:
    before = total(seeded)

    response = upload(seeded, name, data)

    message = assert_error(response, 400, "invalid_file")
    assert where in message
    assert total(seeded) == before


def test_a_bad_reupload_does_not_prune(client: TestClient) -> None:
    upload(client, "faq.jsonl", JSONL)

    response = upload(client, "faq.jsonl", "{broken\n", prune="true")

    assert_error(response, 400, "invalid_file")
    assert total(client, source="upload:faq.jsonl") == 2


@pytest.mark.parametrize("name", ["faq.txt", "faq.json", "faq.xlsx", "faq"])
def test_unsupported_file_type_is_415(client: TestClient, name: str) -> None:
    message = assert_error(upload(client, name, JSONL), 415, "unsupported_file")

    assert ".jsonl" in message
    assert total(client) == 0


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_wrong_content_type_is_415(client: TestClient, content_type: str) -> None:
    response = client.post("/v1/knowledge", content=JSONL.encode(), headers={"content-type": content_type})

    assert_error(response, 415, "unsupported_media_type")


def test_multipart_without_a_file_is_422(client: TestClient) -> None:
    response = client.post("/v1/knowledge", files={"document": ("faq.jsonl", JSONL.encode(), "text/plain")})

    assert_error(response, 422, "invalid_request")


# --- list, read, delete ----------------------------------------------------------------------------------


def test_list_everything_sorted_by_key(seeded: TestClient) -> None:
    body = seeded.get("/v1/knowledge").json()

    assert body["total"] == 5
    assert (body["limit"], body["offset"]) == (50, 0)
    assert [(i["id"], i["locale"]) for i in body["items"]] == [
        ("inv-jd-001", "zh"), ("pol-001", "en"), ("ret-taobao-001", "zh"), ("ship-001", "en"), ("ship-001", "zh"),
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"platform": "taobao"}, {"pol-001@en", "ret-taobao-001@zh", "ship-001@en", "ship-001@zh"}),
        ({"platform": "jd", "locale": "zh"}, {"inv-jd-001@zh", "ship-001@zh"}),
        ({"locale": "en"}, {"pol-001@en", "ship-001@en"}),
        ({"kind": "policy"}, {"pol-001@en"}),
        ({"kind": "announcement"}, set()),
        ({"source": "api"}, {"inv-jd-001@zh", "pol-001@en", "ret-taobao-001@zh", "ship-001@en", "ship-001@zh"}),
        ({"source": "nowhere"}, set()),
    ],
)
def test_list_filters(seeded: TestClient, params: dict[str, str], expected: set[str]) -> None:
    body = seeded.get("/v1/knowledge", params=params).json()

    assert {f"{i['id']}@{i['locale']}" for i in body["items"]} == expected
    assert body["total"] == len(expected)


def test_list_pages_with_limit_and_offset(seeded: TestClient) -> None:
    everything = [(i["id"], i["locale"]) for i in seeded.get("/v1/knowledge").json()["items"]]

    page = seeded.get("/v1/knowledge", params={"limit": 2, "offset": 1}).json()
    past_the_end = seeded.get("/v1/knowledge", params={"limit": 2, "offset": 10}).json()

    assert [(i["id"], i["locale"]) for i in page["items"]] == everything[1:3]
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 1)
    assert (past_the_end["items"], past_the_end["total"]) == ([], 5)


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 501}, {"offset": -1}, {"platform": "tmall"}, {"locale": "fr"}, {"kind": "faqs"}],
)
def test_list_rejects_bad_query_parameters(seeded: TestClient, params: dict[str, Any]) -> None:
    message = assert_error(seeded.get("/v1/knowledge", params=params), 422, "invalid_request")

    assert next(iter(params)) in message


def test_get_returns_both_locales(seeded: TestClient) -> None:
    response = seeded.get("/v1/knowledge/ship-001")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == "ship-001"
    assert [e["locale"] for e in body["entries"]] == ["en", "zh"]
    assert body["entries"][1]["question"] == ROWS[0]["question"]


def test_get_with_locale_narrows(seeded: TestClient) -> None:
    body = seeded.get("/v1/knowledge/ship-001", params={"locale": "en"}).json()

    assert [e["locale"] for e in body["entries"]] == ["en"]
    assert body["entries"][0]["answer"] == ROWS[1]["answer"]


def test_list_and_get_carry_the_labels_worked_out_when_indexed(seeded: TestClient) -> None:
    declared = {**ROWS[3], "intents": ["invoice"]}
    assert seeded.post("/v1/knowledge", json={"entries": [declared]}).status_code == 200

    listed = {f"{i['id']}@{i['locale']}": i for i in seeded.get("/v1/knowledge").json()["items"]}
    got = seeded.get("/v1/knowledge/inv-jd-001").json()["entries"][0]

    assert listed["inv-jd-001@zh"]["labels"] == got["labels"]
    assert (got["labels"]["intents"], got["labels"]["source"]) == (["invoice"], "declared")
    assert isinstance(got["labels"]["question_types"], list)
    assert listed["ship-001@zh"]["labels"]["source"] in ("inferred", "none")
    assert listed["ship-001@zh"]["question"] == ROWS[0]["question"]  # the entry's own fields are all still there


@pytest.mark.parametrize(("path", "params"), [("/v1/knowledge/nope", {}), ("/v1/knowledge/pol-001", {"locale": "zh"})])
def test_get_unknown_is_404(seeded: TestClient, path: str, params: dict[str, str]) -> None:
    message = assert_error(seeded.get(path, params=params), 404, "not_found")

    assert path.rsplit("/", 1)[1] in message


def test_delete_then_get_is_404(seeded: TestClient) -> None:
    response = seeded.delete("/v1/knowledge/ship-001")

    assert response.status_code == 200, response.text
    assert response.json() == {"id": "ship-001", "deleted": 2}
    assert_error(seeded.get("/v1/knowledge/ship-001"), 404, "not_found")
    assert_error(seeded.delete("/v1/knowledge/ship-001"), 404, "not_found")
    assert total(seeded) == 3


def test_delete_one_locale_keeps_the_other(seeded: TestClient) -> None:
    response = seeded.delete("/v1/knowledge/ship-001", params={"locale": "zh"})

    assert response.json() == {"id": "ship-001", "deleted": 1}
    assert [e["locale"] for e in seeded.get("/v1/knowledge/ship-001").json()["entries"]] == ["en"]


def test_deleted_entry_is_no_longer_cited(seeded: TestClient) -> None:
    ask = {"message": "我的快递怎么还没到", "platform": "taobao"}
    assert seeded.post("/v1/drafts", json=ask).json()["citations"][0]["id"] == "ship-001"

    seeded.delete("/v1/knowledge/ship-001")

    assert "ship-001" not in [c["id"] for c in seeded.post("/v1/drafts", json=ask).json()["citations"]]


def test_json_content_type_is_matched_case_insensitively(client: TestClient) -> None:
    body = '{"entries": [{"id": "x-1", "question": "在吗", "answer": "在的", "locale": "zh"}]}'
    response = client.post("/v1/knowledge", content=body.encode(), headers={"content-type": "Application/JSON"})

    assert response.status_code == 200, response.text
    assert response.json()["added"] == 1


def test_invalid_json_body_lists_each_problem(client: TestClient) -> None:
    response = client.post("/v1/knowledge", json={"entries": [], "prune": "maybe"})

    message = assert_error(response, 422, "invalid_request")
    problems = response.json()["error"]["problems"]
    assert len(problems) == 2
    assert any(p.startswith("entries") for p in problems) and any(p.startswith("prune") for p in problems)
    assert problems[0] in message
