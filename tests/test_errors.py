"""One error root: every error draftdesk raises on purpose is a DraftdeskError."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from core.errors import DraftdeskError

PRODUCT = ("core", "drafting", "knowledge", "prompts", "api", "eval", "cli")


def product_exceptions() -> list[type[BaseException]]:
    found: list[type[BaseException]] = []
    for name in PRODUCT:
        package = importlib.import_module(name)
        modules = [package] + [importlib.import_module(m.name) for m in
                               pkgutil.walk_packages(package.__path__, f"{name}.")]
        for module in modules:
            found += [c for _, c in inspect.getmembers(module, inspect.isclass)
                      if issubclass(c, BaseException) and c.__module__ == module.__name__]
    return found


def test_every_error_the_product_defines_descends_from_the_one_root() -> None:
    errors = product_exceptions()

    assert len(errors) >= 30  # the walk found the packages' errors, not nothing
    assert [e.__qualname__ for e in errors if not issubclass(e, DraftdeskError)] == []
    assert len({e.code for e in errors if isinstance(e.code, str)}) >= 15  # each area says what went wrong

