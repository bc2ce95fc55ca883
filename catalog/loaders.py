"""Read catalog files (JSONL, or CSV as Excel saves it) and API rows into products and promotions. A file with any
bad row yields nothing; every problem names its line (CSV: the spreadsheet row, the header being line 1).

CSV conventions: an empty cell is an absent field; `attr_<name>` columns fill `attributes[name]` as text; list
cells split on `| , ; 、 ， ；`; `bulk_tiers` reads `10:180|50:160` and `size_chart` reads `S:150-160:40-50|M:...`
(label:height cm:weight kg, either range may be empty), each also a JSON array; a promotion's `type` column and
the columns it needs build `mechanics`. Numbers may carry thousands separators and, for money, `¥`/`$`/`元`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from catalog.models import Product, Promotion
from knowledge.errors import InvalidFileError, UnsupportedFileError
from knowledge.limits import NestingError, check_nesting, load_json
from knowledge.loaders import decode, json_objects  # one decoder for every file a shop uploads

SUFFIXES = (".jsonl", ".csv")
ATTR_PREFIX = "attr_"
PRODUCT_COLUMNS = ("sku", "title", "title_en", "price", "currency", "stock", "low_stock", "restock_date",
                   "platforms", "alternatives", "bulk_tiers", "size_chart", "url")
MECHANICS_COLUMNS = ("threshold", "off", "percent", "deposit", "balance", "balance_from", "balance_until", "gift",
                     "gift_en")
PROMOTION_COLUMNS = ("id", "title", "title_en", "platform", "starts", "ends", "skus", "type", *MECHANICS_COLUMNS,
                     "terms", "terms_en")
MECHANICS_TYPES = ("threshold", "percent_off", "presale", "gift")

M = TypeVar("M", Product, Promotion)
Cells = dict[str, str]


def load_products(path: Path) -> list[Product]:
    return products_from_bytes(_read(path), filename=path.name, source=str(path.resolve()))


def load_promotions(path: Path) -> list[Promotion]:
    return promotions_from_bytes(_read(path), filename=path.name, source=str(path.resolve()))


def load_folder(folder: Path) -> tuple[list[Product] | None, list[Promotion] | None]:
    """A catalog folder as shipped (`catalog/sample/`): `products.jsonl` or `.csv` and `promotions.jsonl` or `.csv`,
    each optional; None for a kind the folder does not hold."""
    if not folder.is_dir():
        raise UnsupportedFileError(f"{folder}: not a catalog folder (products.jsonl/.csv, promotions.jsonl/.csv)")

    def first(stem: str) -> Path | None:
        return next((folder / f"{stem}{suffix}" for suffix in SUFFIXES if (folder / f"{stem}{suffix}").is_file()),
                    None)

    products, promotions = first("products"), first("promotions")
    if products is None and promotions is None:
        raise UnsupportedFileError(f"{folder}: holds neither products.jsonl/.csv nor promotions.jsonl/.csv")
    return (load_products(products) if products else None,
            load_promotions(promotions) if promotions else None)


def products_from_bytes(data: bytes, filename: str, source: str) -> list[Product]:
    return _from_bytes(_PRODUCTS, data, filename, source)


def promotions_from_bytes(data: bytes, filename: str, source: str) -> list[Promotion]:
    return _from_bytes(_PROMOTIONS, data, filename, source)


def products_from_rows(rows: Iterable[dict[str, Any]], source: str) -> list[Product]:
    """Validate already-decoded rows (an API call's JSON body), shaped as in JSONL; problems name `product N`."""
    return _validate(_PRODUCTS, enumerate(rows, start=1), "product", source, [])


def promotions_from_rows(rows: Iterable[dict[str, Any]], source: str) -> list[Promotion]:
    return _validate(_PROMOTIONS, enumerate(rows, start=1), "promotion", source, [])


@dataclass(frozen=True)
class _Kind(Generic[M]):
    """What differs between a products file and a promotions file."""

    noun: str
    model: type[M]
    key: str  # the field no two rows of a file may share
    columns: tuple[str, ...]
    required: tuple[str, ...]  # columns a CSV header must have
    to_row: Callable[[Cells, list[str]], dict[str, Any]]  # CSV cells → a model row; cell problems to the list
    prefix: str = ""  # a column family beside `columns` (`attr_<name>`)


def _read(path: Path) -> bytes:
    if not path.is_file():
        reason = "a directory; give one file" if path.is_dir() else "no such file"
        raise UnsupportedFileError(f"{path}: {reason}")
    return path.read_bytes()


def _from_bytes(kind: _Kind[M], data: bytes, filename: str, source: str) -> list[M]:
    if Path(filename).suffix.lower() not in SUFFIXES:
        raise UnsupportedFileError(f"{filename}: unsupported file type; use one of {', '.join(SUFFIXES)}")
    text = decode(data, source)
    problems: list[str] = []
    if Path(filename).suffix.lower() == ".jsonl":
        return _validate(kind, json_objects(text.splitlines(), problems), "line", source, problems)
    return _validate(kind, _csv_rows(kind, text, problems), "line", source, problems)


def _validate(kind: _Kind[M], rows: Iterable[tuple[int, dict[str, Any]]], where: str, source: str,
              problems: list[str]) -> list[M]:
    """`rows` may add to `problems` as they are read (JSONL, CSV), so it is consumed before anything is decided."""
    items: list[M] = []
    lines: dict[str, int] = {}
    for number, row in rows:
        at = f"{where} {number}"
        try:
            check_nesting(row)  # API rows arrive parsed; a file's were checked as they were parsed
            item = kind.model.model_validate(row)
        except NestingError as exc:
            problems.append(f"{at}: {exc}")
            continue
        except ValidationError as exc:
            problems.extend(f"{at}: {_field(err, kind.noun)}: {_message(err)}" for err in exc.errors())
            continue
        key = str(getattr(item, kind.key))
        if key in lines:
            problems.append(f"{at}: {kind.key}: {key!r} is also on {where} {lines[key]}")
            continue
        lines[key] = number
        items.append(item)
    if problems:
        raise InvalidFileError(source, problems)
    return items


def _field(err: ErrorDetails, noun: str) -> str:
    return ".".join(str(part) for part in err["loc"]) or noun


def _message(err: ErrorDetails) -> str:
    return err["msg"].removeprefix("Value error, ")


# --- CSV -------------------------------------------------------------------------------------------------------


def _csv_rows(kind: _Kind[M], text: str, problems: list[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Rows numbered as a spreadsheet shows them: each record is one row (a quoted cell may span lines) and blank
    rows count, so the numbers match what the seller sees in Excel."""
    number = 0
    try:
        records = csv.reader(io.StringIO(text, newline=""))
        header = next(records, None)
        number = 1
        if header is None:
            return
        columns = _header(kind, header, problems)
        if problems:
            return
        for number, record in enumerate(records, start=2):
            if not any(cell.strip() for cell in record):
                continue  # Excel writes `,,,` for rows it once held
            cells = _cells(columns, record, number, problems)
            if cells is None:
                continue
            cell_problems: list[str] = []
            row = kind.to_row(cells, cell_problems)
            problems.extend(f"line {number}: {p}" for p in cell_problems)
            if not cell_problems:
                yield number, row
    except csv.Error as exc:  # a stray NUL, a cell past the csv module's size limit
        problems.append(f"line {number + 1}: {exc}")


def _header(kind: _Kind[M], header: list[str], problems: list[str]) -> list[str]:
    """The columns, canonical: known names lower-cased, `attr_` names kept as written. Unknown, repeated or
    missing columns are problems of line 1."""
    columns: list[str] = []
    for raw in header:
        name = raw.strip()
        if kind.prefix and name.lower().startswith(kind.prefix):
            name = kind.prefix + name[len(kind.prefix):]
        elif name.lower() in kind.columns:
            name = name.lower()
        columns.append(name)
    unknown = [c for c in columns if c and c not in kind.columns and not (kind.prefix and c.startswith(kind.prefix))]
    if unknown:
        also = f" or {kind.prefix}<name>" if kind.prefix else ""
        problems.append(f"line 1: unknown columns {', '.join(map(repr, unknown))}; use {', '.join(kind.columns)}{also}")
    if kind.prefix and kind.prefix in columns:
        problems.append(f"line 1: column {kind.prefix!r} names no attribute")
    repeated = sorted({c for c in columns if c and columns.count(c) > 1})
    if repeated:
        problems.append(f"line 1: columns appear more than once: {', '.join(map(repr, repeated))}")
    missing = [c for c in kind.required if c not in columns]
    if missing:
        problems.append(f"line 1: missing columns {', '.join(map(repr, missing))}")
    return columns


def _cells(columns: list[str], record: list[str], number: int, problems: list[str]) -> Cells | None:
    """The row's non-empty cells by column; None (and a problem) when a cell has no column."""
    pairs = list(zip(columns, record, strict=False))
    if any(c.strip() for c in record[len(columns):]) or any(not col and cell.strip() for col, cell in pairs):
        problems.append(f"line {number}: a cell under no column header")
        return None
    return {col: cell.strip() for col, cell in pairs if col and cell.strip()}


def _convert(cells: Cells, parsers: dict[str, Callable[[str], Any]], problems: list[str]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column, cell in cells.items():
        try:
            row[column] = parsers.get(column, str)(cell)
        except ValueError as exc:  # NestingError and JSONDecodeError are ValueErrors
            problems.append(f"{column}: {exc}")
    return row


def _product_row(cells: Cells, problems: list[str]) -> dict[str, Any]:
    row = _convert(cells, _PRODUCT_CELLS, problems)
    attributes = {c[len(ATTR_PREFIX):]: row.pop(c) for c in list(row) if c.startswith(ATTR_PREFIX)}
    return {**row, "attributes": attributes} if attributes else row


def _promotion_row(cells: Cells, problems: list[str]) -> dict[str, Any]:
    row = _convert(cells, _PROMOTION_CELLS, problems)
    mechanics = {c: row.pop(c) for c in MECHANICS_COLUMNS if c in row}
    kind = row.pop("type", None)
    if kind is None:
        problems.append(f"type: required; one of {', '.join(MECHANICS_TYPES)}")
    return {**row, "mechanics": {"type": kind, **mechanics}}


# --- cells -----------------------------------------------------------------------------------------------------

_LIST_SEPARATORS = re.compile(r"[|,;、，；]")
_ROW_SEPARATORS = re.compile(r"[|;；\n]")  # tiers and sizes hold numbers, so `,` is a thousands separator there
_NUMBER = re.compile(
    r"(?P<sign>-?)(?P<prefix>[¥￥$]?)(?P<digits>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)(?P<suffix>元|%)?")
_RANGE_SEPARATORS = re.compile(r"[-~～–—至到]")
_DATE = re.compile(r"(\d{4})[/.年-](\d{1,2})[/.月-](\d{1,2})日?")  # Excel rewrites 2025-12-01 as 2025/12/1


def _number(cell: str, marks: str = "") -> Decimal:
    """'1,299', '199.00' → Decimal; `marks` are the currency or percent signs the column may carry."""
    match = _NUMBER.fullmatch(re.sub(r"\s", "", cell))
    if match is None or any(m and m not in marks for m in (match["prefix"], match["suffix"])):
        raise ValueError(f"not a number: {cell!r}")
    value = Decimal(match["digits"].replace(",", ""))
    return -value if match["sign"] else value


def _money(cell: str) -> Decimal:
    return _number(cell, "¥￥$元")


def _percent(cell: str) -> Decimal:
    return _number(cell, "%")


def _items(cell: str) -> list[str]:
    return [part.strip() for part in _LIST_SEPARATORS.split(cell) if part.strip()]


def _rows(cell: str) -> list[str]:
    return [part.strip().replace("：", ":") for part in _ROW_SEPARATORS.split(cell) if part.strip()]


def _json_array(cell: str) -> list[Any]:
    try:
        value = load_json(cell)  # a NestingError goes up as it is
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON ({exc.msg})") from None
    if not isinstance(value, list):
        raise ValueError("expected a JSON array")
    return value


def _tiers(cell: str) -> list[Any]:
    if cell.startswith(("[", "{")):
        return _json_array(cell)
    tiers = []
    for part in _rows(cell):
        qty, colon, price = part.partition(":")
        if not colon:
            raise ValueError(f"tier {part!r}: write min_qty:unit_price, e.g. 10:180|50:160")
        tiers.append({"min_qty": _number(qty), "unit_price": _money(price)})
    return tiers


def _sizes(cell: str) -> list[Any]:
    if cell.startswith(("[", "{")):
        return _json_array(cell)
    sizes = []
    for part in _rows(cell):
        label, *ranges = (p.strip() for p in part.split(":"))
        if not 1 <= len(ranges) <= 2:
            raise ValueError(f"size {part!r}: write label:height:weight, e.g. S:150-160:40-50")
        size: dict[str, Any] = {"label": label}
        for name, unit, text in zip(("height", "weight"), ("cm", "kg"), ranges, strict=False):
            if text:
                size[name] = _range(text.removesuffix(unit).removesuffix(unit.upper()))
        sizes.append(size)
    return sizes


def _range(text: str) -> list[float]:
    ends = [float(_number(p)) for p in _RANGE_SEPARATORS.split(text)]
    if len(ends) > 2:
        raise ValueError(f"range {text!r}: write low-high, e.g. 150-160")
    return [ends[0], ends[-1]]


def _date(cell: str) -> str:
    match = _DATE.fullmatch(cell)
    return f"{match[1]}-{int(match[2]):02d}-{int(match[3]):02d}" if match else cell


def _skus(cell: str) -> list[str] | str:
    return "all" if cell.lower() == "all" else _items(cell)


def _lower_items(cell: str) -> list[str]:
    return [item.lower() for item in _items(cell)]


_PRODUCT_CELLS: dict[str, Callable[[str], Any]] = {
    "price": _money, "stock": _number, "low_stock": _number, "currency": str.upper, "restock_date": _date,
    "platforms": _lower_items, "alternatives": _items, "bulk_tiers": _tiers, "size_chart": _sizes,
}
_PROMOTION_CELLS: dict[str, Callable[[str], Any]] = {
    "platform": str.lower, "skus": _skus, "type": str.lower, "threshold": _money, "off": _money,
    "percent": _percent, "deposit": _money, "balance": _money,
}
_PRODUCTS = _Kind(noun="product", model=Product, key="sku", columns=PRODUCT_COLUMNS,
                  required=("sku", "title", "price", "stock"), to_row=_product_row, prefix=ATTR_PREFIX)
_PROMOTIONS = _Kind(noun="promotion", model=Promotion, key="id", columns=PROMOTION_COLUMNS,
                    required=("id", "title", "starts", "ends", "skus", "type"), to_row=_promotion_row)
