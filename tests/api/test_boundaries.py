"""Requests at the edges of what the API takes (found fuzzing it, tests/api/test_fuzz.py): a 422 in the one error
shape, never a 5xx. On the hashing-embedder app of tests/api/conftest.py."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import assert_error

BEYOND_CALENDAR = "9999-12-31T23:59:59-14:00"  # an instant no timezone can show: 10000-01-01 in UTC


@pytest.mark.parametrize("path", ["/v1/analytics/volume", "/v1/analytics/acceptance", "/v1/analytics/gaps"])
@pytest.mark.parametrize("bound", ["since", "until"])
def test_an_analytics_period_beyond_the_calendar_is_a_422(client: TestClient, path: str, bound: str) -> None:
    """Was a 503 `database_unavailable` (an OverflowError turning it into UTC for the query)."""
    assert_error(client.get(path, params={bound: BEYOND_CALENDAR}), 422, "invalid_request")


def test_an_announcement_beyond_the_calendar_is_a_422(client: TestClient) -> None:
    body = {"title": "t", "body": "b", "locale": "en", "valid_until": BEYOND_CALENDAR}
    assert_error(client.post("/v1/announcements", json=body), 422, "invalid_request")


@pytest.mark.parametrize("order", [{"status": "paid", "ship_by": "0001-01-01T00:00:00+14:00"},
                                   {"presale": {"balance_until": BEYOND_CALENDAR}}])
@pytest.mark.parametrize("path", ["/v1/drafts", "/v1/drafts/stream"])
def test_an_order_date_beyond_the_calendar_is_a_422(client: TestClient, path: str, order: dict[str, Any]) -> None:
    """Was a 500: the draft quotes order dates in the shop's timezone, and astimezone overflowed."""
    message = assert_error(client.post(path, json={"message": "where is my parcel", "platform": "jd",
                                                   "order": order}), 422, "invalid_request")
    assert "ends of the calendar" in message


@pytest.mark.parametrize("path", ["/v1/history", "/v1/knowledge"])
def test_an_offset_beyond_any_store_is_a_422_not_a_500(client: TestClient, path: str) -> None:
    """Found by fuzzing: an offset past SQLite's integers reached the query (OverflowError, a 500)."""
    assert "offset" in assert_error(client.get(path, params={"offset": 2**63}), 422, "invalid_request")
    assert client.get(path, params={"offset": 10**9}).json()["items"] == []


def test_the_schema_declares_the_422_body_the_api_sends(client: TestClient) -> None:
    """FastAPI documents its own `{"detail": [...]}`; what a 422 carries, and what clients read, is `ErrorBody`."""
    schema = client.get("/openapi.json").json()
    invalid = [op["responses"]["422"] for path in schema["paths"].values() for op in path.values()
               if "422" in op.get("responses", {})]

    assert invalid and all(r["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
                           for r in invalid)
    components = schema["components"]["schemas"]
    assert "HTTPValidationError" not in components and "ValidationError" not in components
    assert components["ErrorBody"]["required"] == ["error"]
    assert components["ErrorDetail"]["required"] == ["code", "message"]
