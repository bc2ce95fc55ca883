"""CLI fixtures: `cli.main.app` through typer's CliRunner, on a temp data dir and the shared model cache."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from cli.main import app
from tests.conftest import MODEL_CACHE

Run = Callable[..., Result]

ROWS: list[dict[str, Any]] = [
    {"id": "ship-001", "locale": "zh", "tags": ["logistics", "delivery_delay"],
     "question": "我的快递怎么还没到？物流一直不更新怎么办？",
     "answer": "亲，日常订单一般在付款后48小时内发出。物流信息可能延迟约24小时才更新，请耐心等待。"},
    {"id": "ship-001", "locale": "en", "tags": ["logistics"],
     "question": "Where is my parcel? Why hasn't my package arrived yet?",
     "answer": "Orders ship within 48 hours of payment, and tracking can lag by about 24 hours."},
    {"id": "ret-001", "locale": "zh", "tags": ["return_refund"],
     "question": "支持七天无理由退货吗？", "answer": "支持。商品签收后7天内，商品完好即可申请七天无理由退货。"},
    {"id": "cancel-001", "locale": "zh", "tags": ["cancel_order"],
     "question": "还没发货，怎么取消订单？", "answer": "订单未发货时，可以在订单页面直接点击“取消订单”。"},
]


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    return {
        "DRAFTDESK_DATA_DIR": str(tmp_path / "data"),
        "DRAFTDESK_MODEL_CACHE_DIR": str(MODEL_CACHE),
        "DRAFTDESK_LLM": "template",
    }


@pytest.fixture
def run(cli_env: dict[str, str]) -> Run:
    """`run("kb", "list", env={...})` invokes the CLI in-process; stdout and stderr stay apart."""

    def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(app, list(args), env={**cli_env, **(env or {})})

    return invoke
