"""`draftdesk announce add | list | expire` in-process, on a temp data dir. The CLI runs on the wall clock, so the
windows below are placed around now."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from tests.cli.conftest import Run
from tests.cli.test_main import assert_clean_failure, ok


def iso(**delta: float) -> str:
    """Now plus `delta`, ISO-8601 in China Standard Time."""
    return (datetime.now(UTC) + timedelta(**delta)).astimezone(CST).isoformat(timespec="seconds")


def add(run: Run, *args: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(ok(run("announce", "add", *args, "--json")).stdout)
    return body


def listed(run: Run, state: str) -> list[dict[str, Any]]:
    lines = ok(run("announce", "list", "--state", state, "--json")).stdout.splitlines()
    return [json.loads(line) for line in lines]


CST = timezone(timedelta(hours=8))
SNOW = ("--title", "新疆地区快递延迟", "--body", "受降雪影响，发往新疆的快递预计延迟3-5天送达。", "--locale", "zh")


@pytest.mark.model
def test_add_list_and_expire(run: Run) -> None:
    """Each command loads the model: one story, few commands."""
    added = ok(run("announce", "add", *SNOW, "--until", "2100-01-01T00:00:00+08:00", "--id", "ann-snow",
                   "--intent", "logistics", "--region", "新疆", "--region", "西藏", "--priority", "60"))
    later = add(run, "--title", "Spring Festival cut-off", "--body", "Orders placed after Jan 20 ship from Feb 5.",
                "--locale", "en", "--platform", "amazon", "--from", iso(days=1), "--until", iso(days=3),
                "--sku", "QC-PILLOW-BLUE")

    assert added.stdout.strip() == "published ann-snow (zh, active until 2100-01-01T00:00+0800)"
    assert later["id"].startswith("ann-") and later["state"] == "scheduled"
    assert (later["platform"], later["priority"], later["source"]) == ("amazon", 0, "announcements")
    assert later["scope"] == {"intents": [], "skus": ["QC-PILLOW-BLUE"], "regions": []}

    table = ok(run("announce", "list", "--state", "all"))
    assert [line.split("\t")[:4] for line in table.stdout.splitlines()] == [
        ["ann-snow", "zh", "active", "60"], [later["id"], "en", "scheduled", "0"],
    ]
    assert "2 announcements (all)" in table.stderr

    assert ok(run("announce", "expire", "ann-snow")).stdout.startswith("expired ann-snow (zh) at ")
    assert_clean_failure(run("announce", "expire", later["id"]), mentions="has not started yet")
    [expired] = listed(run, "expired")  # kept, not deleted
    assert (expired["id"], expired["scope"]["regions"]) == ("ann-snow", ["新疆", "西藏"])


@pytest.mark.model
def test_add_rejects_an_unknown_intent(run: Run) -> None:
    result = run("announce", "add", *SNOW, "--until", "2100-01-01T00:00:00+08:00", "--intent", "shiping")

    assert_clean_failure(result, mentions="scope.intents: unknown intent 'shiping'; use one of ")


@pytest.mark.model
def test_expiring_an_unknown_id_fails(run: Run) -> None:
    assert_clean_failure(run("announce", "expire", "nope"), mentions="no announcement with id 'nope'")


# The failures below are caught before the model loads.


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        (("add", *SNOW, "--until", "2026-01-20T00:00:00"), "--until must carry a timezone"),
        (("add", *SNOW, "--until", "next week"), "--until is not an ISO-8601 date and time: 'next week'"),
        (("add", *SNOW, "--until", "2100-01-01T00:00Z", "--from", "2026-01-10"), "--from must carry a timezone"),
        (("add", *SNOW, "--until", "2100-01-01T00:00Z", "--platform", "tmall"), "--platform must be one of"),
        (("add", "--title", "t", "--body", "b", "--locale", "fr", "--until", "2100-01-01T00:00Z"),
         "--locale must be one of zh, en"),
        (("list", "--state", "live"), "--state must be one of active, scheduled, expired, all"),
        (("list", "--locale", "fr"), "--locale must be one of zh, en"),
    ],
    ids=["naive-until", "not-a-date", "naive-from", "platform", "locale", "list-state", "list-locale"],
)
def test_bad_input_fails_without_a_traceback(run: Run, args: tuple[str, ...], mentions: str) -> None:
    result = run("announce", *args)

    assert_clean_failure(result, mentions=mentions)
    assert result.exit_code == 2
    assert result.stdout == ""


def test_missing_required_option_is_a_usage_error(run: Run) -> None:
    result = run("announce", "add", "--title", "t", "--locale", "zh", "--until", "2100-01-01T00:00Z")

    assert result.exit_code == 2
    assert "--body" in result.output
