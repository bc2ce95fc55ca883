"""A team's own rule files reach the drafts `build_components` wires: DRAFTDESK_PLAYBOOK_RULES and
DRAFTDESK_ANSWERABILITY_RULES, not only the files shipped in drafting/rules/. The hashing embedder, real chroma."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from composition.settings import Settings
from composition.wiring import build_components
from drafting.models import Draft, DraftRequest
from tests.fakes import HashingEmbedder

RULES = Path(__file__).parents[2] / "drafting" / "rules"
HACKED = "我的账号被盗了，有人异地登录"
FORGOT = "我的密码忘了怎么办"
RETURNS = "支持七天无理由退货吗？"
RETURN_ENTRY = {"id": "ret-001", "locale": "zh", "tags": ["return_refund"], "question": RETURNS,
                "answer": "支持。签收后7天内，商品完好即可申请七天无理由退货。"}
# the team's only playbook: account security on a forgotten password, not on a stolen account
TEAM_PLAYBOOKS = """\
version: 1
playbooks:
  - id: account_security
    mode: holding
    cues:
      zh: ['密码忘了']
    opening: trouble
    handled_by: supervisor
    reason: {zh: "账号安全问题，需要专人核实", en: "Account security: a colleague must verify"}
"""


def _drafts(tmp_path: Path, name: str, messages: list[str], rows: list[dict[str, Any]] | None = None,
            **rules: Path) -> list[Draft]:
    """Drafts of `messages` by the default shop of components built on `rules`, over a knowledge base of `rows`."""
    settings = Settings(data_dir=tmp_path / name, model_cache_dir=tmp_path / "models", llm="template", **rules)
    parts = build_components(settings, HashingEmbedder())
    try:
        shop = parts.shops.get()
        shop.knowledge.index_rows(rows or [])
        return [shop.drafts.draft(DraftRequest(message=m, platform="taobao", locale="zh")) for m in messages]
    finally:
        parts.close()


def test_a_teams_playbook_file_decides_which_playbook_a_draft_follows(tmp_path: Path) -> None:
    team = tmp_path / "playbooks.yaml"
    team.write_text(TEAM_PLAYBOOKS, encoding="utf-8")

    shipped = _drafts(tmp_path, "shipped", [HACKED, FORGOT])
    teams = _drafts(tmp_path, "team", [HACKED, FORGOT], playbook_rules=team)

    assert [d.playbook for d in shipped] == ["account_security", None]
    assert [d.playbook for d in teams] == [None, "account_security"]
    assert teams[1].answer_mode == "holding" and teams[1].handoff is not None


def test_a_teams_answerability_file_decides_whether_an_entry_answers(tmp_path: Path) -> None:
    shipped = (RULES / "answerability.yaml").read_text(encoding="utf-8")
    strict = shipped
    for floor in ("unknown: {zh: 0.03, en: 0.03}", "agree: {zh: 0.01, en: 0.01}", "covers: {zh: 0.0, en: 0.0}"):
        assert floor in shipped
        strict = strict.replace(floor, floor.split(":")[0] + ": {zh: 0.2, en: 0.2}")
    team = tmp_path / "answerability.yaml"
    team.write_text(strict, encoding="utf-8")  # an entry must score above 1.0: none answers

    [answered] = _drafts(tmp_path, "shipped", [RETURNS], [RETURN_ENTRY])
    [held] = _drafts(tmp_path, "team", [RETURNS], [RETURN_ENTRY], answerability_rules=team)

    assert (answered.answer_mode, [c.id for c in answered.citations]) == ("entry", ["ret-001"])
    assert (held.answer_mode, held.citations) == ("holding", [])
