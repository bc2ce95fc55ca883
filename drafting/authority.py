"""What each agent role may give (rules/authority.yaml), and who may give what a buyer asks for."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.vocab import ROLES, Role
from drafting.rulefile import load_rule_file

AUTHORITY_FILE = "authority.yaml"


class Limits(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_coupon: Decimal = Field(ge=0)
    max_refund: Decimal = Field(ge=0)
    compensation: bool


class Authority(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    roles: dict[Role, Limits]

    @model_validator(mode="after")
    def _every_role_ranked(self) -> Authority:
        if missing := [r for r in ROLES if r not in self.roles]:
            raise ValueError(f"limits missing for {', '.join(missing)}")
        ranked = [self.roles[r] for r in ROLES]
        for lower, higher, name in zip(ranked, ranked[1:], ROLES[1:], strict=False):
            if higher.max_coupon < lower.max_coupon or higher.max_refund < lower.max_refund:
                raise ValueError(f"{name} may give less than the role below it")
        return self

    def limits(self, role: Role) -> Limits:
        return self.roles[role]

    def refund_role(self, amount: Decimal) -> Role | None:
        """The least role that may approve a refund of `amount`; None when no role may."""
        return next((r for r in ROLES if self.roles[r].max_refund >= amount), None)


def load_authority(path: Path | None = None) -> Authority:
    return load_rule_file(Authority, AUTHORITY_FILE, path)
