"""Knowledge import lint: each entry's answer on every platform it applies to, findings by rule."""

from __future__ import annotations

from drafting.kblint import Finding, lint
from drafting.policy import PolicyChecker, load_rules
from knowledge.loaders import load_path
from knowledge.models import Entry
from tests.conftest import SAMPLE_KB

CHECKER = PolicyChecker(load_rules())


def entry(id: str, answer: str, **extra: str) -> Entry:
    return Entry.model_validate({"id": id, "locale": "en", "question": "How do I reach you?", "answer": answer,
                                 **extra})


def test_an_entry_is_listed_under_each_rule_it_breaks_on_each_platform_it_applies_to() -> None:
    entries = [
        entry("contact", "Call us at (555) 123-4567 or email support@example.com."),
        entry("pay", "You can also pay us by PayPal.", platform="amazon"),
        entry("link", "请访问 evil[.]cn 付款", locale="zh", platform="taobao"),
        entry("fine", "Message us here any time."),
    ]

    findings = lint(CHECKER, entries)

    assert set(findings) == {"phone_number", "off_platform_contact", "email", "off_platform_payment", "external_link"}
    assert {f.platform for f in findings["phone_number"]} == {"taobao", "pdd", "jd", "amazon"}
    assert findings["email"][0] == Finding(key="contact@en", platform="taobao", span="support@example.com")
    assert findings["off_platform_payment"] == [Finding(key="pay@en", platform="amazon", span="PayPal")]
    assert findings["external_link"] == [Finding(key="link@zh", platform="taobao", span="evil[.]cn")]


def test_paypal_is_only_an_amazon_finding() -> None:
    assert lint(CHECKER, [entry("pay", "Pay by PayPal.", platform="taobao")]) == {}


def test_the_sample_knowledge_base_is_clean() -> None:
    assert lint(CHECKER, load_path(SAMPLE_KB)) == {}
