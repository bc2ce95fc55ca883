"""The installed `draftdesk` console script (`cli.main:main`): exit codes and output survive its leaving without the
interpreter's teardown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import _exit_code

DRAFTDESK = Path(sys.executable).parent / "draftdesk"


def script(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(DRAFTDESK), *args], env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=120)


def test_success_a_refusal_and_a_usage_error_keep_their_exit_codes_and_output(cli_env: dict[str, str]) -> None:
    listed = script("kb", "list", "--json", env=cli_env)
    assert (listed.returncode, listed.stdout, listed.stderr) == (0, "", "")  # an empty store lists nothing

    missing = script("kb", "delete", "nope", "--locale", "zh", env=cli_env)
    assert missing.returncode == 1
    assert missing.stderr.strip() == "error: no knowledge entry with id 'nope' in locale 'zh'"

    unknown = script("no-such-command", env=cli_env)
    assert unknown.returncode == 2 and "No such command" in unknown.stderr


@pytest.mark.parametrize(("code", "expected", "printed"), [(None, 0, ""), (0, 0, ""), (3, 3, ""), ("bad", 1, "bad\n")])
def test_exit_codes_as_sys_exit_gives_them(capsys: pytest.CaptureFixture[str], code: object, expected: int,
                                           printed: str) -> None:
    assert _exit_code(code) == expected
    assert capsys.readouterr().err == printed
