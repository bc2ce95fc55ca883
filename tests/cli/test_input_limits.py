"""Input limits from the command line: a file nested too deeply, over a cap or with an unsafe id fails with one
`error:` line and a non-zero exit, never a traceback; an announcement with a Chinese id publishes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge.limits import MAX_ANSWER_CHARS, MAX_DEPTH
from tests.cli.conftest import ROWS, Run
from tests.cli.test_main import assert_clean_failure, listed, ok

NOTICE = ("--title", "春节发货安排", "--body", "春节期间暂停发货，2月18日起恢复。", "--locale", "zh",
          "--until", "2100-01-01T00:00:00+08:00")


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.model
@pytest.mark.parametrize(
    ("name", "text", "mentions"),
    [
        ("faq.jsonl", json.dumps(ROWS[0], ensure_ascii=False)[:-1] + f', "tags": {nested(100_000)}}}',
         f"line 1: nests deeper than {MAX_DEPTH} levels"),
        ("policies.md", f"---\ntags: {nested(4_000)}\n---\n# 退货\n七天无理由退货。\n",
         f"front matter: nests deeper than {MAX_DEPTH} levels"),
        ("notices.csv", f'id,locale,kind,title,answer,scope\nann-1,zh,announcement,通知,延迟,"{{""skus"": '
                        f'{nested(20_000)}}}"\n', f"line 2: scope: nests deeper than {MAX_DEPTH} levels"),
        ("faq.jsonl", json.dumps({**ROWS[0], "answer": "x" * 3_000_000}),
         f"line 1: answer: at most {MAX_ANSWER_CHARS} characters"),
        ("faq.jsonl", json.dumps({**ROWS[0], "id": "a@zh"}), "line 1: id: use letters of any script"),
    ],
    ids=["jsonl-deep", "md-deep", "csv-deep", "answer-3M", "id-at"],
)
def test_a_file_over_the_limits_fails_cleanly(run: Run, tmp_path: Path, name: str, text: str, mentions: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")

    assert_clean_failure(run("index", str(path)), mentions=mentions)
    assert listed(run) == []


@pytest.mark.model
def test_an_announcement_with_an_unsafe_id_fails_and_a_chinese_one_publishes(run: Run) -> None:
    assert_clean_failure(run("announce", "add", *NOTICE, "--id", "a@zh"), mentions="id: use letters of any script")
    assert_clean_failure(run("announce", "add", *NOTICE, "--id", "x", "--body", "延" * (MAX_ANSWER_CHARS + 1)),
                         mentions=f"body: at most {MAX_ANSWER_CHARS} characters")

    published = ok(run("announce", "add", *NOTICE, "--id", "公告-春节"))

    assert "published 公告-春节 (zh, active" in published.stdout
    assert ok(run("announce", "list")).stdout.startswith("公告-春节\t")


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 100_000])
def test_order_facts_nested_too_deeply_fail_cleanly(run: Run, depth: int) -> None:
    result = run("draft", "在吗", "--order", '{"items": ' + nested(depth) + "}")

    assert_clean_failure(result, mentions=f"--order nests deeper than {MAX_DEPTH} levels")
    assert result.exit_code == 2
