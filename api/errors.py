"""Every error leaves as `{"error": {"code", "message"}}` with a fitting status; never a traceback."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import DraftdeskError

log = logging.getLogger("draftdesk.api")

_STATUS = {
    "invalid_file": 400,
    "invalid_request": 422,
    "conflict": 409,
    "unsupported_file": 415,
    "not_found": 404,
    "embedder_mismatch": 409,
    "store_unavailable": 503,
    "embedder_error": 503,
    "database_unavailable": 503,
    "versions_unavailable": 503,
    "unauthorized": 401,
    "forbidden": 403,
    "payload_too_large": 413,
    "rate_limited": 429,
    "missing_order_facts": 422,
    "macro_not_applicable": 422,
    "upstream_error": 502,
}  # any other code is a fault of ours or of the configuration: a 500, logged


INTERNAL = "internal"  # the code of an error no one raised on purpose


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable, e.g. `invalid_request`, `not_found`.")
    message: str
    problems: list[str] | None = Field(default=None, description="One line per invalid field or row.")


class ErrorBody(BaseModel):
    """What every error response carries (the schema says so for 422s, in place of FastAPI's `detail` list)."""

    error: ErrorDetail


class ApiError(DraftdeskError):
    """An error only HTTP knows (auth, limits), with its own status."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message, code=code)
        self.status, self.headers = status, headers


def status_of(exc: DraftdeskError) -> int:
    return exc.status if isinstance(exc, ApiError) else _STATUS.get(exc.code, 500)


def error_content(exc: DraftdeskError) -> dict[str, Any]:
    """The `{"error": ...}` body for any draftdesk error; a 500's message names no internals."""
    if status_of(exc) >= 500 and exc.code not in _STATUS:
        log.error("%s: %s", exc.code, exc.message)
        return error_body(exc.code, "internal error; see the server log")
    problems = getattr(exc, "problems", None)
    return error_body(exc.code, exc.message, **({"problems": problems} if problems is not None else {}))


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def install_error_handlers(app: FastAPI) -> None:
    _declare_error_shape(app)

    @app.exception_handler(DraftdeskError)
    async def _draftdesk(_: Request, exc: DraftdeskError) -> JSONResponse:
        headers = exc.headers if isinstance(exc, ApiError) else None
        return JSONResponse(error_content(exc), status_code=status_of(exc), headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'body'}: {e['msg']}" for e in exc.errors()]
        return JSONResponse(
            error_body("invalid_request", "; ".join(problems), problems=problems), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(error_body(INTERNAL, "internal error; see the server log"), status_code=500)


def _declare_error_shape(app: FastAPI) -> None:
    """FastAPI documents its own 422 body (`{"detail": [...]}`); ours is `ErrorBody`: say so in the schema."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schemas = schema.get("components", {}).get("schemas", {})
            for name in ("HTTPValidationError", "ValidationError"):
                schemas.pop(name, None)
            body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(body.pop("$defs"), ErrorBody=body)
            for operation in (op for path in schema.get("paths", {}).values() for op in path.values()):
                invalid = operation.get("responses", {}).get("422")
                if invalid is not None:
                    invalid["content"] = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend its schema
