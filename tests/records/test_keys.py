"""API keys in the draft-log database: hashed, verified, revoked; their use recorded to the minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from records.history import open_engine
from records.keys import ApiKeyError, KeyStore

T0 = datetime(2026, 11, 11, 1, 30, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> datetime:
        return self.at


def test_use_is_recorded_at_most_once_a_minute(tmp_path: Path) -> None:
    clock = Clock()
    store = KeyStore(open_engine(f"sqlite:///{tmp_path / 'keys.db'}"), clock)
    record, plain = store.create("agent", shop="hills")

    assert store.verify(plain) == store.list()[0]
    assert store.list()[0].last_used_at == T0
    clock.at = T0 + timedelta(seconds=59)
    store.verify(plain)
    assert store.list()[0].last_used_at == T0  # no write for every request
    clock.at = T0 + timedelta(minutes=1)
    assert store.verify(plain) is not None
    assert store.list()[0].last_used_at == T0 + timedelta(minutes=1)
    assert (record.shop, store.list()[0].shop) == ("hills", "hills")


@pytest.mark.parametrize("presented", ["", "dd_", "dd_nope_x", "xx_a_b", "dd_{id}_wrong"])
def test_anything_but_the_key_is_refused(tmp_path: Path, presented: str) -> None:
    store = KeyStore(open_engine(f"sqlite:///{tmp_path / 'keys.db'}"), Clock())
    record, _ = store.create("qa")
    assert store.verify(presented.format(id=record.id)) is None


@pytest.mark.parametrize("shop", ["", "../etc", "晴川", "-x", "a" * 41, "a.b"])
def test_a_shop_id_must_name_a_collection(tmp_path: Path, shop: str) -> None:
    store = KeyStore(open_engine(f"sqlite:///{tmp_path / 'keys.db'}"), Clock())
    with pytest.raises(ApiKeyError, match="shop"):
        store.create("agent", shop=shop)
