"""One way to read a team-editable YAML file under drafting/rules/ (or a team's own copy) into a pydantic model."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from core.errors import ConfigError

ModelT = TypeVar("ModelT", bound=BaseModel)


class RuleFileError(ConfigError):
    """A rules file cannot be used; raised at start-up, naming the file and where each problem is."""

    code = "rules_error"


def load_rule_file(model: type[ModelT], name: str, path: Path | None = None) -> ModelT:
    """`path`, or `drafting/rules/<name>` as shipped; every problem is reported at once, with its place."""
    source = str(path) if path is not None else f"drafting/rules/{name}"
    try:
        text = path.read_text(encoding="utf-8") if path is not None else \
            resources.files("drafting").joinpath("rules", name).read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except OSError as exc:
        raise RuleFileError(f"{source}: cannot read the file ({exc.strerror or exc})") from exc
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RuleFileError(f"{source}: not valid YAML ({exc})") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RuleFileError(f"{source}: {'; '.join(_problem(e) for e in exc.errors())}") from exc


def require_unique(what: str, ids: list[str]) -> None:
    """For a file's model validator: `ValueError` naming every id listed more than once."""
    if dupes := sorted({i for i in ids if ids.count(i) > 1}):
        raise ValueError(f"duplicate {what} ids: {', '.join(dupes)}")


def _problem(error: Any) -> str:
    where = ".".join(str(p) for p in error["loc"])
    return f"{where}: {error['msg']}" if where else str(error["msg"])
