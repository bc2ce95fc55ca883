"""Which entry answers a message: intents, question types, floors, toss-ups and platform entries (no model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from drafting.answerability import Answerability, load_answerability
from drafting.intent import IntentResult
from drafting.question_types import QuestionTypes, load_question_types
from drafting.rulefile import RuleFileError
from knowledge.labels import Labels
from knowledge.models import Entry
from knowledge.store import Hit

THRESHOLD = 0.91  # zh floors: every asked type 0.91, the intent's 0.92, unknown 0.94; doubtless 0.965


@pytest.fixture(scope="module")
def judge() -> Answerability:
    return Answerability(load_answerability(), QuestionTypes(load_question_types()))


def hit(entry_id: str, score: float, intents: tuple[str, ...] = (), types: tuple[str, ...] = (),
        platform: str = "any") -> Hit:
    entry = Entry(id=entry_id, question="q", answer="a", locale="zh", platform=platform)  # type: ignore[arg-type]
    return Hit(entry, score, Labels(intents, types, "inferred" if intents else "none"))


def sure(intent: str) -> IntentResult:
    return IntentResult(intent, 0.9, "keyword")  # type: ignore[arg-type]


def test_an_entry_of_the_messages_intent_answers_below_the_unknown_floor(judge: Answerability) -> None:
    choice = judge.choose([hit("inv-001", 0.925, ("invoice",))], sure("invoice"), (), "zh", THRESHOLD)

    assert choice.hit is not None and choice.hit.entry.id == "inv-001"
    assert choice.code == "answered"


def test_an_entry_of_another_intent_is_not_a_source_however_near(judge: Answerability) -> None:
    choice = judge.choose([hit("price-001", 0.95, ("price_protection",))], sure("bulk_order"), (), "zh", THRESHOLD)

    assert choice.hit is None
    assert choice.code == "intent_mismatch"


def test_a_score_that_leaves_no_doubt_answers_despite_the_intent(judge: Answerability) -> None:
    choice = judge.choose([hit("price-001", 0.97, ("price_protection",))], sure("coupon"), (), "zh", THRESHOLD)

    assert choice.code == "doubtless" and choice.hit is not None


def test_an_uncertain_intent_holds_the_entry_to_the_threshold(judge: Answerability) -> None:
    unsure = IntentResult("logistics", 0.55, "embedding")

    assert judge.choose([hit("ship-001", 0.93, ("cancel",))], unsure, (), "zh", THRESHOLD).hit is None
    assert judge.choose([hit("ship-001", 0.945, ("cancel",))], unsure, (), "zh", THRESHOLD).hit is not None


def test_a_question_type_the_entry_lacks_rules_it_out(judge: Answerability) -> None:
    remote = hit("ship-004", 0.93, ("logistics",), ("logistics.remote",))
    choice = judge.choose([remote], sure("logistics"), ("logistics.international",), "zh", THRESHOLD)

    assert choice.hit is None


def test_a_strict_type_must_be_answered_even_when_another_is_shared(judge: Answerability) -> None:
    carrier = hit("ship-003", 0.93, ("logistics",), ("logistics.carrier",))
    types = ("logistics.carrier", "service.delivery_instructions")

    assert judge.choose([carrier], sure("logistics"), types, "zh", THRESHOLD).hit is None


def test_no_score_overrules_a_sub_question_a_labelled_entry_does_not_answer(judge: Answerability) -> None:
    labelled = hit("inv-001", 0.975, ("invoice",), ("invoice.request",))
    unlabelled = hit("inv-001", 0.975)  # stored before labels existed: its types are unknown, not none
    types = ("invoice.change", "invoice.request")

    assert judge.choose([labelled], sure("invoice"), types, "zh", THRESHOLD).hit is None
    assert judge.choose([unlabelled], sure("invoice"), types, "zh", THRESHOLD).code == "doubtless"


def test_an_entry_asked_a_narrow_type_answers_only_messages_that_ask_it(judge: Answerability) -> None:
    missing = hit("ship-005", 0.95, ("logistics",), ("logistics.tracking", "logistics.delivered_missing"))

    lost = judge.choose([missing], sure("logistics"), ("logistics.tracking",), "zh", THRESHOLD)
    signed = judge.choose([missing], sure("logistics"), ("logistics.delivered_missing",), "zh", THRESHOLD)

    assert lost.hit is None
    assert signed.hit is not None and signed.hit.entry.id == "ship-005"


def test_narrow_types_come_from_questions_never_from_answers(tmp_path: Path) -> None:
    rules = tmp_path / "question_types.yaml"
    rules.write_text("version: 1\ntypes:\n  a.b: {narrow: true, answers: true, zh: ['x'], en: ['x']}\n",
                     encoding="utf-8")

    with pytest.raises(RuleFileError, match="narrow"):
        load_question_types(rules)


def test_an_entry_with_every_asked_type_agrees_whatever_the_intent(judge: Answerability) -> None:
    timing = hit("ret-004", 0.912, ("return_refund",), ("refund.timing",))
    choice = judge.choose([timing], sure("logistics"), ("refund.timing",), "zh", THRESHOLD)

    assert choice.hit is not None and choice.hit.entry.id == "ret-004"


def test_an_entry_must_lead_close_entries_of_other_intents(judge: Answerability) -> None:
    candidates = [hit("modify-002", 0.951, ("modify_order",)), hit("cancel-002", 0.945, ("cancel",))]
    choice = judge.choose(candidates, IntentResult("other", 0.6, "none"), (), "zh", THRESHOLD)

    assert choice.hit is None and choice.code == "ambiguous"


def test_the_platforms_own_entry_goes_before_a_close_general_one(judge: Answerability) -> None:
    candidates = [hit("ret-001", 0.96, ("return_refund",)), hit("ret-amazon-001", 0.93, ("return_refund",),
                                                                 platform="amazon")]
    choice = judge.choose(candidates, sure("return_refund"), (), "zh", THRESHOLD)

    assert choice.hit is not None and choice.hit.entry.id == "ret-amazon-001"
    assert [h.entry.id for h in choice.also] == ["ret-001"]


def test_an_entry_sharing_the_messages_type_goes_before_a_close_one_that_does_not(judge: Answerability) -> None:
    candidates = [hit("cancel-002", 0.932, ("logistics",)), hit("holiday-001", 0.926, ("logistics",),
                                                               ("logistics.holiday",))]
    choice = judge.choose(candidates, sure("logistics"), ("logistics.holiday",), "zh", THRESHOLD)

    assert choice.hit is not None and choice.hit.entry.id == "holiday-001"


def test_nothing_near_enough_is_a_low_score_naming_the_floor(judge: Answerability) -> None:
    choice = judge.choose([hit("ship-001", 0.80)], None, (), "zh", THRESHOLD)

    assert choice.hit is None and choice.code == "low_score"
    assert "0.940" in choice.message


def test_rules_with_an_unknown_language_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "answerability.yaml"
    bad.write_text("version: 1\nagree: {fr: 0.1}\nunknown: {}\ndoubtless: {}\nmargin: 0.01\nsure_intent: 0.7\n",
                   encoding="utf-8")
    with pytest.raises(RuleFileError, match="unknown language fr"):
        load_answerability(bad)
