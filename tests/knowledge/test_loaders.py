"""Loaders: JSONL, CSV and Markdown files in, validated entries out; a bad file yields nothing."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from knowledge.errors import InvalidFileError, UnsupportedFileError
from knowledge.loaders import load_bytes, load_file, load_path, parse_entries
from tests.conftest import SAMPLE_KB, write_jsonl
from tests.knowledge.conftest import at

ZH_ROW = {
    "id": "ship-001", "question": "我的快递怎么还没到？", "answer": "亲，日常订单一般在付款后48小时内发出。",
    "locale": "zh", "tags": ["logistics", "delivery_delay"],
}
EN_ROW = {
    "id": "ship-001", "question": "Where is my parcel?", "answer": "We ship within 48 hours of payment.",
    "locale": "en", "tags": ["logistics", "delivery_delay"], "platform": "amazon",
}


def _problems(exc: pytest.ExceptionInfo[InvalidFileError]) -> list[str]:
    return exc.value.problems


# --- JSONL ---------------------------------------------------------------------------------------------


def test_jsonl_rows_become_entries_with_the_file_as_source(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "faq.jsonl", [ZH_ROW, EN_ROW])

    entries = load_file(path)

    assert [e.key for e in entries] == ["ship-001@zh", "ship-001@en"]
    assert entries[0].tags == ("logistics", "delivery_delay")
    assert (entries[1].platform, entries[1].kind) == ("amazon", "faq")
    assert {e.source for e in entries} == {str(path.resolve())}


def test_jsonl_reads_validity_windows_with_their_timezone(tmp_path: Path) -> None:
    row = {**ZH_ROW, "id": "ann-1", "kind": "announcement", "question": "", "title": "双11发货安排",
           "valid_from": "2025-11-01T00:00:00+08:00", "valid_until": "2025-11-12T00:00:00+08:00"}

    [entry] = load_file(write_jsonl(tmp_path / "ann.jsonl", [row]))

    assert (entry.valid_from, entry.valid_until) == (at(2025, 11, 1), at(2025, 11, 12))


def test_jsonl_ignores_blank_lines_and_accepts_a_utf8_bom(tmp_path: Path) -> None:
    text = "\n".join(["", json.dumps(ZH_ROW, ensure_ascii=False), "   ", json.dumps(EN_ROW), "", ""])
    path = tmp_path / "faq.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))

    entries = load_file(path)

    assert [e.key for e in entries] == ["ship-001@zh", "ship-001@en"]
    assert entries[0].id == "ship-001"  # not "\ufeffship-001"


def test_jsonl_errors_name_every_bad_line(tmp_path: Path) -> None:
    lines = [
        json.dumps(ZH_ROW, ensure_ascii=False),
        json.dumps({k: v for k, v in EN_ROW.items() if k != "answer"}),  # line 2: missing answer
        '{"id": "ship-003", "question": "运费谁出？"',  # line 3: truncated JSON
        json.dumps({**EN_ROW, "id": "ship-004", "platform": "ebay"}),  # line 4: unknown platform
        '["not", "an", "object"]',  # line 5
    ]
    path = tmp_path / "faq.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")

    with pytest.raises(InvalidFileError) as exc:
        load_file(path)

    problems = _problems(exc)
    assert [p.split(":")[0] for p in problems] == ["line 2", "line 3", "line 4", "line 5"]
    assert problems[0] == "line 2: answer: Field required"
    assert problems[1].startswith("line 3: invalid JSON")
    assert problems[2].startswith("line 4: platform: Input should be 'taobao'")
    assert problems[3] == "line 5: expected a JSON object"
    assert exc.value.code == "invalid_file"
    assert str(path.resolve()) in exc.value.message


def test_line_numbers_count_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "faq.jsonl"
    path.write_text(json.dumps(ZH_ROW, ensure_ascii=False) + "\n\n{bad json\n", encoding="utf-8")

    with pytest.raises(InvalidFileError) as exc:
        load_file(path)

    assert [p.split(":")[0] for p in _problems(exc)] == ["line 3"]


def test_duplicate_id_and_locale_in_one_file_is_rejected(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "faq.jsonl", [ZH_ROW, EN_ROW, {**ZH_ROW, "answer": "另一个答案。"}])

    with pytest.raises(InvalidFileError) as exc:
        load_file(path)

    assert _problems(exc) == ["duplicate id and locale: ship-001@zh"]


def test_a_gbk_csv_from_a_chinese_excel_is_decoded() -> None:
    answer = "亲，日常订单一般在付款后48小时内发出，请耐心等待。"
    text = f"id,locale,question,answer\nship-001,zh,我的快递怎么还没到？,{answer}\n"

    for encoding in ("gbk", "gb18030", "utf-16"):
        [entry] = load_bytes(text.encode(encoding), filename="faq.csv", source="upload:faq.csv")
        assert (entry.question, entry.answer) == ("我的快递怎么还没到？", answer)


def test_bytes_in_no_known_encoding_are_rejected_with_the_offset() -> None:
    data = bytes(range(128, 256)) * 3

    with pytest.raises(InvalidFileError) as exc:
        load_bytes(data, filename="faq.jsonl", source="upload:faq.jsonl")

    assert _problems(exc) == ["not UTF-8 text (byte 0); save the file as UTF-8"]
    assert exc.value.source == "upload:faq.jsonl"


@pytest.mark.parametrize("filename", ["faq.txt", "faq.xlsx", "faq.json", "faq"])
def test_unsupported_suffix(filename: str) -> None:
    with pytest.raises(UnsupportedFileError, match="unsupported file type") as exc:
        load_bytes(b"{}", filename=filename, source="upload")

    assert exc.value.code == "unsupported_file"


def test_missing_path_is_reported(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFileError, match="no such file or directory"):
        load_path(tmp_path / "nope.jsonl")


def test_parse_entries_numbers_rows_and_checks_duplicates() -> None:
    entries = parse_entries([ZH_ROW, EN_ROW], source="api")
    assert [(e.key, e.source) for e in entries] == [("ship-001@zh", "api"), ("ship-001@en", "api")]

    with pytest.raises(InvalidFileError) as exc:
        parse_entries([ZH_ROW, {**EN_ROW, "locale": "fr"}], source="api")
    assert [p.split(":")[0] for p in _problems(exc)] == ["entry 2"]

    with pytest.raises(InvalidFileError, match="duplicate id and locale: ship-001@en"):
        parse_entries([EN_ROW, EN_ROW], source="api")


# --- CSV -----------------------------------------------------------------------------------------------

CSV_HEADER = "id,kind,question,answer,platform,locale,tags\n"


def test_csv_uses_the_same_columns_and_splits_tags(tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text(
        CSV_HEADER
        + "ship-001,faq,我的快递怎么还没到？,亲，一般48小时内发出。,any,zh,logistics|delivery_delay\n"
        + 'ship-001,faq,"Where is my parcel, please?",We ship within 48 hours.,amazon,en,"logistics,delivery_delay"\n',
        encoding="utf-8",
    )

    entries = load_file(path)

    assert [e.key for e in entries] == ["ship-001@zh", "ship-001@en"]
    assert [e.tags for e in entries] == [("logistics", "delivery_delay")] * 2
    assert entries[1].question == "Where is my parcel, please?"
    assert entries[1].platform == "amazon"


def test_csv_empty_cells_take_the_defaults_and_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (CSV_HEADER + "inv-001,,怎么开发票？,订单页申请。,,zh,\n").encode("utf-8"))

    [entry] = load_file(path)

    assert (entry.id, entry.kind, entry.platform, entry.tags) == ("inv-001", "faq", "any", ())


def test_csv_errors_name_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text(
        CSV_HEADER
        + "ship-001,faq,我的快递怎么还没到？,亲，一般48小时内发出。,any,zh,logistics\n"
        + "ship-002,faq,Where is my parcel?,,any,en,\n"  # line 3: no answer
        + "ship-003,faq,运费谁出？,本店承担。,ebay,zh,\n"  # line 4: unknown platform
        + "ship-004,faq,a,b,any,en,x,extra\n",  # line 5: too many cells
        encoding="utf-8",
    )

    with pytest.raises(InvalidFileError) as exc:
        load_file(path)

    problems = _problems(exc)
    assert problems[0] == "line 3: answer: Field required"
    assert problems[1].startswith("line 4: platform:")
    assert problems[2] == "line 5: more cells than header columns"
    assert len(problems) == 3


# --- Markdown ------------------------------------------------------------------------------------------

POLICY_ZH = """---
id: returns
platform: taobao
tags: [return_refund]
---

# 售后政策

适用于本店全部订单。

## 七天无理由退货

签收后7天内可申请退货。

## 退款时效

验收后48小时内退款。

### 银行卡

银行卡1-7个工作日到账。
"""


def test_markdown_sections_become_policy_entries(tmp_path: Path) -> None:
    path = tmp_path / "returns.md"
    path.write_text(POLICY_ZH, encoding="utf-8")

    entries = load_file(path)

    assert [(e.key, e.title, e.answer) for e in entries] == [
        ("returns:售后政策@zh", "售后政策", "适用于本店全部订单。"),
        ("returns:七天无理由退货@zh", "售后政策 > 七天无理由退货", "签收后7天内可申请退货。"),
        ("returns:退款时效@zh", "售后政策 > 退款时效", "验收后48小时内退款。"),
        ("returns:退款时效-银行卡@zh", "售后政策 > 退款时效 > 银行卡", "银行卡1-7个工作日到账。"),
    ]
    assert {(e.kind, e.platform, e.tags, e.question) for e in entries} == {
        ("policy", "taobao", ("return_refund",), "")
    }


def test_markdown_without_front_matter_uses_the_file_stem_and_detects_the_locale(tmp_path: Path) -> None:
    path = tmp_path / "Shipping Policy.md"
    path.write_text("# Shipping\n\n## Big Sales & Holidays\n\nOrders ship within 72 hours.\n", encoding="utf-8")

    entries = load_file(path)

    assert [e.key for e in entries] == ["shipping-policy:big-sales-holidays@en"]
    assert entries[0].kind == "policy"


def test_markdown_front_matter_sets_kind_locale_and_validity(tmp_path: Path) -> None:
    path = tmp_path / "notice.md"
    path.write_text(
        "---\nkind: announcement\nlocale: en\nvalid_from: 2026-01-20T00:00:00+08:00\n"
        "valid_until: 2026-02-05T00:00:00+08:00\n---\n"
        "# 春节发货安排\n\n1月20日至2月5日暂停发货，2月5日起按付款顺序发出。\n",
        encoding="utf-8",
    )

    [entry] = load_file(path)

    assert (entry.key, entry.kind, entry.locale) == ("notice:春节发货安排@en", "announcement", "en")
    assert (entry.valid_from, entry.valid_until) == (at(2026, 1, 20), at(2026, 2, 5))


def test_markdown_text_without_headings_is_one_section_named_after_the_file(tmp_path: Path) -> None:
    path = tmp_path / "发票说明.md"
    path.write_text("确认收货后可在订单页申请电子发票，一般3个工作日内开具。", encoding="utf-8")

    [entry] = load_file(path)

    assert (entry.key, entry.title) == ("发票说明:发票说明@zh", "发票说明")


def test_long_markdown_section_is_split_into_numbered_chunks(tmp_path: Path) -> None:
    paragraph = "Refunds go back to the original payment method once the return is inspected. " * 5
    body = "\n\n".join(f"Step {i}. {paragraph}" for i in range(8))
    path = tmp_path / "refunds.md"
    path.write_text(f"# Returns\n\n## Refund timing\n\n{body}\n", encoding="utf-8")

    entries = load_file(path)

    assert [e.id for e in entries] == [f"refunds:refund-timing-{n}" for n in (1, 2, 3)]
    assert all(len(e.answer) <= 1200 for e in entries)
    assert entries[0].answer.startswith("Step 0.") and entries[2].answer.endswith("inspected.")
    assert {e.title for e in entries} == {"Returns > Refund timing"}
    assert sum(e.answer.count("Step ") for e in entries) == 8  # nothing lost, nothing repeated


def test_long_chinese_section_is_split_after_sentence_ends(tmp_path: Path) -> None:
    sentence = "仓库签收退货后一般在48小时内完成验收，验收无误后尽快同意退款，款项按原支付方式退回。"
    path = tmp_path / "退款.md"
    path.write_text("---\nid: refund\n---\n## 退款时效\n\n" + sentence * 40 + "\n", encoding="utf-8")

    entries = load_file(path)

    assert [e.id for e in entries] == ["refund:退款时效-1", "refund:退款时效-2"]
    assert all(e.locale == "zh" and len(e.answer) <= 1200 for e in entries)
    assert all(e.answer.startswith("仓库") and e.answer.endswith("退回。") for e in entries)
    assert "".join(e.answer for e in entries) == sentence * 40


def test_long_english_paragraph_is_split_after_full_stops(tmp_path: Path) -> None:
    sentence = "Refunds go back to the original payment method once the return is inspected."
    path = tmp_path / "refunds.md"
    path.write_text("## Refunds\n\n" + " ".join([sentence] * 40) + "\n", encoding="utf-8")

    entries = load_file(path)

    assert len(entries) == 3
    assert all(e.answer.startswith("Refunds go") and e.answer.endswith("inspected.") for e in entries)
    assert sum(e.answer.count(sentence) for e in entries) == 40


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("---\ntags: [a\n---\n# T\n\nbody\n", "front matter:"),
        ("---\n- a\n- b\n---\n# T\n\nbody\n", "front matter must be a mapping"),
        ("---\nplatform: ebay\n---\n# T\n\nbody\n", "section 'T': platform:"),
        ("# Only a heading\n", "no text found under any heading"),
    ],
)
def test_markdown_errors(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "bad.md"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(InvalidFileError) as exc:
        load_file(path)

    assert _problems(exc)[0].startswith(problem)


# --- directories and the sample knowledge base ---------------------------------------------------------


def test_directory_walk_is_sorted_recursive_and_skips_readmes(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "b.jsonl", [EN_ROW])
    write_jsonl(tmp_path / "a.jsonl", [ZH_ROW])
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "policy.md").write_text("## 退货\n\n七天无理由退货。\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("# About this folder\n\nNot knowledge.\n", encoding="utf-8")
    (tmp_path / "readme.zh.md").write_text("# 说明\n\n不是知识。\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("ignored", encoding="utf-8")

    entries = load_path(tmp_path)

    assert [e.key for e in entries] == ["ship-001@zh", "ship-001@en", "policy:退货@zh"]


def test_sample_kb_loads_completely() -> None:
    entries = load_path(SAMPLE_KB)

    assert Counter((e.kind, e.locale) for e in entries) == {
        ("faq", "zh"): 30, ("faq", "en"): 30, ("policy", "zh"): 9, ("policy", "en"): 9,
        ("announcement", "zh"): 2, ("announcement", "en"): 2, ("template", "zh"): 2, ("template", "en"): 2,
    }
    assert all(e.locale == "zh" for e in entries if ".zh." in e.source)
    assert all(e.locale == "en" for e in entries if ".en." in e.source)
    assert not any("README" in e.source for e in entries)


def test_sample_kb_ids_have_a_twin_in_the_other_locale() -> None:
    entries = load_path(SAMPLE_KB)
    zh = {e.id: e for e in entries if e.locale == "zh"}
    en = {e.id: e for e in entries if e.locale == "en"}

    assert len(zh) == 34 + 9
    assert sorted(zh) == sorted(en)
    assert all((zh[i].kind, zh[i].platform, zh[i].tags) == (en[i].kind, en[i].platform, en[i].tags) for i in zh)


def test_sample_kb_policy_sections_match_across_locales() -> None:
    """`{#anchor}` headings give translated sections the same id."""
    entries = load_path(SAMPLE_KB)
    zh = [e for e in entries if e.kind == "policy" and e.locale == "zh"]
    en = [e for e in entries if e.kind == "policy" and e.locale == "en"]

    assert len(zh) == len(en) == 9
    assert [e.id for e in zh] == [e.id for e in en]
    assert "policy:invoice" in {e.id for e in zh}
    assert not any("{#" in e.title for e in zh + en)
    assert [e.title.count(" > ") for e in zh] == [e.title.count(" > ") for e in en]
    assert [e.tags for e in zh] == [e.tags for e in en]


def test_sample_kb_has_an_expired_announcement() -> None:
    entries = {e.key: e for e in load_path(SAMPLE_KB)}
    double11 = entries["ann-double11-2025@zh"]

    assert double11.kind == "announcement"
    assert double11.is_valid_at(at(2025, 11, 5))
    assert not double11.is_valid_at(at(2025, 11, 13))


def test_markdown_heading_anchor_names_the_section(tmp_path: Path) -> None:
    doc = "---\nid: returns\n---\n# 退货政策 {#top}\n\n总则。\n\n## 七天无理由 {#no-reason}\n\n签收后七天内可退。\n"
    path = tmp_path / "退货.md"
    path.write_text(doc, encoding="utf-8")
    entries = load_file(path)

    assert [(e.id, e.title) for e in entries] == [
        ("returns:top", "退货政策"), ("returns:no-reason", "退货政策 > 七天无理由"),
    ]


# --- announcements: scope and priority -------------------------------------------------------------------

NOTICE_ROW = {
    "id": "ann-xj", "kind": "announcement", "title": "新疆地区快递延迟", "locale": "zh",
    "answer": "受降雪影响，发往新疆的包裹预计延迟3-5天送达。",
    "valid_from": "2026-01-10T00:00:00+08:00", "valid_until": "2026-01-20T00:00:00+08:00",
    "scope": {"regions": ["新疆"], "intents": ["logistics"]}, "priority": 50,
}


def test_jsonl_reads_an_announcements_scope_and_priority(tmp_path: Path) -> None:
    [entry] = load_file(write_jsonl(tmp_path / "notices.jsonl", [NOTICE_ROW]))

    assert (entry.scope.regions, entry.scope.intents, entry.scope.skus) == (("新疆",), ("logistics",), ())
    assert entry.priority == 50


def test_jsonl_rejects_a_scope_on_a_faq_naming_the_line(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "faq.jsonl", [ZH_ROW, {**EN_ROW, "scope": {"skus": ["QC-01"]}}])

    with pytest.raises(InvalidFileError) as info:
        load_file(path)

    assert _problems(info) == ["line 2: entry: Value error, only announcements may carry a scope or a priority"]


def test_csv_reads_priority_and_a_scope_cell_of_json(tmp_path: Path) -> None:
    path = tmp_path / "notices.csv"
    path.write_text(
        "id,kind,title,answer,locale,valid_until,scope,priority\n"
        'ann-1,announcement,Stock-out,The blue pillow is sold out.,en,2026-01-20T00:00:00+08:00,'
        '"{""skus"": [""QC-PILLOW-BLUE""]}",7\n'
        "ann-2,announcement,Holiday cut-off,Last orders ship on Jan 19.,en,2026-01-20T00:00:00+08:00,,\n",
        encoding="utf-8",
    )

    first, second = load_file(path)

    assert (first.scope.skus, first.priority) == (("QC-PILLOW-BLUE",), 7)
    assert (second.scope.is_empty, second.priority) == (True, 0)


def test_markdown_front_matter_sets_an_announcements_scope(tmp_path: Path) -> None:
    path = tmp_path / "notice.md"
    path.write_text(
        "---\nkind: announcement\nlocale: zh\nvalid_until: 2026-02-05T00:00:00+08:00\npriority: 20\n"
        "scope: {regions: [新疆, 西藏]}\n---\n# 偏远地区发货\n\n新疆、西藏地区暂停发货。\n",
        encoding="utf-8",
    )

    [entry] = load_file(path)

    assert (entry.scope.regions, entry.priority) == (("新疆", "西藏"), 20)


def test_short_gbk_text_is_read_as_gbk_not_taken_for_korean_or_big5() -> None:
    """charset-normalizer guessed cp949 (refused) or Big5 (。 became ﹝) for GBK rows this short."""
    for question, answer in [("我的快递", "亲，请等待。"), ("0", "。")]:
        text = f"id,locale,question,answer\nq-1,zh,{question},{answer}\n"
        [entry] = load_bytes(text.encode("gbk"), filename="faq.csv", source="upload:faq.csv")
        assert (entry.question, entry.answer) == (question, answer)


def test_utf16_without_a_bom_is_not_read_as_utf8_with_nuls() -> None:
    text = "id,locale,question,answer\nship-001,en,Where is my parcel?,It ships in 48 hours.\n"

    [entry] = load_bytes(text.encode("utf-16-le"), filename="faq.csv", source="upload:faq.csv")

    assert (entry.id, entry.answer) == ("ship-001", "It ships in 48 hours.")


def test_a_csv_with_carriage_returns_alone_loads() -> None:
    """Old Mac line ends: a csv.Error before (a 500 on upload), not an InvalidFileError."""
    data = b"id,locale,question,answer\rship-001,en,Where is it?,It ships in 48 hours.\r"

    [entry] = load_bytes(data, filename="faq.csv", source="upload:faq.csv")

    assert (entry.id, entry.answer) == ("ship-001", "It ships in 48 hours.")
