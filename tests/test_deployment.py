"""The deployment files agree with the code: compose.yaml's services and DRAFTDESK_* variables, the Dockerfile's
Python and torch. Docker itself is not needed (nor run) here: the files are parsed."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import yaml
from sqlalchemy.engine import make_url

from composition.settings import Settings
from tests.conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
SETTINGS_VARS = {f"DRAFTDESK_{name.upper()}" for name in Settings.model_fields}


def _pin(package: str) -> str:
    (spec,) = [d for d in PYPROJECT["project"]["dependencies"] if re.split(r"[=<>\[]", d)[0] == package]
    return spec.split("==")[1]


def test_the_image_uses_the_projects_python_and_cpu_torch() -> None:
    python = PYPROJECT["tool"]["mypy"]["python_version"]
    assert PYPROJECT["project"]["requires-python"] == f">={python}"
    assert re.search(rf"^FROM python:{re.escape(python)}-slim$", DOCKERFILE, re.M)
    torch = re.search(r"^RUN pip install .*torch==(\S+)$", DOCKERFILE, re.M)
    install = DOCKERFILE.index("pip install '.[postgres]'")
    assert torch and torch.group(1) == _pin("torch") == "2.13.0" and torch.start() < install  # torch first
    assert "download.pytorch.org/whl/cpu" in DOCKERFILE


def test_the_image_builds_the_model_runs_unprivileged_and_checks_readiness() -> None:
    assert "load_embedder(DEFAULT_EMBEDDER" in DOCKERFILE
    model_dir = re.search(r"DRAFTDESK_MODEL_CACHE_DIR=(\S+)", DOCKERFILE)
    assert model_dir and f"Path('{model_dir.group(1)}')" in DOCKERFILE  # built where the app will look
    assert re.search(r"^USER (?!root)\w+$", DOCKERFILE, re.M)
    assert re.search(r"^HEALTHCHECK .*\n?.*/readyz", DOCKERFILE, re.M)
    assert PYPROJECT["project"]["optional-dependencies"]["postgres"][0].startswith("psycopg[binary]==")


def test_compose_wires_the_api_to_chroma_and_postgres() -> None:
    services = COMPOSE["services"]
    api, chroma, postgres = services["api"], services["chroma"], services["postgres"]
    env = api["environment"]

    assert set(services) == {"api", "chroma", "postgres"}
    assert chroma["image"] == f"chromadb/chroma:{_pin('chromadb')}"
    assert postgres["image"] == "postgres:15"
    assert env["DRAFTDESK_CHROMA_HOST"] == "chroma"
    assert int(env["DRAFTDESK_CHROMA_PORT"]) == 8000  # the chroma image's port
    url = make_url(env["DRAFTDESK_DATABASE_URL"].replace("${POSTGRES_PASSWORD:-draftdesk}", "secret"))
    assert (url.drivername, url.host, url.port) == ("postgresql+psycopg", "postgres", 5432)
    assert (url.username, url.database) == (postgres["environment"]["POSTGRES_USER"],
                                            postgres["environment"]["POSTGRES_DB"])
    assert set(api["depends_on"]) == {"chroma", "postgres"}
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])
    assert set(COMPOSE["volumes"]) >= {v.split(":")[0] for s in services.values() for v in s.get("volumes", [])
                                       if not v.startswith(".")}


def test_every_variable_given_to_the_api_is_a_setting() -> None:
    env = COMPOSE["services"]["api"]["environment"]
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    from_env_file = set(re.findall(r"^#? ?(DRAFTDESK_[A-Z_]+)=", example, re.M))

    assert set(env) <= SETTINGS_VARS
    assert from_env_file <= SETTINGS_VARS
    assert {"DRAFTDESK_LLM", "DRAFTDESK_LLM_BASE_URL", "DRAFTDESK_LLM_API_KEY", "DRAFTDESK_LLM_MODEL"} <= from_env_file
    assert COMPOSE["services"]["api"]["env_file"][0]["path"] == ".env"
    assert Settings(**{k.removeprefix("DRAFTDESK_").lower(): v for k, v in env.items()}).chroma_host == "chroma"


def test_secrets_and_local_state_stay_out_of_the_image() -> None:
    ignored = set((ROOT / ".dockerignore").read_text(encoding="utf-8").split())
    assert {".env", ".venv", ".git", "var", "runs"} <= ignored
    assert ".env" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()
