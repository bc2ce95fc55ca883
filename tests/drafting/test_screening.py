"""The policy screens each text of a draft once: a model's reply is screened before it is accepted, and that verdict
is the draft's; a template draft, its pruned version and a holding reply are each screened once."""

from __future__ import annotations

from drafting.models import Compliance, DraftRequest
from drafting.policy import PolicyChecker, load_rules
from knowledge.chroma_store import ChromaStore
from knowledge.indexing import Indexer
from knowledge.models import Entry
from knowledge.retrieval import Retriever
from tests.drafting.conftest import ROWS, THRESHOLD, default_service
from tests.fakes import HashingEmbedder, ScriptedChatModel

DUVET = "How do I return a damaged duvet?"
DUVET_ANSWER = ("Start the return from the order page within 7 days of delivery. Our courier collects it for free. "
                "You can also call us at (555) 123-4567 or email support@example.com. The refund follows in 3 days.")


class CountingChecker(PolicyChecker):
    """The shipped rules, noting every text they screen."""

    def __init__(self) -> None:
        super().__init__(load_rules())
        self.screened: list[str] = []

    def screen(self, text: str, request: DraftRequest, locale: str) -> tuple[str, Compliance]:
        self.screened.append(text)
        return super().screen(text, request, locale)


def _ask(message: str, platform: str = "taobao") -> DraftRequest:
    return DraftRequest(message=message, platform=platform)


def test_a_clean_model_reply_is_screened_once(retriever: Retriever) -> None:
    checker = CountingChecker()
    chat = ScriptedChatModel("亲，物流可能延迟约一天更新，请耐心等待 [ship-001]。")

    draft = default_service(retriever, chat, policy=checker).draft(_ask("我的快递怎么还没到"))

    assert draft.provider == "scripted:test" and draft.compliance == Compliance(passed=True, violations=[])
    assert checker.screened == ["亲，物流可能延迟约一天更新，请耐心等待。"] == [draft.draft]


def test_a_repaired_reply_screens_the_first_reply_and_the_repair_once_each(retriever: Retriever) -> None:
    checker = CountingChecker()
    chat = ScriptedChatModel("亲，有问题加我微信 [ship-001]。", "亲，有问题随时在这里联系我们 [ship-001]。")

    draft = default_service(retriever, chat, policy=checker).draft(_ask("我的快递怎么还没到"))

    assert checker.screened == ["亲，有问题加我微信。", "亲，有问题随时在这里联系我们。"]
    assert draft.draft == checker.screened[-1]


def test_a_reply_replaced_by_the_template_screens_no_text_twice(retriever: Retriever) -> None:
    checker = CountingChecker()
    chat = ScriptedChatModel("亲，加我微信 [ship-001]。", "亲，加我微信吧 [ship-001]。")

    draft = default_service(retriever, chat, policy=checker).draft(_ask("我的快递怎么还没到"))

    assert [r.code for r in draft.reasons] == ["compliance_fallback"]
    assert checker.screened == ["亲，加我微信。", "亲，加我微信吧。", draft.draft]


def test_a_pruned_template_draft_screens_no_text_twice(
    fake_embedder: HashingEmbedder, store: ChromaStore, indexer: Indexer
) -> None:
    duvet = {"id": "ret-damaged", "locale": "en", "question": DUVET, "answer": DUVET_ANSWER}
    indexer.index([Entry.model_validate(r) for r in [*ROWS, duvet]])
    retriever = Retriever(fake_embedder, store, thresholds={"zh": THRESHOLD, "en": THRESHOLD}, top_k=4)
    checker = CountingChecker()

    draft = default_service(retriever, policy=checker).draft(_ask(DUVET, "amazon"))

    assert draft.reasons[-1].code == "compliance_pruned" and "555" not in draft.draft
    assert len(checker.screened) == len(set(checker.screened)) and checker.screened[-1] == draft.draft


def test_a_held_template_draft_screens_the_draft_and_the_holding_reply_once_each(
    fake_embedder: HashingEmbedder, store: ChromaStore, indexer: Indexer
) -> None:
    contact = {"id": "wx-001", "locale": "zh", "question": "怎么联系你们售后？",
               "answer": "加客服微信 qc-home 处理更快。"}
    indexer.index([Entry.model_validate(r) for r in [*ROWS, contact]])
    retriever = Retriever(fake_embedder, store, thresholds={"zh": THRESHOLD, "en": THRESHOLD}, top_k=4)
    checker = CountingChecker()

    draft = default_service(retriever, policy=checker).draft(_ask("怎么联系你们售后？"))

    assert draft.reasons[-1].code == "compliance_hold" and draft.answer_mode == "holding"
    assert len(checker.screened) == len(set(checker.screened)) and checker.screened[-1] == draft.draft
    assert "qc-home" in checker.screened[0]
