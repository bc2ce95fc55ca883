"""Structured logs: one JSON object a line, each carrying the id of the request it belongs to."""

from __future__ import annotations

import logging
import re
import sys
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, Literal

from pythonjsonlogger.json import JsonFormatter

# set by the request middleware; copied into the worker threads that run sync routes
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")  # an incoming X-Request-ID is echoed, so it must be harmless
_TEXT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def new_request_id(incoming: str | None) -> str:
    """The caller's X-Request-ID when it is sane (a proxy's trace id), else a fresh one."""
    if incoming and _SANE_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


def install_request_id() -> None:
    """Every log record gets `request_id` (None outside a request), whichever handler or logger sees it; once."""
    current = logging.getLogRecordFactory()
    if not isinstance(current, _WithRequestId):
        logging.setLogRecordFactory(_WithRequestId(current))


class _WithRequestId:
    """A log record factory that adds the request id to what the factory before it makes."""

    def __init__(self, before: Callable[..., logging.LogRecord]) -> None:
        self._before = before

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self._before(*args, **kwargs)
        record.request_id = request_id.get()
        return record


def configure_logging(fmt: Literal["json", "text"] = "json", level: int = logging.INFO) -> None:
    """The root logger writes to stderr, as JSON (for a log pipeline) or text (for a terminal); uvicorn's
    loggers propagate to it."""
    install_request_id()
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            json_ensure_ascii=False,
        ))
    else:
        handler.setFormatter(logging.Formatter(_TEXT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
