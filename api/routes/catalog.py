"""The shop's catalog over HTTP: import product and promotion files (or JSON rows), and list, read, put and delete
one product or promotion. Reads for every role that reads knowledge (agents see the products they answer about),
writes for knowledge owners; the same `Catalog` the CLI and the drafts use."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from api.auth import AGENT, KNOWLEDGE, QA, allow
from api.deps import CatalogDep, ClockDep, SettingsDep
from api.errors import ApiError, ErrorBody
from api.routes.knowledge import MAX_UPLOAD_BYTES
from api.schemas import (
    CatalogCounts,
    CatalogImport,
    CatalogImportRequest,
    CatalogKeyPath,
    ProductList,
    ProductSaved,
    PromotionList,
    PromotionSaved,
)
from catalog.loaders import products_from_bytes, products_from_rows, promotions_from_bytes, promotions_from_rows
from catalog.models import Product, Promotion
from catalog.service import Imported
from knowledge.errors import InvalidFileError

router = APIRouter(tags=["catalog"])

READERS = allow(*AGENT, *KNOWLEDGE, *QA)
WRITERS = allow(*KNOWLEDGE)
_MISSING: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody, "description": "Not in this shop's catalog."}}
_FILE = {"type": "string", "format": "binary", "description": ".jsonl or .csv (UTF-8 or GBK, as Excel saves it)"}
_IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": CatalogImportRequest.model_json_schema()},
            "multipart/form-data": {"schema": {
                "type": "object",
                "properties": {
                    "products": _FILE,
                    "promotions": _FILE,
                    "prune": {"type": "boolean", "description": "Delete what a given file no longer holds."},
                },
            }},
        },
    }
}
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000)]
Search = Annotated[str | None, Query(max_length=200, description="A substring of the key or a title, any case.")]


@router.post("/v1/catalog/import", dependencies=[WRITERS], response_model=CatalogImport, openapi_extra=_IMPORT_BODY,
             summary="Import products and promotions from files or JSON rows")
async def import_catalog(request: Request, catalog: CatalogDep, settings: SettingsDep) -> CatalogImport:
    """Adds and updates what is given; unchanged rows embed nothing. A file (or list) with any bad row imports
    nothing, and the 400 names each bad line. `prune` deletes the products (promotions) a given kind no longer
    holds."""
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("multipart/form-data"):
        products, promotions, prune = await _read_upload(await request.form(max_files=2))
    elif content_type.startswith("application/json"):
        try:
            body = CatalogImportRequest.model_validate_json(await request.body())
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from exc
        products = None if body.products is None else await run_in_threadpool(products_from_rows, body.products,
                                                                              "request")
        promotions = None if body.promotions is None else await run_in_threadpool(
            promotions_from_rows, body.promotions, "request")
        prune = body.prune
    else:
        raise ApiError(415, "unsupported_media_type", "send multipart/form-data files (`products`, `promotions`) or "
                       "application/json rows")
    if products is None and promotions is None:
        raise ApiError(422, "invalid_request", "give products, promotions or both")
    for noun, items in (("products", products), ("promotions", promotions)):
        if items is not None and len(items) > settings.max_upload_rows:
            raise InvalidFileError(noun, [f"{len(items)} rows; one import may hold at most {settings.max_upload_rows} "
                                          "(split it, or import from disk with `draftdesk catalog import`)"])
    imported = await run_in_threadpool(lambda: catalog.apply(products, promotions, prune=prune))
    return _summary(imported)


async def _read_upload(form: FormData) -> tuple[list[Product] | None, list[Promotion] | None, bool]:
    """Both files are read and checked before anything is written."""
    files: dict[str, tuple[bytes, str]] = {}
    for name in ("products", "promotions"):
        part = form.get(name)
        if part is None or part == "":
            continue
        if not isinstance(part, UploadFile):
            raise ApiError(422, "invalid_request", f"`{name}` must be a file (.jsonl or .csv)")
        data = await part.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            raise ApiError(413, "payload_too_large", f"files are limited to {MAX_UPLOAD_BYTES // 1024 // 1024} MiB")
        if not part.filename and not data:  # a form's file input left empty
            continue
        files[name] = (data, part.filename or f"{name}.jsonl")
    prune = str(form.get("prune", "false")).strip().lower() in {"1", "true", "yes", "on"}
    products = promotions = None
    if "products" in files:
        data, filename = files["products"]
        products = await run_in_threadpool(products_from_bytes, data, filename, f"upload:{filename}")
    if "promotions" in files:
        data, filename = files["promotions"]
        promotions = await run_in_threadpool(promotions_from_bytes, data, filename, f"upload:{filename}")
    return products, promotions, prune


def _summary(imported: Imported) -> CatalogImport:
    applied = imported.applied
    return CatalogImport(products=CatalogCounts.model_validate(vars(applied.products)),
                         promotions=CatalogCounts.model_validate(vars(applied.promotions)),
                         embedded=imported.embedded, revision=applied.revision)


@router.get("/v1/catalog/products", dependencies=[READERS], response_model=ProductList, summary="List products")
def list_products(
    catalog: CatalogDep, q: Search = None,
    stock: Annotated[Literal["in_stock", "low", "out"] | None, Query(description="Only this stock level.")] = None,
    limit: Limit = 50, offset: Offset = 0,
) -> ProductList:
    """By SKU. `q` matches the SKU, the title or the English title."""
    needle = (q or "").strip().casefold()
    found = [p for p in sorted(catalog.view().products.values(), key=lambda p: p.sku)
             if _has(needle, p.sku, p.title, p.title_en) and (stock is None or p.stock_level() == stock)]
    return ProductList(items=found[offset:offset + limit], total=len(found), limit=limit, offset=offset)


@router.get("/v1/catalog/products/{sku:path}", dependencies=[READERS], response_model=Product, responses=_MISSING,
            summary="Read a product")
def get_product(sku: CatalogKeyPath, catalog: CatalogDep) -> Product:
    product = catalog.view().products.get(sku)
    if product is None:
        raise ApiError(404, "not_found", f"no product {sku!r} in this shop's catalog")
    return product


@router.put("/v1/catalog/products/{sku:path}", dependencies=[WRITERS], response_model=ProductSaved,
            summary="Add or replace a product")
def put_product(sku: CatalogKeyPath, body: Product, catalog: CatalogDep) -> ProductSaved:
    """The body's `sku` must be the path's. Its words are embedded again only when they changed."""
    if body.sku != sku:
        raise ApiError(422, "invalid_request", f"the body's sku {body.sku!r} is not the path's {sku!r}")
    return ProductSaved(outcome=catalog.put_product(body), product=body)


@router.delete("/v1/catalog/products/{sku:path}", dependencies=[WRITERS], status_code=204, response_class=Response,
               responses=_MISSING, summary="Delete a product")
def delete_product(sku: CatalogKeyPath, catalog: CatalogDep) -> Response:
    if not catalog.delete_product(sku):
        raise ApiError(404, "not_found", f"no product {sku!r} in this shop's catalog")
    return Response(status_code=204)


@router.get("/v1/catalog/promotions", dependencies=[READERS], response_model=PromotionList,
            summary="List promotions")
def list_promotions(
    catalog: CatalogDep, clock: ClockDep, q: Search = None,
    state: Annotated[Literal["upcoming", "live", "ended"] | None, Query(description="Only those in this state now.")]
    = None,
    limit: Limit = 50, offset: Offset = 0,
) -> PromotionList:
    """By start, then id. `q` matches the id, the title or the English title."""
    needle, now = (q or "").strip().casefold(), clock()
    found = [p for p in sorted(catalog.view().promotions, key=lambda p: (p.starts, p.id))
             if _has(needle, p.id, p.title, p.title_en) and (state is None or p.state(now) == state)]
    return PromotionList(items=found[offset:offset + limit], total=len(found), limit=limit, offset=offset)


@router.get("/v1/catalog/promotions/{promotion_id:path}", dependencies=[READERS], response_model=Promotion,
            responses=_MISSING, summary="Read a promotion")
def get_promotion(promotion_id: CatalogKeyPath, catalog: CatalogDep) -> Promotion:
    for promotion in catalog.view().promotions:
        if promotion.id == promotion_id:
            return promotion
    raise ApiError(404, "not_found", f"no promotion {promotion_id!r} in this shop's catalog")


@router.put("/v1/catalog/promotions/{promotion_id:path}", dependencies=[WRITERS], response_model=PromotionSaved,
            summary="Add or replace a promotion")
def put_promotion(promotion_id: CatalogKeyPath, body: Promotion, catalog: CatalogDep) -> PromotionSaved:
    """The body's `id` must be the path's."""
    if body.id != promotion_id:
        raise ApiError(422, "invalid_request", f"the body's id {body.id!r} is not the path's {promotion_id!r}")
    return PromotionSaved(outcome=catalog.put_promotion(body), promotion=body)


@router.delete("/v1/catalog/promotions/{promotion_id:path}", dependencies=[WRITERS], status_code=204,
               response_class=Response, responses=_MISSING, summary="Delete a promotion")
def delete_promotion(promotion_id: CatalogKeyPath, catalog: CatalogDep) -> Response:
    if not catalog.delete_promotion(promotion_id):
        raise ApiError(404, "not_found", f"no promotion {promotion_id!r} in this shop's catalog")
    return Response(status_code=204)


def _has(needle: str, *fields: str | None) -> bool:
    return not needle or any(needle in f.casefold() for f in fields if f)
