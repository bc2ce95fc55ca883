"""The catalog's facts on SQLite and PostgreSQL: apply's counts and pruning, the revision, Decimal normalisation,
shops kept apart, single puts and deletes, all-or-nothing imports, and two workers sharing one database."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from catalog import facts as facts_module
from catalog.facts import Applied, CatalogFacts, CatalogStoreError, Counts, DuplicateKeyError, digest
from catalog.models import Product, Promotion
from records.history import open_engine

T0 = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> datetime:
        return self.at


def product(sku: str, price: str = "199.00", stock: int = 30, **extra: Any) -> Product:
    return Product.model_validate({"sku": sku, "title": f"商品 {sku}", "price": price, "stock": stock, **extra})


def promotion(promo_id: str, skus: list[str] | str = "all", percent: str = "10") -> Promotion:
    return Promotion.model_validate({
        "id": promo_id, "title": f"活动 {promo_id}", "starts": "2026-11-01T00:00:00+08:00",
        "ends": "2026-11-12T00:00:00+08:00", "skus": skus, "mechanics": {"type": "percent_off", "percent": percent},
    })


@pytest.fixture
def engines(database_url: str) -> Iterator[list[Engine]]:
    opened: list[Engine] = []
    yield opened
    for engine in opened:
        engine.dispose()


@pytest.fixture
def worker(database_url: str, engines: list[Engine]) -> Any:
    """A new CatalogFacts on its own engine, as another API worker would open one."""

    def open_one(clock: Clock | None = None) -> CatalogFacts:
        engines.append(open_engine(database_url))
        return CatalogFacts(engines[-1], clock or Clock())

    return open_one


@pytest.fixture
def facts(worker: Any) -> CatalogFacts:
    return worker()  # type: ignore[no-any-return]


def test_an_empty_shop_has_revision_0_and_nothing_in_it(facts: CatalogFacts) -> None:
    assert (facts.revision("hills"), facts.counts("hills")) == (0, (0, 0))
    assert (facts.products("hills"), facts.promotions("hills")) == ([], [])
    assert facts.product("hills", "YD-450") is None
    assert facts.promotion("hills", "d11") is None
    assert facts.products_by_sku("hills", ["YD-450"]) == {}


def test_apply_adds_then_updates_keeps_and_prunes_with_exact_counts(facts: CatalogFacts) -> None:
    first = facts.apply("hills", [product("B-2"), product("A-1"), product("C-3")], [promotion("d11")], prune=False)
    assert first == Applied(Counts(added=3), Counts(added=1), changed_skus=["A-1", "B-2", "C-3"], deleted_skus=[],
                            revision=1)

    second = facts.apply("hills", [product("A-1"), product("B-2", stock=0), product("D-4")],
                         [promotion("d11", percent="20"), promotion("d12")], prune=True)
    assert second == Applied(Counts(added=1, updated=1, unchanged=1, deleted=1),
                             Counts(added=1, updated=1), changed_skus=["B-2", "D-4"], deleted_skus=["C-3"], revision=2)
    assert [p.sku for p in facts.products("hills")] == ["A-1", "B-2", "D-4"]
    assert facts.product("hills", "B-2") == product("B-2", stock=0)
    assert facts.promotion("hills", "d11") == promotion("d11", percent="20")
    assert [p.id for p in facts.promotions("hills")] == ["d11", "d12"]
    assert facts.counts("hills") == (3, 2)


def test_without_prune_rows_the_call_leaves_out_stay(facts: CatalogFacts) -> None:
    facts.apply("hills", [product("A-1"), product("B-2")], [promotion("d11")], prune=False)
    applied = facts.apply("hills", [product("C-3")], [promotion("d12")], prune=False)

    assert (applied.products, applied.promotions) == (Counts(added=1), Counts(added=1))
    assert facts.counts("hills") == (3, 2)


def test_none_leaves_a_kind_alone_even_with_prune(facts: CatalogFacts) -> None:
    facts.apply("hills", [product("A-1")], [promotion("d11")], prune=False)

    only_promotions = facts.apply("hills", None, [promotion("d12")], prune=True)
    assert only_promotions.products == Counts()
    assert only_promotions.promotions == Counts(added=1, deleted=1)
    assert facts.counts("hills") == (1, 1)
    assert facts.apply("hills", [], None, prune=True).products == Counts(deleted=1)  # an empty list is given
    assert facts.counts("hills") == (0, 1)


def test_an_unchanged_reapply_does_not_move_the_revision(facts: CatalogFacts) -> None:
    catalog = [product("A-1"), product("B-2")], [promotion("d11")]
    assert facts.apply("hills", *catalog, prune=True).revision == 1

    again = facts.apply("hills", *catalog, prune=True)
    assert again == Applied(Counts(unchanged=2), Counts(unchanged=1), changed_skus=[], deleted_skus=[], revision=1)
    assert facts.revision("hills") == 1
    assert facts.apply("hills", None, None, prune=True).revision == 1


def test_equal_amounts_written_differently_are_unchanged(facts: CatalogFacts) -> None:
    tiers = [{"min_qty": 50, "unit_price": "150.0"}]
    facts.apply("hills", [product("A-1", price="199", bulk_tiers=tiers)], [promotion("d11", percent="20")],
                prune=False)

    tiers = [{"min_qty": 50, "unit_price": "150.00"}]
    again = facts.apply("hills", [product("A-1", price="199.00", bulk_tiers=tiers)],
                        [promotion("d11", percent="20.0")], prune=False)
    assert (again.products, again.promotions, again.revision) == (Counts(unchanged=1), Counts(unchanged=1), 1)
    assert digest(product("A-1", price="199")) == digest(product("A-1", price="199.00"))
    assert digest(product("A-1", price="199")) != digest(product("A-1", price="199.01"))
    assert facts.product("hills", "A-1").price == Decimal("199")  # type: ignore[union-attr]


def test_attribute_order_does_not_count_as_a_change(facts: CatalogFacts) -> None:
    facts.put_product("hills", product("A-1", attributes={"材质": "纯棉", "season": "winter"}))

    assert facts.put_product("hills", product("A-1", attributes={"season": "winter", "材质": "纯棉"})) == "unchanged"
    assert facts.put_product("hills", product("A-1", attributes={"season": "summer", "材质": "纯棉"})) == "updated"


def test_shops_are_kept_apart(facts: CatalogFacts) -> None:
    facts.apply("hills", [product("A-1", price="10"), product("B-2")], [promotion("d11")], prune=False)
    facts.apply("river", [product("A-1", price="20")], None, prune=False)

    assert facts.product("hills", "A-1").price == Decimal("10")  # type: ignore[union-attr]
    assert facts.product("river", "A-1").price == Decimal("20")  # type: ignore[union-attr]
    assert facts.products_by_sku("river", ["A-1", "B-2"]) == {"A-1": product("A-1", price="20")}
    assert facts.promotion("river", "d11") is None
    assert (facts.counts("hills"), facts.counts("river")) == ((2, 1), (1, 0))
    assert (facts.revision("hills"), facts.revision("river")) == (1, 1)

    pruned = facts.apply("river", [product("C-3")], [], prune=True)  # prunes river only
    assert pruned.deleted_skus == ["A-1"]
    assert facts.delete_product("river", "B-2") is False
    assert facts.counts("hills") == (2, 1)
    assert facts.revision("hills") == 1


def test_put_and_delete_one_product_or_promotion(facts: CatalogFacts) -> None:
    assert facts.put_product("hills", product("A-1")) == "added"
    assert facts.put_product("hills", product("A-1", price="199")) == "unchanged"
    assert facts.put_product("hills", product("A-1", stock=5)) == "updated"
    assert facts.put_promotion("hills", promotion("d11")) == "added"
    assert facts.put_promotion("hills", promotion("d11", skus=["A-1"])) == "updated"
    assert facts.revision("hills") == 4

    assert facts.delete_product("hills", "A-1") is True
    assert facts.delete_product("hills", "A-1") is False
    assert facts.delete_promotion("hills", "d11") is True
    assert facts.delete_promotion("hills", "nope") is False
    assert (facts.counts("hills"), facts.revision("hills")) == ((0, 0), 6)


def test_products_by_sku_reads_many_and_skips_the_unknown(facts: CatalogFacts) -> None:
    skus = [f"SKU-{n:04d}" for n in range(1200)]  # more than one IN (...) chunk
    facts.apply("hills", [product(s) for s in skus], None, prune=False)

    found = facts.products_by_sku("hills", [*skus[::2], "NOPE"])
    assert len(found) == 600
    assert found["SKU-1198"] == product("SKU-1198")
    again = facts.apply("hills", [product(s) for s in skus[:1100]], None, prune=True)
    assert again.products == Counts(unchanged=1100, deleted=100)
    assert again.deleted_skus == skus[1100:]


def test_updated_at_is_the_time_of_the_last_change(facts: CatalogFacts, engines: list[Engine]) -> None:
    clock = facts._clock
    assert isinstance(clock, Clock)

    def stored() -> datetime:
        with engines[0].connect() as conn:
            return conn.execute(select(facts_module._PRODUCTS.table.c.updated_at)).scalar_one()  # type: ignore[no-any-return]

    facts.put_product("hills", product("A-1"))
    clock.at = T0 + timedelta(hours=1)
    facts.put_product("hills", product("A-1", price="199"))
    assert stored() == T0  # unchanged: the time stays
    facts.put_product("hills", product("A-1", price="198"))
    assert stored() == T0 + timedelta(hours=1)


def test_a_sku_given_twice_is_refused_and_nothing_is_stored(facts: CatalogFacts) -> None:
    with pytest.raises(DuplicateKeyError, match="A-1") as raised:
        facts.apply("hills", [product("B-2"), product("A-1"), product("A-1", stock=1)], None, prune=False)

    assert raised.value.code == "invalid_request"
    assert (facts.counts("hills"), facts.revision("hills")) == ((0, 0), 0)


def test_a_failure_in_the_second_half_keeps_nothing_of_the_first(facts: CatalogFacts,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    facts.apply("hills", [product("A-1"), product("B-2")], [promotion("d11")], prune=False)
    real_sync = facts_module._sync

    def fail_after_promotions(conn: Any, kind: Any, *args: Any, **kwargs: Any) -> Any:
        synced = real_sync(conn, kind, *args, **kwargs)
        if kind is facts_module._PROMOTIONS:
            raise RuntimeError("the promotions half failed")
        return synced

    monkeypatch.setattr(facts_module, "_sync", fail_after_promotions)
    with pytest.raises(RuntimeError):
        facts.apply("hills", [product("C-3"), product("A-1", stock=0)], [promotion("d12")], prune=True)

    assert [p.sku for p in facts.products("hills")] == ["A-1", "B-2"]
    assert facts.product("hills", "A-1") == product("A-1")
    assert [p.id for p in facts.promotions("hills")] == ["d11"]
    assert facts.revision("hills") == 1


def test_a_database_error_is_ours_and_rolls_back_the_products(facts: CatalogFacts, engines: list[Engine]) -> None:
    with engines[0].begin() as conn:
        conn.execute(text("DROP TABLE catalog_promotions"))

    with pytest.raises(CatalogStoreError, match="catalog: applying") as raised:
        facts.apply("hills", [product("A-1")], [promotion("d11")], prune=False)

    assert raised.value.code == "database_unavailable"
    assert (facts.products("hills"), facts.revision("hills")) == ([], 0)
    with pytest.raises(CatalogStoreError):
        facts.promotions("hills")


def test_an_unusable_database_is_our_error(tmp_path: Path) -> None:
    (tmp_path / "x.db").mkdir()  # a folder where the file should be
    with pytest.raises(CatalogStoreError, match="creating the tables"):
        CatalogFacts(open_engine(f"sqlite:///{tmp_path / 'x.db'}"), Clock())


def test_two_workers_see_each_others_changes_and_revisions(worker: Any) -> None:
    one, two = worker(), worker()  # two engines on one database, as two API workers

    one.apply("hills", [product("A-1"), product("B-2")], [promotion("d11")], prune=False)
    assert two.revision("hills") == 1
    assert two.products("hills") == [product("A-1"), product("B-2")]

    assert two.apply("hills", [product("A-1"), product("B-2")], [promotion("d11")], prune=False).revision == 1
    assert two.put_product("hills", product("B-2", stock=0)) == "updated"
    assert one.revision("hills") == 2
    assert one.product("hills", "B-2") == product("B-2", stock=0)
    snapshot = one.snapshot("hills")
    assert (snapshot.revision, [p.sku for p in snapshot.products], [p.id for p in snapshot.promotions]) == (
        2, ["A-1", "B-2"], ["d11"])


def test_workers_writing_at_once_each_move_the_revision(worker: Any) -> None:
    """Writers to one shop take turns on its revision row: every change counts once and none fails."""
    workers = [worker() for _ in range(4)]

    def write(n: int) -> str:
        return workers[n % 4].put_product("hills", product(f"S-{n:02d}"))  # type: ignore[no-any-return]

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(write, range(24)))
        imports = list(pool.map(lambda w: w.apply("hills", [product("SAME")], None, prune=False), workers))

    assert outcomes == ["added"] * 24
    assert sorted(a.products.added for a in imports) == [0, 0, 0, 1]  # the others found it there, unchanged
    assert workers[0].counts("hills") == (25, 0)
    assert workers[1].revision("hills") == 25


def test_workers_starting_together_share_one_schema(worker: Any) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        opened = list(pool.map(lambda _: worker(), range(4)))

    opened[0].put_product("hills", product("A-1"))
    assert opened[3].product("hills", "A-1") == product("A-1")
