"""detect_locale: Chinese characters against Latin words."""

from __future__ import annotations

import pytest

from knowledge.language import detect_locale


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的快递怎么还没到？", "zh"),
        ("Where is my parcel? It has not arrived yet.", "en"),
        ("我的order怎么还没到", "zh"),  # 7 CJK characters against 1 Latin word
        ("where is 订单", "zh"),  # 2 CJK characters against 2 Latin words: a tie goes to zh
        ("where is my 订单", "en"),  # 2 CJK characters against 3 Latin words
        ("can you ship to 北京市朝阳区", "zh"),  # 6 against 4
        ("退货 return", "zh"),
        ("SKU 12345", "en"),
        ("", "en"),
        ("   ", "en"),
        ("？！～123", "en"),
        ("\u3400", "zh"),  # CJK extension A counts too
        ("\uf900", "zh"),  # and CJK compatibility ideographs
    ],
)
def test_detect_locale(text: str, expected: str) -> None:
    assert detect_locale(text) == expected
