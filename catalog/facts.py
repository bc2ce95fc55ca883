"""The catalog's facts, products and promotions, in the SQL database the draft log uses (SQLite by default,
PostgreSQL when several API workers share it), so every worker reads the same catalog. Each shop has a revision
that moves in the same transaction as any change: a worker keeps a shop's catalog in memory and reads it again only
when the revision moved."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from catalog.models import MAX_SKU_CHARS, Product, Promotion
from core.errors import DraftdeskError
from core.sql import UtcDateTime, create_tables, database_errors

Outcome = Literal["added", "updated", "unchanged"]
_CHUNK = 500  # keys per IN (...) list


class CatalogStoreError(DraftdeskError):
    """The catalog's database failed (unreachable, locked, a broken table): the API answers 503."""

    code = "database_unavailable"


class DuplicateKeyError(CatalogStoreError):
    """One call gave the same SKU (or promotion id) twice: the caller's mistake, answered 422."""

    code = "invalid_request"


_metadata = MetaData()


def _facts_table(name: str, key: str) -> Table:
    return Table(
        name, _metadata,
        Column("shop", String(64), primary_key=True),
        Column(key, String(MAX_SKU_CHARS), primary_key=True),
        Column("data", Text, nullable=False),  # the model's JSON
        Column("digest", String(64), nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
    )


_revisions = Table(
    "catalog_revisions", _metadata,
    Column("shop", String(64), primary_key=True),
    Column("revision", Integer, nullable=False),
)

M = TypeVar("M", Product, Promotion)


@dataclass(frozen=True)
class _Kind(Generic[M]):
    table: Table
    key: str
    model: type[M]

    def key_of(self, item: M) -> str:
        return str(getattr(item, self.key))


_PRODUCTS = _Kind(_facts_table("catalog_products", "sku"), "sku", Product)
_PROMOTIONS = _Kind(_facts_table("catalog_promotions", "id"), "id", Promotion)


@dataclass(frozen=True)
class Counts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deleted)


@dataclass(frozen=True)
class Applied:
    products: Counts
    promotions: Counts
    changed_skus: list[str]  # products added or updated (what needs embedding), sorted
    deleted_skus: list[str]
    revision: int  # the shop's revision after the call


@dataclass(frozen=True)
class CatalogSnapshot:
    revision: int  # the products and promotions are at least this new
    products: list[Product]
    promotions: list[Promotion]


@dataclass(frozen=True)
class _Synced:
    counts: Counts = Counts()
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


class CatalogFacts:
    """Products and promotions per shop; tables are created when missing. Every query is filtered by shop."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self._engine, self._clock = engine, clock
        with _guard("creating the tables"):
            create_tables(engine, _metadata)

    def apply(self, shop: str, products: Sequence[Product] | None, promotions: Sequence[Promotion] | None,
              *, prune: bool) -> Applied:
        """Both kinds in one transaction, all or nothing. None leaves a kind alone; with `prune`, the rows of a
        given kind that the sequence does not hold are deleted."""
        now = self._clock()
        with _guard("applying the catalog"), self._engine.begin() as conn:
            revision = _lock(conn, shop)
            for_products = _sync(conn, _PRODUCTS, shop, products, prune=prune, now=now)
            for_promotions = _sync(conn, _PROMOTIONS, shop, promotions, prune=prune, now=now)
            if for_products.counts.changed or for_promotions.counts.changed:
                revision = _bump(conn, shop, revision)
        return Applied(for_products.counts, for_promotions.counts, for_products.changed, for_products.deleted,
                       revision)

    def put_product(self, shop: str, product: Product) -> Outcome:
        return self._put(_PRODUCTS, shop, product)

    def put_promotion(self, shop: str, promotion: Promotion) -> Outcome:
        return self._put(_PROMOTIONS, shop, promotion)

    def delete_product(self, shop: str, sku: str) -> bool:
        return self._delete(_PRODUCTS, shop, sku)

    def delete_promotion(self, shop: str, promotion_id: str) -> bool:
        return self._delete(_PROMOTIONS, shop, promotion_id)

    def products(self, shop: str) -> list[Product]:
        """The shop's products by SKU."""
        with _guard("reading products"), self._engine.connect() as conn:
            return _all(conn, _PRODUCTS, shop)

    def product(self, shop: str, sku: str) -> Product | None:
        return self.products_by_sku(shop, [sku]).get(sku)

    def products_by_sku(self, shop: str, skus: Iterable[str]) -> dict[str, Product]:
        """Those of `skus` the shop has; an unknown SKU is left out."""
        return self._by_key(_PRODUCTS, shop, skus)

    def promotions(self, shop: str) -> list[Promotion]:
        """The shop's promotions by id."""
        with _guard("reading promotions"), self._engine.connect() as conn:
            return _all(conn, _PROMOTIONS, shop)

    def promotion(self, shop: str, promotion_id: str) -> Promotion | None:
        return self._by_key(_PROMOTIONS, shop, [promotion_id]).get(promotion_id)

    def revision(self, shop: str) -> int:
        """0 for a shop that never had a catalog; one indexed row, cheap enough to ask before every draft."""
        with _guard("reading the revision"), self._engine.connect() as conn:
            return _revision(conn, shop)

    def snapshot(self, shop: str) -> CatalogSnapshot:
        """The revision is read first: a change committed in between makes the rows newer than the revision, so a
        cache keyed on it reads once more, and never keeps stale rows under a new revision."""
        with _guard("reading the catalog"), self._engine.connect() as conn:
            revision = _revision(conn, shop)
            return CatalogSnapshot(revision, _all(conn, _PRODUCTS, shop), _all(conn, _PROMOTIONS, shop))

    def counts(self, shop: str) -> tuple[int, int]:
        """How many products and promotions the shop has."""
        with _guard("counting the catalog"), self._engine.connect() as conn:
            return _count(conn, _PRODUCTS, shop), _count(conn, _PROMOTIONS, shop)

    def _put(self, kind: _Kind[M], shop: str, item: M) -> Outcome:
        with _guard(f"saving {kind.key} {kind.key_of(item)!r}"), self._engine.begin() as conn:
            revision = _lock(conn, shop)
            counts = _sync(conn, kind, shop, [item], prune=False, now=self._clock()).counts
            if counts.changed:
                _bump(conn, shop, revision)
        return "added" if counts.added else "updated" if counts.updated else "unchanged"

    def _delete(self, kind: _Kind[M], shop: str, key: str) -> bool:
        with _guard(f"deleting {kind.key} {key!r}"), self._engine.begin() as conn:
            revision = _lock(conn, shop)
            gone = _delete_keys(conn, kind, shop, [key]) > 0
            if gone:
                _bump(conn, shop, revision)
        return gone

    def _by_key(self, kind: _Kind[M], shop: str, keys: Iterable[str]) -> dict[str, M]:
        wanted = sorted(set(keys))
        found: dict[str, M] = {}
        with _guard(f"reading by {kind.key}"), self._engine.connect() as conn:
            for start in range(0, len(wanted), _CHUNK):
                query = select(kind.table.c[kind.key], kind.table.c.data).where(
                    kind.table.c.shop == shop, kind.table.c[kind.key].in_(wanted[start:start + _CHUNK]))
                found.update((key, kind.model.model_validate_json(data)) for key, data in conn.execute(query))
        return found


def digest(item: Product | Promotion) -> str:
    """sha256 of the model's canonical JSON: keys sorted, amounts normalised (199 and 199.00 are one price)."""
    canonical = json.dumps(item.model_dump(mode="python"), sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"), default=_canonical)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _canonical(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date | datetime):
        return value.isoformat()  # an instant written with another offset counts as a change: drafts show it
    raise TypeError(f"no canonical form for {type(value).__name__}")


def _sync(conn: Connection, kind: _Kind[M], shop: str, items: Sequence[M] | None, *, prune: bool,
          now: datetime) -> _Synced:
    if items is None:
        return _Synced()
    given = {kind.key_of(item): item for item in items}
    if len(given) < len(items):
        twice = sorted(key for key, n in Counter(map(kind.key_of, items)).items() if n > 1)
        raise DuplicateKeyError(f"{kind.key} given more than once: {', '.join(twice[:10])}")
    stored = _digests(conn, kind, shop, None if prune or len(given) > _CHUNK else list(given))
    digests = {key: digest(item) for key, item in given.items()}
    added = sorted(key for key in given if key not in stored)
    updated = sorted(key for key in given if key in stored and stored[key] != digests[key])
    deleted = sorted(set(stored) - set(given)) if prune else []

    def row(key: str, prefix: str = "") -> dict[str, Any]:
        values = {"shop": shop, kind.key: key, "data": given[key].model_dump_json(), "digest": digests[key],
                  "updated_at": now}
        return {prefix + name: value for name, value in values.items()}

    table = kind.table
    if added:
        conn.execute(insert(table), [row(key) for key in added])
    if updated:  # the bound names differ from the columns': SQLAlchemy reserves those for the SET clause
        key_param = bindparam(f"b_{kind.key}", type_=String())
        conn.execute(update(table).where(table.c.shop == bindparam("b_shop"), table.c[kind.key] == key_param)
                     .values(data=bindparam("b_data"), digest=bindparam("b_digest"),
                             updated_at=bindparam("b_updated_at", type_=UtcDateTime())),
                     [row(key, "b_") for key in updated])
    _delete_keys(conn, kind, shop, deleted)
    counts = Counts(len(added), len(updated), len(given) - len(added) - len(updated), len(deleted))
    return _Synced(counts, sorted(added + updated), deleted)


def _digests(conn: Connection, kind: _Kind[M], shop: str, keys: list[str] | None) -> dict[str, str]:
    """The stored digests of `keys`, or of all the shop's rows (None)."""
    column = kind.table.c[kind.key]
    query = select(column, kind.table.c.digest).where(kind.table.c.shop == shop)
    if keys is None:
        return {key: value for key, value in conn.execute(query)}
    return {key: value for start in range(0, len(keys), _CHUNK)
            for key, value in conn.execute(query.where(column.in_(keys[start:start + _CHUNK])))}


def _delete_keys(conn: Connection, kind: _Kind[M], shop: str, keys: list[str]) -> int:
    gone = 0
    for start in range(0, len(keys), _CHUNK):
        result = conn.execute(delete(kind.table).where(kind.table.c.shop == shop,
                                                       kind.table.c[kind.key].in_(keys[start:start + _CHUNK])))
        gone += result.rowcount
    return gone


def _all(conn: Connection, kind: _Kind[M], shop: str) -> list[M]:
    query = select(kind.table.c.data).where(kind.table.c.shop == shop).order_by(kind.table.c[kind.key])
    return [kind.model.model_validate_json(data) for data in conn.scalars(query)]


def _count(conn: Connection, kind: _Kind[M], shop: str) -> int:
    return conn.scalar(select(func.count()).select_from(kind.table).where(kind.table.c.shop == shop)) or 0


def _revision(conn: Connection, shop: str) -> int:
    return conn.scalar(select(_revisions.c.revision).where(_revisions.c.shop == shop)) or 0


def _lock(conn: Connection, shop: str) -> int:
    """The shop's revision, its row locked to the end of the transaction, so writers to one shop take turns and two
    imports never race to insert one SKU. The first statement writes: SQLite then takes its write lock at once
    (waiting its busy timeout) instead of failing to upgrade a read later."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite  # the two databases draftdesk runs on
    conn.execute(dialect.insert(_revisions).values(shop=shop, revision=0).on_conflict_do_nothing())
    locked = select(_revisions.c.revision).where(_revisions.c.shop == shop).with_for_update()
    return int(conn.scalar(locked) or 0)


def _bump(conn: Connection, shop: str, revision: int) -> int:
    conn.execute(update(_revisions).where(_revisions.c.shop == shop).values(revision=revision + 1))
    return revision + 1


def _guard(what: str) -> AbstractContextManager[None]:
    return database_errors(f"catalog: {what}", CatalogStoreError)
