"""Quick replies: offered per intent when the order has what they need, quoting only that, compliant everywhere."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.errors import ConfigError
from core.vocab import PLATFORMS
from drafting.intent import load_intent_rules
from drafting.macros import MacroNotApplicable, Macros, MacrosError, MacrosFile, MacroSpec, UnknownMacro, load_macros
from drafting.order import Order
from drafting.policy import PolicyChecker, load_rules
from prompts import TemplateError

SHANGHAI = ZoneInfo("Asia/Shanghai")
SHIP_BY = datetime(2026, 6, 12, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai
# One value for every order field a macro may need; a macro needing a field not listed here fails loudly below.
SAMPLE: dict[str, Any] = {
    "id": "TB20260611001",
    "carrier": "中通",
    "tracking_number": "ZT7788123",
    "ship_by": SHIP_BY,
    "delivered_at": datetime(2026, 6, 14, 3, 0, tzinfo=UTC),
    "amount": Decimal("1999.00"),
    "currency": "CNY",
    "items": [{"sku": "SKU-1", "name": "纯棉四件套"}],
    "price_protection_until": datetime(2026, 7, 1, 15, 59, tzinfo=UTC),
    "presale.balance": Decimal("300.00"),
    "presale.balance_until": datetime(2026, 6, 20, 15, 59, tzinfo=UTC),
}
FULL = Order.model_validate({
    "status": "paid", **{k: v for k, v in SAMPLE.items() if "." not in k},
    "presale": {"balance": SAMPLE["presale.balance"], "balance_until": SAMPLE["presale.balance_until"]},
})


@pytest.fixture(scope="module")
def spec() -> MacrosFile:
    return load_macros()


@pytest.fixture(scope="module")
def macros(spec: MacrosFile) -> Macros:
    return Macros(spec, timezone=SHANGHAI)


def order_with_only(macro: MacroSpec) -> Order:
    """An order holding the macro's needs (and a status it is for) and nothing else."""
    data: dict[str, Any] = {"status": macro.statuses[0]} if macro.statuses else {}
    for path in macro.needs:
        assert path in SAMPLE, f"add a sample value for {path!r} (needed by {macro.id})"
        head, _, leaf = path.partition(".")
        if leaf:
            data.setdefault(head, {})[leaf] = SAMPLE[path]
        else:
            data[head] = SAMPLE[path]
    return Order.model_validate(data)


def ids(replies: list[Any]) -> list[str]:
    return [r.id for r in replies]


# --- the shipped macros ------------------------------------------------------------------------------


def test_the_shipped_file_covers_the_common_intents(spec: MacrosFile) -> None:
    assert len(spec.macros) >= 12
    intents = {m.intent for m in spec.macros}
    assert {"logistics", "cancel", "modify_order", "return_refund", "exchange", "price_protection", "coupon",
            "presale", "invoice", "greeting"} <= intents


def test_every_macro_renders_from_its_needs_alone_and_is_compliant_everywhere(
    spec: MacrosFile, macros: Macros
) -> None:
    checker = PolicyChecker(load_rules())
    for macro in spec.macros:
        order = order_with_only(macro)
        for locale in ("zh", "en"):
            offered = macros.for_intent(macro.intent, order, locale)
            assert macro.id in ids(offered), (macro.id, locale)
            text = macros.render(macro.id, order, locale).text
            assert text and "None" not in text and "{" not in text, (macro.id, locale, text)
            for platform in PLATFORMS:
                result = checker.check(text, platform, locale, order.facts())
                assert result.passed, (macro.id, locale, platform, text, result.violations)


def test_a_template_cannot_quote_a_fact_it_does_not_need(macros: Macros) -> None:
    """The template sees only the needs: a macro whose needs leave out what its text quotes fails to render."""
    short = MacrosFile(version=1, macros=[MacroSpec(id="logistics_in_transit", intent="logistics",
                                                   title={"zh": "发货", "en": "Shipped"}, needs=["carrier"])])
    with pytest.raises(TemplateError, match="tracking_number"):
        Macros(short, timezone=SHANGHAI).render("logistics_in_transit", FULL, "zh")


def test_logistics_quick_replies_quote_the_order_in_both_languages(macros: Macros) -> None:
    shipped = Order(id="TB1", status="in_transit", carrier="中通", tracking_number="ZT7788123")
    zh = macros.for_intent("logistics", shipped, "zh")
    assert ids(zh) == ["logistics_in_transit"]
    assert zh[0].title == "已发货：运单号与物流"
    assert "中通" in zh[0].text and "ZT7788123" in zh[0].text
    en = macros.for_intent("logistics", shipped, "en")
    assert en[0].title == "Shipped: tracking number"
    assert "tracking number ZT7788123" in en[0].text


def test_dates_are_shown_in_the_shop_timezone_and_amounts_with_their_currency(macros: Macros) -> None:
    waiting = Order(status="paid", ship_by=SHIP_BY)
    assert "6月12日 18:00前发出" in macros.render("logistics_awaiting_shipment", waiting, "zh").text
    assert "due to ship by 12 Jun 18:00" in macros.render("logistics_awaiting_shipment", waiting, "en").text
    in_new_york = Macros(load_macros(), timezone=ZoneInfo("America/New_York"))
    assert "12 Jun 06:00" in in_new_york.render("logistics_awaiting_shipment", waiting, "en").text

    unpaid = Order(id="A1", status="unpaid", amount=Decimal("1999"), currency="CNY")
    assert "应付 ¥1,999.00" in macros.render("unpaid_reminder", unpaid, "zh").text
    dollars = Order(id="A1", status="unpaid", amount=Decimal("25.5"), currency="USD")
    assert "($25.50)" in macros.render("unpaid_reminder", dollars, "en").text

    presale = Order.model_validate({"presale": {"balance": "300", "balance_until": "2026-06-20T23:59:00+08:00"}})
    text = macros.render("presale_balance_reminder", presale, "zh").text
    assert "尾款 ¥300.00" in text and "6月20日 23:59前支付" in text


def test_macros_missing_a_need_are_not_offered(macros: Macros) -> None:
    no_tracking = Order(status="in_transit", carrier="中通")
    assert "logistics_in_transit" not in ids(macros.for_intent("logistics", no_tracking, "zh"))
    assert ids(macros.for_intent("invoice", Order(), "en")) == []
    assert ids(macros.for_intent("invoice", Order(id="A1"), "en")) == ["invoice_how_to"]
    assert ids(macros.for_intent("greeting", Order(), "zh")) == ["greeting_welcome"]  # needs nothing


def test_statuses_and_unless_pick_the_macro_that_fits(macros: Macros) -> None:
    paid = Order(id="A1", status="paid")
    shipped = Order(id="A1", status="shipped", carrier="圆通", tracking_number="YT1")
    assert ids(macros.for_intent("cancel", paid, "zh")) == ["cancel_before_shipping"]
    assert ids(macros.for_intent("cancel", shipped, "zh")) == ["cancel_after_shipping"]
    assert ids(macros.for_intent("cancel", Order(id="A1"), "zh")) == []  # status unknown: neither
    due = {"balance": "300", "balance_until": "2026-06-20T23:59:00+08:00"}
    assert ids(macros.for_intent("presale", Order.model_validate({"presale": due}), "zh")) == [
        "presale_balance_reminder"]
    settled = Order.model_validate({"presale": {**due, "balance_paid": True}})
    assert macros.for_intent("presale", settled, "zh") == []


def test_render_names_what_is_missing(macros: Macros) -> None:
    with pytest.raises(UnknownMacro, match="no quick reply named 'nope'"):
        macros.render("nope", FULL, "zh")
    with pytest.raises(MacroNotApplicable) as caught:
        macros.render("cancel_after_shipping", Order(carrier="中通"), "zh")
    assert caught.value.missing == ["tracking_number", "status"]
    assert caught.value.code == "missing_order_facts"
    assert "tracking_number, status" in str(caught.value)
    with pytest.raises(MacroNotApplicable) as wrong:
        macros.render("cancel_after_shipping", Order(status="paid", carrier="中通", tracking_number="ZT1"), "zh")
    assert wrong.value.code == "macro_not_applicable"
    assert "shipped, in_transit (this one is paid)" in str(wrong.value)


def test_catalog_lists_titles_in_the_locale(macros: Macros) -> None:
    cancel = macros.catalog("cancel", "en")
    assert [(m.id, m.title) for m in cancel] == [
        ("cancel_before_shipping", "Not shipped: cancel the order"),
        ("cancel_after_shipping", "Shipped: intercept or refuse delivery")]
    assert cancel[1].needs == ["carrier", "tracking_number"]
    assert len(macros.catalog()) == len(load_macros().macros)


# --- bad files ----------------------------------------------------------------------------------------


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "macros.yaml"
    path.write_text("version: 1\nmacros:\n" + textwrap.indent(textwrap.dedent(body), "  "), encoding="utf-8")
    return path


GOOD = "- {id: invoice_how_to, intent: invoice, title: {zh: 发票, en: Invoice}, needs: [id]}\n"


@pytest.mark.parametrize(("body", "field", "why"), [
    ("- {id: invoice_how_to, intent: refunds, title: {zh: 发票, en: Invoice}}\n", "macros.0.intent", "Input should be"),
    ("- {id: invoice_how_to, intent: invoice, title: {zh: 发票, en: Invoice}, needs: [colour]}\n",
     "macros.0.needs.0", "an order has no field 'colour'"),
    ("- {id: invoice_how_to, intent: invoice, title: {zh: 发票, en: Invoice}, needs: [presale.colour]}\n",
     "macros.0.needs.0", "name a field of the pre-sale"),
    ("- {id: invoice_how_to, intent: invoice, title: {zh: 发票, en: Invoice}, statuses: [lost]}\n",
     "macros.0.statuses.0", "Input should be"),
    ("- {id: invoice_how_to, intent: invoice, title: {zh: 发票}}\n", "macros.0.title.en", "Field required"),
    ("- {id: invoice_how_to, intent: invoice, title: {zh: 发票, en: Invoice}, text: hi}\n", "macros.0.text",
     "Extra inputs"),
    (GOOD + GOOD, "macros.yaml", "duplicate macro ids: invoice_how_to"),
    ("- {id: no_such_macro, intent: invoice, title: {zh: 发票, en: Invoice}}\n", "macros.0",
     "no template prompts/macros/no_such_macro.zh.j2"),
    ("- [unclosed\n", "macros.yaml", "not valid YAML"),
])
def test_a_bad_file_names_the_file_and_the_field(tmp_path: Path, body: str, field: str, why: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(MacrosError) as caught:
        load_macros(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert field in message and why in message
    assert isinstance(caught.value, ConfigError)


def test_intents_are_checked_against_the_intent_rules(tmp_path: Path) -> None:
    rules = load_intent_rules()
    without_invoice = rules.model_copy(update={"intents": {k: v for k, v in rules.intents.items() if k != "invoice"}})
    assert load_macros(write(tmp_path, GOOD), intent_rules=rules).macros[0].id == "invoice_how_to"
    with pytest.raises(MacrosError, match=r"macros\.0\.intent: 'invoice' is not an intent of the intent rules"):
        load_macros(write(tmp_path, GOOD), intent_rules=without_invoice)
