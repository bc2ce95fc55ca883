"""Quick replies (macros) per intent, filled from the order (rules/macros.yaml, prompts/macros/<id>.<locale>.j2).

A macro lists the order facts it `needs`; it is offered only when the order has them all, and its template sees
those facts and nothing else, so a quick reply can never quote a fact the agent did not give.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Any, Literal, Protocol

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from core.errors import ConfigError, DraftdeskError
from core.vocab import LOCALES, Intent, Locale
from drafting.intent import IntentRules, load_intent_rules
from drafting.order import Order, OrderStatus, Presale
from drafting.rulefile import RuleFileError, load_rule_file, require_unique
from prompts import TEMPLATE_DIR, render

MACROS_FILE = "macros.yaml"
TEMPLATE_FOLDER = "macros"


class MacrosError(ConfigError):
    """The macros file cannot be used; raised at start-up, naming the file and the field."""

    code = "macros_error"


class UnknownMacro(DraftdeskError):
    code = "not_found"

    def __init__(self, macro_id: str) -> None:
        super().__init__(f"no quick reply named {macro_id!r}")


class MacroNotApplicable(DraftdeskError):
    """The order lacks facts the macro needs (`missing`), or is in a status the macro is not for."""

    def __init__(self, macro_id: str, missing: list[str], statuses: list[str], status: str | None) -> None:
        self.missing = missing
        self.code = "missing_order_facts" if missing else "macro_not_applicable"
        if missing:
            message = f"quick reply {macro_id!r} needs these order facts: {', '.join(missing)}"
        else:
            message = f"quick reply {macro_id!r} is for orders in status {', '.join(statuses)} (this one is {status})"
        super().__init__(message)


# --- the file: pydantic at the boundary -----------------------------------------------------------------


def _order_field(path: str) -> str:
    """A leaf field of Order, dotted for the pre-sale's fields: `tracking_number`, `presale.balance`."""
    head, _, rest = path.partition(".")
    if head not in Order.model_fields:
        raise ValueError(f"{path!r}: an order has no field {head!r}")
    if head == "presale" and rest not in Presale.model_fields:
        raise ValueError(f"{path!r}: name a field of the pre-sale, e.g. presale.balance")
    if head != "presale" and rest:
        raise ValueError(f"{path!r}: {head} has no fields")
    return path


OrderField = Annotated[str, AfterValidator(_order_field)]


class Title(BaseModel):
    model_config = ConfigDict(extra="forbid")

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class MacroSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    intent: Intent
    title: Title
    needs: list[OrderField] = Field(default_factory=list)
    statuses: list[OrderStatus] = Field(default_factory=list, description="Only for orders in one of these.")
    unless: list[OrderField] = Field(default_factory=list, description="Not when any of these facts is true.")


class MacrosFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1]
    macros: list[MacroSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> MacrosFile:
        require_unique("macro", [m.id for m in self.macros])
        return self


def load_macros(path: Path | None = None, *, intent_rules: IntentRules | None = None) -> MacrosFile:
    """The given YAML file, or the one shipped with this package; every intent must be one of `intent_rules`
    (default: the shipped intents.yaml) and every macro needs a template per locale."""
    try:
        spec = load_rule_file(MacrosFile, MACROS_FILE, path)
    except RuleFileError as exc:
        raise MacrosError(str(exc)) from exc
    intents = (intent_rules or load_intent_rules()).intents
    problems = [f"macros.{i}.intent: {m.intent!r} is not an intent of the intent rules"
                for i, m in enumerate(spec.macros) if m.intent not in intents]
    problems += [f"macros.{i}: no template prompts/{template_name(m.id, locale)}.j2"
                 for i, m in enumerate(spec.macros) for locale in LOCALES
                 if not (TEMPLATE_DIR / f"{template_name(m.id, locale)}.j2").is_file()]
    if problems:
        raise MacrosError(f"{path or f'drafting/rules/{MACROS_FILE}'}: {'; '.join(problems)}")
    return spec


def template_name(macro_id: str, locale: str) -> str:
    return f"{TEMPLATE_FOLDER}/{macro_id}.{locale}"


# --- quick replies ----------------------------------------------------------------------------------------


class MacroInfo(BaseModel):
    id: str
    intent: Intent
    title: str
    needs: list[str] = Field(description="The order facts the quick reply quotes; it is offered only with all.")
    statuses: list[OrderStatus] = Field(description="Offered only for orders in one of these (empty: any).")


class QuickReply(BaseModel):
    id: str
    title: str
    text: str


class QuickReplies(Protocol):
    def for_intent(self, intent: str, order: Order, locale: Locale) -> list[QuickReply]: ...


class NoMacros:
    """A shop without macros: no draft offers quick replies."""

    def for_intent(self, intent: str, order: Order, locale: Locale) -> list[QuickReply]:
        return []


class Macros:
    """The quick replies for an intent, rendered with the order's facts in the shop's timezone."""

    def __init__(self, spec: MacrosFile, *, timezone: tzinfo) -> None:
        self._macros = {m.id: m for m in spec.macros}
        self._zone = timezone

    def catalog(self, intent: str | None = None, locale: Locale = "zh") -> list[MacroInfo]:
        """Every macro (or an intent's), with its title in `locale`."""
        return [MacroInfo(id=m.id, intent=m.intent, title=getattr(m.title, locale), needs=m.needs,
                          statuses=m.statuses)
                for m in self._macros.values() if intent is None or m.intent == intent]

    def for_intent(self, intent: str, order: Order, locale: Locale) -> list[QuickReply]:
        """The intent's macros that fit the order (all needs given, status and `unless` allow), rendered."""
        return [self._render(m, order, locale) for m in self._macros.values()
                if m.intent == intent and self._fits(m, order)]

    def render(self, macro_id: str, order: Order, locale: Locale) -> QuickReply:
        """One macro; `UnknownMacro`, or `MacroNotApplicable` naming the missing order facts."""
        macro = self._macros.get(macro_id)
        if macro is None:
            raise UnknownMacro(macro_id)
        if not self._fits(macro, order):
            raise MacroNotApplicable(macro_id, missing(macro, order), list(macro.statuses), order.status)
        return self._render(macro, order, locale)

    def _fits(self, macro: MacroSpec, order: Order) -> bool:
        return (not missing(macro, order) and (not macro.statuses or order.status in macro.statuses)
                and not any(_value(order, path) for path in macro.unless))

    def _render(self, macro: MacroSpec, order: Order, locale: Locale) -> QuickReply:
        text = render(template_name(macro.id, locale), order=self._view(order, macro.needs))
        return QuickReply(id=macro.id, title=getattr(macro.title, locale), text=text)

    def _view(self, order: Order, needs: list[str]) -> SimpleNamespace:
        """Only the needed facts (anything else is undefined, so a template cannot quote it), times in the shop's
        timezone."""
        view = SimpleNamespace()
        for path in needs:
            *parents, leaf = path.split(".")
            node = view
            for part in parents:
                node = node.__dict__.setdefault(part, SimpleNamespace())
            value = _value(order, path)
            setattr(node, leaf, value.astimezone(self._zone) if isinstance(value, datetime) else value)
        return view


def missing(macro: MacroSpec, order: Order) -> list[str]:
    """The needed facts the order does not give (its status too, when the macro is only for some)."""
    paths = [*macro.needs, *(["status"] if macro.statuses and "status" not in macro.needs else [])]
    return [path for path in paths if _value(order, path) in (None, "", [])]


def _value(order: Order, path: str) -> Any:
    value: Any = order
    for part in path.split("."):
        value = getattr(value, part, None)
    return value
