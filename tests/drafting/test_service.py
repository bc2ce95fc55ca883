"""DraftService over a real Chroma store, the hashing embedder and the scripted chat model."""

from __future__ import annotations

import re

import pytest

from drafting.case import TEMPLATE_PROVIDER
from drafting.llm.base import UpstreamError
from drafting.models import DraftRequest
from knowledge.chroma_store import ChromaStore
from knowledge.indexing import Indexer
from knowledge.models import Entry
from knowledge.retrieval import Retriever
from tests.drafting.conftest import AFTER_SALE, ANSWERS, IN_SALE, ROWS, MakeService, default_service
from tests.fakes import HashingEmbedder, ScriptedChatModel

_CJK = re.compile(r"[\u4e00-\u9fff]")
BOTH = "我的快递还没到，支持七天无理由退货吗"  # retrieves ret-001 (best) and ship-001
SALE_EN = "Where is my parcel? Why hasn't it arrived during the sale?"  # ship-001 scores above ann-618


def ask(message: str, platform: str = "taobao", **extra: object) -> DraftRequest:
    return DraftRequest.model_validate({"message": message, "platform": platform, **extra})


# --- template drafts -------------------------------------------------------------------------------------


def test_zh_message_gets_a_zh_template_draft_that_quotes_and_cites_the_answer(make_service: MakeService) -> None:
    draft = make_service().draft(ask("我的快递怎么还没到"))

    assert draft.language == "zh"
    assert [c.id for c in draft.citations] == ["ship-001"]
    assert "日常订单一般在付款后48小时内发出" in draft.draft
    assert draft.draft.startswith("亲，非常理解您等待包裹的心情")  # the logistics opening
    assert draft.provider == TEMPLATE_PROVIDER == "template"
    assert (draft.needs_human, draft.degraded, draft.reasons) == (False, False, [])
    assert 0.5 <= draft.confidence <= 1.0


def test_the_answers_own_salutation_is_not_repeated(make_service: MakeService) -> None:
    draft = make_service().draft(ask("我的快递怎么还没到"))

    assert ANSWERS[("ship-001", "zh")].startswith("亲，")
    assert draft.draft.count("亲，") == 1


@pytest.mark.parametrize(
    ("locale", "answer", "body"),
    [
        ("zh", "亲，门店自提请提前一天预约。", "门店自提请提前一天预约。"),
        ("zh", "亲亲～门店自提请提前一天预约。", "门店自提请提前一天预约。"),
        ("zh", "亲自到店自提请提前一天预约。", "亲自到店自提请提前一天预约。"),
        ("zh", "亲爱的顾客，门店自提请提前一天预约。", "亲爱的顾客，门店自提请提前一天预约。"),
        ("en", "Hello! Pickups need a day's notice.", "Pickups need a day's notice."),
        ("en", "Hi there! Pickups need a day's notice.", "Pickups need a day's notice."),
        ("en", "Hiking boots can be picked up too.", "Hiking boots can be picked up too."),
    ],
    ids=["zh-comma", "zh-double", "zh-word-qinzi", "zh-word-qinai", "en-hello", "en-hi-there", "en-word-hiking"],
)
def test_only_a_leading_salutation_is_dropped_from_the_answer(
    make_service: MakeService, indexer: Indexer, locale: str, answer: str, body: str
) -> None:
    question = "门店自提需要预约吗？" if locale == "zh" else "Can I pick up my order in store?"
    indexer.index([Entry(id="pickup-001", locale=locale, question=question, answer=answer)])  # type: ignore[arg-type]

    draft = make_service().draft(ask(question))

    assert draft.citations[0].id == "pickup-001"
    assert body in draft.draft.splitlines()


def test_en_message_gets_an_en_template_draft(make_service: MakeService) -> None:
    draft = make_service().draft(ask("Where is my parcel?"))

    assert draft.language == "en"
    assert [c.id for c in draft.citations] == ["ship-001"]
    assert "orders ship within 48 hours of payment" in draft.draft
    assert not _CJK.search(draft.draft)
    citation = draft.citations[0]
    assert citation.title == "Where is my parcel? Why hasn't my package arrived yet?"
    assert citation.kind == "faq"
    assert citation.snippet == ANSWERS[("ship-001", "en")]
    assert 0.3 <= citation.score <= 1.0


def test_explicit_locale_wins_over_detection(make_service: MakeService) -> None:
    message = "Can I do a 七天无理由退货 return for this order please?"  # detected as English
    assert make_service().draft(ask(message)).language == "en"

    draft = make_service().draft(ask(message, locale="zh"))

    assert draft.language == "zh"
    assert draft.citations[0].id == "ret-001"
    assert ANSWERS[("ret-001", "zh")] in draft.draft


@pytest.mark.parametrize(
    ("message", "locale", "expected"),
    [("你好呀", "zh", "需要先跟相关同事核实"), ("ok thanks bye", "en", "I need to check this with the right team")],
)
def test_nothing_above_the_threshold_gives_a_holding_reply_for_a_human(
    make_service: MakeService, message: str, locale: str, expected: str
) -> None:
    draft = make_service().draft(ask(message))

    assert draft.language == locale
    assert draft.needs_human is True
    assert draft.citations == []
    assert [r.code for r in draft.reasons] == ["low_confidence"]
    assert "< 0.330" in draft.reasons[0].message  # names the floor it missed (the threshold + 0.03)
    assert expected in draft.draft
    assert draft.confidence < 0.5
    assert draft.provider == "template"
    assert draft.degraded is False


def test_holding_reply_mentions_the_order(make_service: MakeService) -> None:
    draft = make_service().draft(ask("你好呀", order={"id": "TB-7788"}))

    assert draft.needs_human is True
    assert "TB-7788" in draft.draft


def test_live_announcement_is_cited_first_and_shown(make_service: MakeService) -> None:
    draft = make_service(at=IN_SALE).draft(ask("我的快递怎么还没到？618期间会延迟吗"))

    assert [c.id for c in draft.citations][:2] == ["ann-618", "ship-001"]
    assert draft.citations[0].kind == "announcement"
    assert "【618发货延迟通知】" + ANSWERS[("ann-618", "zh")] in draft.draft
    assert ANSWERS[("ship-001", "zh")].removeprefix("亲，") in draft.draft


def test_announcement_outranks_a_better_scoring_faq(make_service: MakeService) -> None:
    draft = make_service(at=IN_SALE).draft(ask(SALE_EN))

    assert [c.id for c in draft.citations] == ["ann-618", "ship-001"]
    assert draft.citations[0].score < draft.citations[1].score
    assert "Please note: 618 shipping notice. " + ANSWERS[("ann-618", "en")] in draft.draft


def test_expired_announcement_is_neither_cited_nor_shown(make_service: MakeService) -> None:
    draft = make_service(at=AFTER_SALE).draft(ask("我的快递怎么还没到？618期间会延迟吗"))

    assert "ann-618" not in [c.id for c in draft.citations]
    assert ANSWERS[("ann-618", "zh")] not in draft.draft
    assert draft.citations[0].id == "ship-001"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("我的快递怎么还没到", ["您的订单（TB20260601）当前状态：已发货，圆通运单号 YT998877。"]),
        ("Where is my parcel?", ["Your order TB20260601 is currently shipped (tracking number YT998877, 圆通)."]),
    ],
)
def test_order_facts_appear_in_the_template_draft(
    make_service: MakeService, message: str, expected: list[str]
) -> None:
    order = {"id": "TB20260601", "status": "shipped", "tracking_number": "YT998877", "carrier": "圆通"}
    draft = make_service().draft(ask(message, order=order))

    for fact in expected:
        assert fact in draft.draft


def test_template_service_reports_the_template_provider(make_service: MakeService) -> None:
    assert make_service().provider == "template"
    assert make_service(ScriptedChatModel(name="openai:m")).provider == "openai:m"


# --- with a chat model -----------------------------------------------------------------------------------


def test_llm_reply_markers_become_citations_and_leave_the_text(make_service: MakeService) -> None:
    chat = ScriptedChatModel("亲，非常抱歉让您久等了，签收后7天内可以退货 [ret-001]。如有问题请联系我们【ship-001】。")
    draft = make_service(chat).draft(ask(BOTH))

    assert draft.draft == "亲，非常抱歉让您久等了，签收后7天内可以退货。如有问题请联系我们。"
    assert {c.id for c in draft.citations} == {"ret-001", "ship-001"}
    assert draft.provider == "scripted:test"
    assert (draft.degraded, draft.needs_human, draft.reasons) == (False, False, [])
    assert draft.language == "zh"


def test_only_the_sources_the_reply_cites_are_citations(make_service: MakeService) -> None:
    chat = ScriptedChatModel("Sorry for the wait, tracking can lag by a day [ship-001] — see [note-1].")
    draft = make_service(chat).draft(ask("Where is my parcel? Do you offer 7-day no-reason returns?"))

    assert [c.id for c in draft.citations] == ["ship-001"]
    assert "[ship-001]" not in draft.draft
    assert "[note-1]" in draft.draft  # not one of the sources: left for the agent to see
    assert "ret-001" in chat.prompts[0][1]  # it was a source, just not cited


@pytest.mark.parametrize("marker", ["[ship-001, ret-001]", "【ship-001，ret-001】", "[ret-001; ship-001]"])
def test_a_marker_naming_several_sources_cites_each(make_service: MakeService, marker: str) -> None:
    chat = ScriptedChatModel(f"亲，物流可能延迟，签收后7天内也可以退货{marker}。")
    draft = make_service(chat).draft(ask(BOTH))

    assert draft.draft == "亲，物流可能延迟，签收后7天内也可以退货。"
    assert {c.id for c in draft.citations} == {"ret-001", "ship-001"}


def test_a_marker_with_an_unknown_id_stays_in_the_text(make_service: MakeService) -> None:
    chat = ScriptedChatModel("亲，请稍等 [ship-001, note-9]。")
    draft = make_service(chat).draft(ask(BOTH))

    assert "[ship-001, note-9]" in draft.draft


def test_a_reply_citing_nothing_cites_every_source(make_service: MakeService) -> None:
    chat = ScriptedChatModel("亲，已为您查询，请耐心等待。")
    draft = make_service(chat).draft(ask(BOTH))

    assert draft.draft == "亲，已为您查询，请耐心等待。"
    assert {c.id for c in draft.citations} == {"ret-001", "ship-001"}


def test_prompts_carry_sources_message_order_history_and_platform_rules(make_service: MakeService) -> None:
    chat = ScriptedChatModel("亲，可以的 [ret-001]")
    request = ask(
        BOTH, order={"id": "TB-42", "status": "delivered"},
        history=[{"role": "buyer", "text": "在吗"}, {"role": "agent", "text": "在的亲"}],
    )
    make_service(chat).draft(request)

    [(system, user)] = chat.prompts
    assert "晴川家居" in system
    assert "平台：taobao" in system
    assert "不得引导买家到平台以外联系或交易" in system  # the Taobao rule, in Chinese
    assert "[ret-001]" in user and "[ship-001]" in user
    assert ANSWERS[("ret-001", "zh")] in user
    assert "<<<\n" + BOTH + "\n>>>" in user
    assert "- id: TB-42" in user and "- status: delivered" in user
    assert "买家：在吗" in user and "客服：在的亲" in user


def test_amazon_prompts_are_english_with_amazon_rules(make_service: MakeService) -> None:
    chat = ScriptedChatModel("Sorry for the wait [ship-001].")
    make_service(chat).draft(ask("Where is my parcel?", platform="amazon"))

    [(system, user)] = chat.prompts
    assert "platform: amazon" in system
    assert "Never ask the buyer to pay outside Amazon." in system
    assert "advertising law" not in system  # the rules for Chinese platforms are not mixed in
    assert "Where is my parcel?" in user
    assert ANSWERS[("ship-001", "en")] in user
    assert not _CJK.search(user)


def test_live_announcement_is_the_first_source_in_the_prompt(make_service: MakeService) -> None:
    chat = ScriptedChatModel("Sorry, the 618 sale slows shipping [ann-618].")
    make_service(chat, at=IN_SALE).draft(ask(SALE_EN))

    user = chat.prompts[0][1]
    assert user.index("[ann-618]") < user.index("[ship-001]")


def test_upstream_error_falls_back_to_the_template_draft(make_service: MakeService) -> None:
    template = make_service().draft(ask("我的快递怎么还没到"))
    draft = make_service(ScriptedChatModel(UpstreamError("openai:m failed: 503"))).draft(ask("我的快递怎么还没到"))

    assert draft.draft == template.draft
    assert draft.citations == template.citations
    assert draft.degraded is True
    assert draft.provider == "template"
    assert draft.needs_human is False
    assert [r.code for r in draft.reasons] == ["llm_unavailable"]
    assert "503" in draft.reasons[0].message


@pytest.mark.parametrize("reply", ["[ship-001]", " 【ship-001】 [ship-001] "])
def test_a_reply_of_only_markers_falls_back_to_the_template(make_service: MakeService, reply: str) -> None:
    draft = make_service(ScriptedChatModel(reply)).draft(ask("Where is my parcel?"))

    assert draft.degraded is True
    assert [r.code for r in draft.reasons] == ["llm_unavailable"]
    assert "only citation markers" in draft.reasons[0].message
    assert ANSWERS[("ship-001", "en")].removeprefix("Hi, ") in draft.draft
    assert [c.id for c in draft.citations] == ["ship-001"]


def test_low_confidence_never_calls_the_model(make_service: MakeService) -> None:
    chat = ScriptedChatModel("should not be used")
    draft = make_service(chat).draft(ask("ok thanks bye"))

    assert chat.prompts == []
    assert draft.needs_human is True
    assert draft.provider == "template"


def test_latency_is_measured(make_service: MakeService) -> None:
    for chat in (None, ScriptedChatModel("ok [ship-001]"), ScriptedChatModel(UpstreamError("down"))):
        draft = make_service(chat).draft(ask("Where is my parcel?"))
        assert draft.latency_ms >= 0
        assert isinstance(draft.latency_ms, float)


def test_only_announcements_retrieved_are_each_shown_once_in_score_order(
    fake_embedder: HashingEmbedder, store: ChromaStore, indexer: Indexer
) -> None:
    window = {"valid_from": "2026-06-01T00:00:00+08:00", "valid_until": "2026-06-20T00:00:00+08:00"}
    indexer.index([
        Entry.model_validate({"id": "ann-a", "kind": "announcement", "locale": "zh", "title": "快递延迟通知",
                              "question": "快递延迟了吗", "answer": "华东地区快递延迟一到两天。", **window}),
        Entry.model_validate({"id": "ann-b", "kind": "announcement", "locale": "zh", "title": "仓库盘点",
                              "question": "仓库盘点", "answer": "仓库盘点期间暂停发货。", **window}),
    ])
    retriever = Retriever(fake_embedder, store, thresholds={"zh": 0.05}, top_k=4)
    draft = default_service(retriever, at=IN_SALE).draft(ask("快递延迟了吗，仓库还发货吗"))

    assert [c.id for c in draft.citations] == [h.id for h in sorted(draft.citations, key=lambda c: -c.score)]
    assert {c.id for c in draft.citations} == {"ann-a", "ann-b"}
    assert draft.draft.count("华东地区快递延迟一到两天。") == 1
    assert draft.draft.count("仓库盘点期间暂停发货。") == 1


def test_candidates_list_what_retrieval_ranked_even_below_the_threshold(
    fake_embedder: HashingEmbedder, store: ChromaStore, indexer: Indexer
) -> None:
    indexer.index([Entry.model_validate(r) for r in ROWS])
    strict = Retriever(fake_embedder, store, thresholds={"zh": 0.999, "en": 0.999}, top_k=3)
    draft = default_service(strict).draft(ask(BOTH))

    assert draft.needs_human and draft.citations == []
    assert [c.id for c in draft.candidates][:2] == ["ret-001", "ship-001"]
    assert [c.score for c in draft.candidates] == sorted((c.score for c in draft.candidates), reverse=True)


def test_candidates_include_the_cited_sources(make_service: MakeService) -> None:
    draft = make_service().draft(ask(BOTH))

    assert {c.id for c in draft.citations} <= {c.id for c in draft.candidates}
