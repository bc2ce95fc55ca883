"""The API maps the one error root once, for the JSON routes and the streamed draft alike."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from core.errors import DraftdeskError
from drafting.llm.base import UpstreamError
from knowledge.errors import StoreUnavailableError
from prompts import TemplateError
from tests.api.conftest import ASK, assert_error
from tests.api.test_drafts_stream import events


@pytest.mark.parametrize(("error", "status", "message"), [
    (StoreUnavailableError("the store went away"), 503, "the store went away"),
    (UpstreamError("the model answered nothing"), 502, "the model answered nothing"),
    (TemplateError("template 'x' needs y"), 500, "internal error; see the server log"),  # ours: no internals shown
])
def test_the_api_maps_the_root_once_for_json_and_streamed_drafts(
    seeded: TestClient, monkeypatch: pytest.MonkeyPatch, error: DraftdeskError, status: int, message: str
) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(seeded.app.state.components.shops.get().drafts, "draft", fail)  # type: ignore[attr-defined]

    assert assert_error(seeded.post("/v1/drafts", json=ASK), status, error.code) == message
    [(name, body)] = events(seeded.post("/v1/drafts/stream", json=ASK))
    assert name == "error" and body == {"error": {"code": error.code, "message": message}}
