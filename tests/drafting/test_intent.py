"""Intent detection: the rules file and its loader, the classifier's keyword and nearest-example paths (hashing
embedder), the shipped rules on real wording, and the intent carried through DraftService."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import get_args

import pytest

from core.vocab import INTENTS, Intent
from drafting.intent import (
    IntentClassifier,
    IntentResult,
    IntentRules,
    IntentRulesError,
    load_intent_rules,
)
from drafting.models import DraftRequest
from knowledge.embedders import Embedder
from knowledge.retrieval import Retriever
from tests.drafting.conftest import default_service
from tests.fakes import HashingEmbedder

FLOORS = {"zh": 0.5, "en": 0.5}  # hashing-embedder cosines: shared characters and words, not meaning

TINY_RULES = """
priority: [bad_review_threat, complaint, return_refund, logistics, greeting, other]
intents:
  bad_review_threat:
    keywords: {zh: ['差评'], en: ['\\bbad review']}
  complaint:
    keywords: {zh: [{pattern: '太慢', strength: 0.6}]}
  return_refund:
    keywords: {zh: ['退货'], en: ['\\brefund']}
    exclude: {en: ['refund policy']}
    examples: {zh: [收到的杯子碎了怎么办], en: [the vase arrived broken]}
  logistics:
    keywords: {zh: ['发货', {pattern: '快递', strength: 0.6}], en: ['\\bship']}
    examples: {zh: [我的包裹到哪里了], en: [where is my parcel]}
  greeting:
    examples: {zh: [你好], en: [hello there]}
  other:
    examples: {en: [i forgot my password]}
"""


@pytest.fixture
def tiny_rules(tmp_path: Path) -> IntentRules:
    path = tmp_path / "intents.yaml"
    path.write_text(TINY_RULES, encoding="utf-8")
    return load_intent_rules(path)


@pytest.fixture
def classifier(fake_embedder: HashingEmbedder, tiny_rules: IntentRules) -> IntentClassifier:
    classifier = IntentClassifier(fake_embedder, tiny_rules, floors=FLOORS)
    classifier.prepare()
    return classifier


# --- the rules file ------------------------------------------------------------------------------------


def test_the_shipped_rules_define_every_intent_in_both_languages() -> None:
    rules = load_intent_rules()

    assert set(rules.intents) == set(INTENTS) == set(get_args(Intent)) and len(INTENTS) == 16
    for intent, spec in rules.intents.items():
        for locale in ("zh", "en"):
            assert 8 <= len(spec.examples.get(locale, [])) <= 15, (intent, locale)
            if intent != "other":
                assert spec.keywords.get(locale), (intent, locale)
    order = rules.priority.index
    assert order("bad_review_threat") < order("complaint") < order("logistics")
    assert rules.priority[-1] == "other"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("priority: [other\nintents: {", "not valid YAML"),
        ("- other\n", "expected a mapping"),
        ("priority: [other]\nintents:\n  other:\n    keywords: {zh: ['(未闭合']}\n    examples: {zh: [你好]}\n",
         "intents.other.keywords.zh.0.pattern: Value error, '(未闭合' is not a valid regular expression"),
        ("priority: [other]\nintents:\n  other:\n    keywords: {zh: [{pattern: '你好', strength: 1.5}]}\n"
         "    examples: {zh: [你好]}\n", "intents.other.keywords.zh.0.strength"),
        ("priority: [other, shipping]\nintents:\n  other: {examples: {zh: [你好]}}\n", "priority.1: Input should be"),
        ("priority: [other]\nintents:\n  other: {examples: {fr: [bonjour]}}\n", "intents.other.examples.fr"),
        ("priority: [other]\nintents:\n  other: {examples: {zh: [你好]}}\n  cancel: {examples: {zh: [取消]}}\n",
         "missing from priority: cancel"),
        ("priority: [cancel]\nintents:\n  cancel: {examples: {zh: [取消]}}\n", "must define 'other'"),
        ("priority: [other]\nintents:\n  other: {description: fallback}\n", "no intent has examples"),
        ("priority: [other]\nintents:\n  other: {examples: {zh: [你好]}, words: []}\n", "intents.other.words"),
    ],
    ids=["yaml", "not-a-mapping", "bad-regex", "strength", "unknown-intent", "unknown-locale", "unranked",
         "no-other", "no-examples", "unknown-key"],
)
def test_a_bad_rules_file_is_refused_with_where_and_why(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "intents.yaml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(IntentRulesError) as caught:
        load_intent_rules(path)

    assert str(caught.value).startswith(f"{path}: ")
    assert problem in str(caught.value)


def test_a_missing_rules_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IntentRulesError, match="cannot read the file"):
        load_intent_rules(tmp_path / "nope.yaml")


# --- the classifier, on tiny rules and the hashing embedder --------------------------------------------


def test_examples_are_embedded_once_in_one_batch_when_first_needed(
        fake_embedder: HashingEmbedder, tiny_rules: IntentRules) -> None:
    """Not at construction: a command that never classifies never loads the model."""
    classifier = IntentClassifier(fake_embedder, tiny_rules, floors=FLOORS)
    assert fake_embedder.calls == []
    classifier.classify("我要退货", "zh")  # a strong keyword: no embedding at all
    assert fake_embedder.calls == []

    classifier.classify("包裹在哪里", "zh")
    classifier.classify("where is it", "en")
    assert fake_embedder.calls == [1, 7, 1]  # the first message, then the examples together, once


def test_prepare_embeds_the_examples_up_front_once(fake_embedder: HashingEmbedder, tiny_rules: IntentRules) -> None:
    classifier = IntentClassifier(fake_embedder, tiny_rules, floors=FLOORS)
    classifier.prepare()
    classifier.prepare()
    classifier.classify("包裹在哪里", "zh")
    assert fake_embedder.calls == [7, 1]


def test_threads_asking_at_once_embed_the_examples_once(
        fake_embedder: HashingEmbedder, tiny_rules: IntentRules) -> None:
    classifier = IntentClassifier(fake_embedder, tiny_rules, floors=FLOORS)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: classifier.classify("包裹在哪里", "zh"), range(16)))
    assert len(set(results)) == 1
    assert fake_embedder.calls.count(7) == 1


@pytest.mark.parametrize(
    ("message", "locale", "intent"),
    [("我要退货", "zh", "return_refund"), ("Can I get a refund?", "en", "return_refund"),
     ("什么时候发货", None, "logistics"), ("When do you ship?", None, "logistics")],
)
def test_a_strong_keyword_decides_without_embedding_the_message(
    classifier: IntentClassifier, fake_embedder: HashingEmbedder, message: str, locale: str | None, intent: str
) -> None:
    result = classifier.classify(message, locale)

    assert (result.intent, result.confidence, result.source) == (intent, 0.9, "keyword")
    assert fake_embedder.calls == [7]  # only the examples, prepared by the fixture


def test_priority_breaks_a_tie_between_equally_strong_keywords(classifier: IntentClassifier) -> None:
    result = classifier.classify("再不发货我就给差评", "zh")

    assert result == IntentResult("bad_review_threat", 0.9, "keyword", "差评")


def test_the_stronger_keyword_beats_a_higher_priority_weak_one(classifier: IntentClassifier) -> None:
    assert classifier.classify("太慢了，我要退货", "zh").intent == "return_refund"
    assert classifier.classify("太慢了", "zh") == IntentResult("complaint", 0.6, "keyword", "太慢")


def test_keywords_only_match_in_the_messages_language(classifier: IntentClassifier) -> None:
    assert classifier.classify("退货 refund", "en").intent == "return_refund"  # by the en rule
    assert classifier.classify("shipping 发货", "en").source == "keyword"
    assert classifier.classify("bad review 你好", "zh").intent != "bad_review_threat"


def test_an_exclude_pattern_vetoes_its_intents_keywords(classifier: IntentClassifier) -> None:
    result = classifier.classify("What is your refund policy?", "en")

    assert result.source != "keyword"
    assert classifier.classify("I want a refund", "en").source == "keyword"


def test_without_a_keyword_the_nearest_example_decides(classifier: IntentClassifier) -> None:
    zh = classifier.classify("我的包裹到哪里了呀", "zh")
    en = classifier.classify("where is my parcel now", "en")

    assert (zh.intent, zh.source, zh.evidence) == ("logistics", "embedding", "我的包裹到哪里了")
    assert (en.intent, en.source, en.evidence) == ("logistics", "embedding", "where is my parcel")
    assert 0.5 <= zh.confidence <= 1.0 and 0.5 <= en.confidence <= 1.0


def test_the_nearest_example_of_other_gives_other(classifier: IntentClassifier) -> None:
    result = classifier.classify("I forgot my password again", "en")

    assert (result.intent, result.source) == ("other", "embedding")


def test_below_the_floor_it_is_other_with_no_source(classifier: IntentClassifier) -> None:
    far = classifier.classify("今天天气不错", "zh")
    unknown_words = classifier.classify("quantum zebra xylophone", "en")

    assert (far.intent, far.source) == ("other", "none")
    assert (unknown_words.intent, unknown_words.source) == ("other", "none")
    assert 0.5 <= far.confidence <= 1.0  # surer the further below the floor


def test_a_much_closer_example_overrules_a_weak_keyword(classifier: IntentClassifier) -> None:
    overruled = classifier.classify("快递收到的杯子碎了怎么办", "zh")  # 快递 (0.6) vs the broken-cup example
    kept = classifier.classify("快递呢", "zh")  # 快递 (0.6), and no example close enough

    assert (overruled.intent, overruled.source) == ("return_refund", "embedding")
    assert overruled.confidence >= 0.6 + 0.15
    assert kept == IntentResult("logistics", 0.6, "keyword", "快递")


def test_the_locale_is_detected_when_not_given(classifier: IntentClassifier) -> None:
    assert classifier.classify("我要退货").intent == "return_refund"
    assert classifier.classify("where is my parcel now").intent == "logistics"


# --- the shipped rules on buyer wording (keyword path: the hashing embedder never decides these) -------


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("再不发货我就给差评", "bad_review_threat"),
        ("三天了还不发货，你们什么破店，我要投诉", "complaint"),
        ("物流五天没更新了", "logistics"),
        ("拍错了，帮我取消订单", "cancel"),
        ("还没发货的话地址帮我改成公司", "modify_order"),
        ("鞋子小了，能换大一码吗", "exchange"),
        ("刚买第二天就降价了，能退差价吗", "price_protection"),
        ("店铺券和满减能一起用吗", "coupon"),
        ("定金付了，尾款几号付", "presale"),
        ("发票抬头要写公司名称", "invoice"),
        ("老板，便宜点呗", "bargaining"),
        ("公司要采购200套，有批发价吗", "bulk_order"),
        ("亲，在吗？", "greeting"),
        ("密码忘了怎么办", "other"),
        ("Ship it today or I'm leaving a 1-star review.", "bad_review_threat"),
        ("Where is my package? It's been ten days.", "logistics"),
        ("Please cancel my order, I bought it by mistake.", "cancel"),
        ("I want to cancel my premium account", "other"),
        ("I typed the wrong shipping address", "modify_order"),
        ("The mug arrived cracked, I want a refund", "return_refund"),
        ("Can I exchange these for a smaller size?", "exchange"),
        ("It's $20 cheaper now than when I bought it, can I get the difference back?", "price_protection"),
        ("My promo code doesn't work at checkout", "coupon"),
        ("When is the balance due on my pre-order?", "presale"),
        ("I need a VAT invoice for my company", "invoice"),
        ("This is unacceptable, I want to file a complaint", "complaint"),
        ("What's your best price if I pay today?", "bargaining"),
        ("Do you sell wholesale? We need 300 units", "bulk_order"),
        ("Hi there!", "greeting"),
    ],
)
def test_the_shipped_rules_recognise_common_wording(fake_embedder: HashingEmbedder, message: str, intent: str) -> None:
    result = IntentClassifier(fake_embedder, load_intent_rules()).classify(message)

    assert (result.intent, result.source) == (intent, "keyword"), result.evidence


@pytest.mark.model
def test_the_real_model_places_buyer_messages(real_embedder: Embedder) -> None:
    classifier = IntentClassifier(real_embedder, load_intent_rules())
    cases = {
        "再不发货我就给差评": ("bad_review_threat", "keyword"),
        "能开专票吗": ("invoice", "keyword"),
        "Can you knock off $5?": ("bargaining", "keyword"),
        "包裹放哪了，一直没见到人送": ("logistics", "embedding"),  # no keyword: the nearest example decides
        "能不能改个收件人": ("modify_order", "embedding"),
        "Got the parcel yet? Nope, nothing at my door so far": ("logistics", "embedding"),
        "Is there any way to pay less for this?": ("bargaining", "embedding"),
    }

    results = {message: classifier.classify(message) for message in cases}
    found = {message: (r.intent, r.source) for message, r in results.items()}

    assert found == cases


# --- DraftService carries the intent ---------------------------------------------------------------------


def _ask(message: str) -> DraftRequest:
    return DraftRequest(message=message, platform="taobao")


def test_the_draft_carries_the_intent_and_its_confidence(retriever: Retriever, fake_embedder: HashingEmbedder) -> None:
    classifier = IntentClassifier(fake_embedder, load_intent_rules())
    service = default_service(retriever, intents=classifier)

    answered = service.draft(_ask("支持七天无理由退货吗"))
    held = service.draft(_ask("发票抬头写错了，能重开吗"))  # nothing in the knowledge base: a holding reply

    assert [c.id for c in answered.citations] == ["ret-001"]
    assert (answered.intent, answered.intent_confidence) == ("return_refund", 0.9)
    assert held.needs_human is True
    assert (held.intent, held.intent_confidence) == ("invoice", 0.9)


def test_without_a_classifier_the_draft_has_no_intent(retriever: Retriever) -> None:
    draft = default_service(retriever).draft(_ask("支持七天无理由退货吗"))

    assert (draft.intent, draft.intent_confidence) == (None, None)
