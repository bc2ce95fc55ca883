"""`draftdesk index | draft | kb list | kb delete` in-process, with the real model on a temp data dir."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from tests.cli.conftest import ROWS, Run
from tests.conftest import write_jsonl


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result


def summary(result: Result) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(ok(result).stdout)
    return body


def listed(run: Run) -> list[str]:
    """`id@locale` of every entry, from `kb list --json`."""
    lines = ok(run("kb", "list", "--json")).stdout.splitlines()
    return [f"{e['id']}@{e['locale']}" for e in map(json.loads, lines)]


def assert_clean_failure(result: Result, *, mentions: str) -> None:
    """A non-zero exit with one `error:` line on stderr, and no traceback."""
    assert result.exit_code not in (0, None)
    assert isinstance(result.exception, SystemExit)  # typer.Exit, not an escaped exception
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert mentions in errors[0]
    assert "Traceback" not in result.output


@pytest.fixture
def kb_file(tmp_path: Path) -> Path:
    (tmp_path / "kb").mkdir()
    return write_jsonl(tmp_path / "kb" / "faq.jsonl", ROWS)


@pytest.mark.model
def test_index_twice_then_prune(run: Run, kb_file: Path) -> None:
    first = summary(run("index", str(kb_file), "--json"))
    assert (first["added"], first["unchanged"], first["deleted"]) == (4, 0, 0)
    assert first["embedded"] == 8  # a question and a passage per entry
    assert first["sources"] == [str(kb_file.resolve())]

    second = summary(run("index", str(kb_file), "--json"))
    assert (second["added"], second["unchanged"], second["embedded"]) == (0, 4, 0)

    write_jsonl(kb_file, [r for r in ROWS if r["id"] != "cancel-001"])
    pruned = summary(run("index", str(kb_file), "--prune", "--json"))
    assert (pruned["unchanged"], pruned["deleted"], pruned["embedded"]) == (3, 1, 0)

    assert listed(run) == ["ret-001@zh", "ship-001@en", "ship-001@zh"]


def test_index_json_lists_entries_that_break_a_platforms_rules(run: Run, tmp_path: Path) -> None:
    bad = {"id": "contact-001", "locale": "en", "question": "How can I reach you?",
           "answer": "Orders ship within 48 hours. Or just call us at (555) 123-4567."}
    kb = write_jsonl(tmp_path / "contact.jsonl", [bad])

    listed = summary(run("index", str(kb), "--json", "--dry-run"))["compliance"]

    assert set(listed) == {"phone_number", "off_platform_contact"}
    assert {f["platform"] for f in listed["phone_number"]} == {"taobao", "pdd", "jd", "amazon"}
    assert listed["phone_number"][0] == {"key": "contact-001@en", "platform": "taobao", "span": "(555) 123-4567"}
    assert "phone_number: contact-001@en" in ok(run("index", str(kb), "--dry-run")).stderr


@pytest.mark.model
def test_draft_cites_ship_001(run: Run, kb_file: Path) -> None:
    ok(run("index", str(kb_file)))

    result = ok(run("draft", "我的快递怎么还没到", "--platform", "taobao", "--order", '{"id": "TB-5"}', "--json"))

    body = json.loads(result.stdout)
    assert body["language"] == "zh"
    assert body["citations"][0]["id"] == "ship-001"
    assert body["needs_human"] is False
    assert body["provider"] == "template"
    assert "48小时内发出" in body["draft"]
    assert "TB-5" in body["draft"]


@pytest.mark.model
def test_kb_delete_then_list(run: Run, kb_file: Path) -> None:
    ok(run("index", str(kb_file)))

    deleted = ok(run("kb", "delete", "ship-001"))
    listing = ok(run("kb", "list"))

    assert deleted.stdout.strip() == "deleted ship-001 (2 locale variants)"
    assert [line.split("\t")[:2] for line in listing.stdout.splitlines()] == [["cancel-001", "zh"], ["ret-001", "zh"]]
    assert "2 of 2 entries" in listing.stderr


@pytest.mark.model
def test_malformed_file_indexes_nothing(run: Run, kb_file: Path) -> None:
    bad = kb_file.parent / "zz-bad.jsonl"
    bad.write_text('{"id": "bad-001", "locale": "zh", "question": "q", "answer": "a"}\n{oops\n', encoding="utf-8")

    result = run("index", str(kb_file.parent))  # the good file sorts first; it must not be indexed either

    assert_clean_failure(result, mentions="line 2: invalid JSON")
    assert listed(run) == []


@pytest.mark.model
def test_deleting_an_unknown_entry_fails(run: Run) -> None:
    assert_clean_failure(run("kb", "delete", "nope"), mentions="no knowledge entry with id 'nope'")


# The failures below are caught before the model loads.


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        (("draft", ""), "validation error"),
        (("draft", "   "), "validation error"),
        (("draft", "在吗", "--platform", "tmall"), "validation error"),
        (("draft", "在吗", "--locale", "fr"), "validation error"),
        (("draft", "在吗", "--order", "not json"), "--order is not valid JSON"),
        (("draft", "在吗", "--order", '["a list"]'), "--order must be a JSON object"),
        (("draft", "在吗", "--order", '{"status": "已发货"}'), "order.status"),
        (("draft", "在吗", "--role", "boss"), "role"),
        (("kb", "list", "--platform", "tmall"), "--platform must be one of taobao, pdd, jd, amazon, any"),
        (("kb", "list", "--locale", "fr"), "--locale must be one of zh, en"),
        (("kb", "list", "--kind", "faqs"), "--kind must be one of"),
    ],
    ids=["empty", "blank", "platform", "locale", "order-not-json", "order-not-object", "order-status", "role",
         "kb-platform", "kb-locale", "kb-kind"],
)
def test_bad_draft_input_fails_without_a_traceback(run: Run, args: tuple[str, ...], mentions: str) -> None:
    result = run(*args)

    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert result.stderr.startswith("error:")
    assert mentions in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_bad_llm_setting_fails_before_loading_anything(run: Run) -> None:
    result = run("kb", "list", env={"DRAFTDESK_LLM": "gpt-5"})

    assert_clean_failure(result, mentions="unknown DRAFTDESK_LLM 'gpt-5'")
    assert result.exit_code == 1


def test_invalid_setting_in_the_environment_fails_cleanly(run: Run) -> None:
    result = run("kb", "list", env={"DRAFTDESK_TOP_K": "0"})

    assert result.exit_code == 2
    assert result.stderr.startswith("error:")
    assert "top_k" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.model
def test_each_shop_has_its_own_knowledge_from_the_command_line(run: Run, kb_file: Path) -> None:
    ok(run("--shop", "hills", "index", str(kb_file)))

    assert listed(run) == []  # the default shop
    hills = ok(run("kb", "list", "--json", env={"DRAFTDESK_SHOP": "hills"})).stdout.splitlines()
    assert len(hills) == len(ROWS)
    ok(run("--shop", "hills", "announce", "add", "--title", "停发", "--body", "暴雪停发", "--locale", "zh",
           "--until", "2099-01-01T00:00+08:00", "--id", "ann-snow"))
    assert "ann-snow" in ok(run("--shop", "hills", "announce", "list")).stdout
    assert "ann-snow" not in ok(run("announce", "list")).stdout
    drafted = json.loads(ok(run("--shop", "hills", "draft", "我的快递怎么还没到", "--json")).stdout)
    assert drafted["citations"][0]["id"] == "ship-001"
    alone = json.loads(ok(run("draft", "我的快递怎么还没到", "--json")).stdout)
    assert alone["citations"] == [] and alone["needs_human"] is True


def test_a_bad_shop_id_fails_cleanly(run: Run) -> None:
    assert_clean_failure(run("--shop", "../etc", "kb", "list"), mentions="shop '../etc'")


@pytest.mark.model
def test_kb_list_shows_what_each_entry_answers(run: Run, tmp_path: Path) -> None:
    rows = [{**ROWS[2], "intents": ["return_refund"]}, ROWS[3]]  # one declared, one inferred when indexed
    ok(run("index", str(write_jsonl(tmp_path / "faq.jsonl", rows))))

    columns = {line.split("\t")[0]: line.split("\t") for line in ok(run("kb", "list")).stdout.splitlines()}
    listed = {e["id"]: e for e in map(json.loads, ok(run("kb", "list", "--json")).stdout.splitlines())}

    assert columns["ret-001"][4:] == ["return_refund", "refund.seven_day", ROWS[2]["question"]]  # then the heading
    assert columns["cancel-001"][4] == "cancel"
    assert listed["ret-001"]["labels"] == {"intents": ["return_refund"], "question_types": ["refund.seven_day"],
                                           "source": "declared"}
    assert listed["cancel-001"]["labels"]["source"] == "inferred"
    assert listed["cancel-001"]["answer"] == ROWS[3]["answer"]
