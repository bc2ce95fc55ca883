"""The import-linter layers contract (pyproject.toml): bench → cli → api | eval → composition → records → drafting →
catalog → knowledge | prompts → core."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["root_packages"]


def test_layers_contract_is_kept() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(("package", "upward"), [
    ("knowledge", "drafting.service"), ("knowledge", "catalog.service"), ("catalog", "drafting.presale"),
    ("drafting", "records.history"), ("records", "composition.wiring"),
    ("composition", "api.app"), ("core", "knowledge.models"), ("cli", "bench.run"),
])
def test_contract_catches_an_upward_import(tmp_path: Path, package: str, upward: str) -> None:
    """Copy the packages, add one import from a layer to a layer above it, and the same contract must break."""
    import shutil

    for pkg in PACKAGES:
        shutil.copytree(ROOT / pkg, tmp_path / pkg, ignore=shutil.ignore_patterns("__pycache__", "sample_kb"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    above, module = upward.rsplit(".", 1)
    (tmp_path / package / "sneaky.py").write_text(f"from {above} import {module}\n", encoding="utf-8")
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint), "--no-cache"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env={"PYTHONPATH": str(tmp_path), "PATH": str(Path(sys.executable).parent)})
    assert result.returncode != 0
    assert f"{package}.sneaky -> {upward}" in result.stdout
